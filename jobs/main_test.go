package jobs_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/grabhq/grab/jobs"
)

// childEnv names the job file a re-executed test binary runs, as a
// second process (kill -9 trials, overlap across processes).
const childEnv = "GRAB_JOBS_TEST_CHILD"

func TestMain(m *testing.M) {
	if path := os.Getenv(childEnv); path != "" {
		os.Exit(child(path))
	}
	goleak.VerifyTestMain(m)
}

func child(path string) int {
	j, err := jobs.Load(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if _, err := new(jobs.Runner).Run(context.Background(), j); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}
