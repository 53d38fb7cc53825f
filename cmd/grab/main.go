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
	// The first signal asks the command to stop (it saves what it must,
	// removes its temporary files and exits 130; a read of stdin ends
	// too), and the process exits 130 cli.StopGrace later if the command
	// is stuck (writing to a pipe nobody reads); a second one ends the
	// process at once, as the default action would, whatever the command
	// is blocked on. SIGHUP (the terminal
	// closed) counts, unless grab started with it ignored (nohup):
	// catching it would undo that.
	sigs := []os.Signal{os.Interrupt, syscall.SIGTERM}
	if !signal.Ignored(syscall.SIGHUP) {
		sigs = append(sigs, syscall.SIGHUP)
	}
	ctx, stop := signal.NotifyContext(context.Background(), sigs...)
	context.AfterFunc(ctx, stop)
	code := cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
