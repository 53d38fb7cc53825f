// Command grab fetches, scrapes and crawls the web from the command line.
//
// Run "grab --help" for usage. All the work is done by package
// github.com/grabhq/grab/internal/cli; main only wires the process to it.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/logging"

	"github.com/grabhq/grab/internal/cli"
)

func main() {
	// go-redis logs its connection retries to stderr through a
	// process-wide logger; grab reports the error itself, prefixed
	// "grab:".
	redis.SetLogger(&logging.VoidLogger{})
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first signal asks the command to stop (it saves what it must
	// and exits 130; a read of stdin ends too); a second one ends the
	// process at once, as the default action would, whatever the
	// command is blocked on.
	context.AfterFunc(ctx, stop)
	code := cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
