package jobs_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/jonboulle/clockwork"

	"github.com/grabhq/grab/jobs"
)

// syncBuffer is a log sink for several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// scheduled runs s on js in the background until the test ends.
type scheduled struct {
	clock  *clockwork.FakeClock
	runs   chan time.Time
	log    *syncBuffer
	cancel context.CancelFunc
	done   chan error
}

func schedule(t *testing.T, start time.Time, s *jobs.Scheduler, do func(ctx context.Context) error, js ...*jobs.Job) *scheduled {
	t.Helper()
	sc := &scheduled{clock: clockwork.NewFakeClockAt(start), runs: make(chan time.Time, 100), log: new(syncBuffer), done: make(chan error, 1)}
	s.Clock = sc.clock
	s.Logger = slog.New(slog.NewTextHandler(sc.log, nil))
	s.Do = func(ctx context.Context, j *jobs.Job) (*jobs.Report, error) {
		sc.runs <- sc.clock.Now()
		if do != nil {
			if err := do(ctx); err != nil {
				return nil, err
			}
		}
		return &jobs.Report{Run: jobs.RunInfo{Job: j.Name, Status: jobs.OK}}, nil
	}
	ctx, cancel := context.WithCancel(t.Context())
	sc.cancel = cancel
	go func() { sc.done <- s.Run(ctx, js...) }()
	// Wait until every job is scheduled, so that its timer is set.
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(sc.log.String(), "msg=scheduled") < len(js) {
		if time.Now().After(deadline) {
			t.Fatalf("jobs not scheduled; log:\n%s", sc.log)
		}
		time.Sleep(time.Millisecond)
	}
	t.Cleanup(func() {
		cancel()
		// Let any grace timer fire.
		for {
			select {
			case <-sc.done:
				return
			case <-time.After(10 * time.Millisecond):
				sc.clock.Advance(time.Hour)
			}
		}
	})
	return sc
}

// step waits for the scheduler's timers, then moves the clock by d.
func (sc *scheduled) step(t *testing.T, waiters int, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := sc.clock.BlockUntilContext(ctx, waiters); err != nil {
		t.Fatalf("at %v the scheduler has no timer set: %v", sc.clock.Now(), err)
	}
	sc.clock.Advance(d)
}

// collect returns the runs started, waiting until there are want of them
// and a little longer for any extra.
func (sc *scheduled) collect(t *testing.T, want int) []time.Time {
	t.Helper()
	var got []time.Time
	deadline := time.After(10 * time.Second)
	for len(got) < want {
		select {
		case r := <-sc.runs:
			got = append(got, r)
		case <-deadline:
			t.Fatalf("%d runs started, want %d", len(got), want)
		}
	}
	for {
		select {
		case r := <-sc.runs:
			got = append(got, r)
		case <-time.After(100 * time.Millisecond):
			return got
		}
	}
}

func parseJob(t *testing.T, text string) *jobs.Job {
	t.Helper()
	j, err := jobs.Parse([]byte(text), "")
	if err != nil {
		t.Fatal(err)
	}
	j.State = t.TempDir() + "/state"
	return j
}

func TestScheduleEvery(t *testing.T) {
	j := parseJob(t, "name: every\nschedule: '@every 1m'\ntargets: {urls: [http://127.0.0.1:1/]}\n")
	start := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	sc := schedule(t, start, &jobs.Scheduler{}, nil, j)
	for range 5 {
		sc.step(t, 1, time.Minute)
	}
	got := sc.collect(t, 5)
	if len(got) != 5 {
		t.Fatalf("runs at %v, want 5", got)
	}
	for i, r := range got {
		if want := start.Add(time.Duration(i+1) * time.Minute); !r.Equal(want) {
			t.Errorf("run %d at %v, want %v", i, r, want)
		}
	}
}

// TestScheduleNoOverlap: a job lasting 3 times its interval is never run
// twice at once; the slots that come meanwhile are skipped and logged
// (HOSTILE.md Q1).
func TestScheduleNoOverlap(t *testing.T) {
	j := parseJob(t, "name: slow\nschedule: '@every 1m'\ntargets: {urls: [http://127.0.0.1:1/]}\n")
	release := make(chan struct{})
	var mu sync.Mutex
	running, most := 0, 0
	do := func(ctx context.Context) error {
		mu.Lock()
		running++
		most = max(most, running)
		mu.Unlock()
		defer func() { mu.Lock(); running--; mu.Unlock() }()
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil
	}
	sc := schedule(t, time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC), &jobs.Scheduler{}, do, j)
	sc.step(t, 1, time.Minute)
	sc.collect(t, 1)
	for range 3 {
		sc.step(t, 1, time.Minute)
	}
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(sc.log.String(), "run skipped: the previous run is still going") < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("3 skipped slots not logged; log:\n%s", sc.log)
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(release)
	sc.step(t, 1, time.Minute)
	if got := sc.collect(t, 1); len(got) != 1 {
		t.Errorf("after the long run, %d runs started, want 1", len(got))
	}
	mu.Lock()
	defer mu.Unlock()
	if most != 1 {
		t.Errorf("%d runs at once, want 1", most)
	}
}

// TestScheduleDST: a daily slot runs exactly once a day across the
// spring-forward gap (02:30 does not exist: it runs after the transition)
// and the fall-back repeat (01:30 happens twice: it runs once)
// (HOSTILE.md Q3).
func TestScheduleDST(t *testing.T) {
	tests := []struct {
		name     string
		schedule string
		start    time.Time
	}{
		{"spring forward", "30 2 * * *", time.Date(2025, 3, 7, 12, 0, 0, 0, time.UTC)},
		{"fall back", "30 1 * * *", time.Date(2025, 10, 31, 12, 0, 0, 0, time.UTC)},
		{"leap day", "0 12 29 2 *", time.Date(2028, 2, 27, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := parseJob(t, fmt.Sprintf("name: daily\nschedule: '%s'\ntimezone: America/New_York\ntargets: {urls: ['http://127.0.0.1:1/']}\n", tt.schedule))
			sc := schedule(t, tt.start, &jobs.Scheduler{}, nil, j)
			hours := 4 * 24
			for range hours {
				sc.step(t, 1, time.Hour)
			}
			want := 4
			if tt.name == "leap day" {
				want = 1
			}
			got := sc.collect(t, want)
			days := map[string]int{}
			ny, _ := time.LoadLocation("America/New_York")
			for _, r := range got {
				days[r.In(ny).Format("2006-01-02")]++
			}
			if len(got) != want || len(days) != want {
				t.Errorf("runs at %v (%d days), want %d on %d days", got, len(days), want, want)
			}
		})
	}
}

// TestScheduleCatchUp: a slot missed while no scheduler ran is run at once
// with CatchUpOnce, and waits for the next slot with CatchUpSkip.
func TestScheduleCatchUp(t *testing.T) {
	for _, policy := range []jobs.CatchUp{jobs.CatchUpOnce, jobs.CatchUpSkip} {
		t.Run(string(policy), func(t *testing.T) {
			s := newSite(t)
			s.page("/p.html", 0, nil, nil)
			dir := t.TempDir()
			j := jobFile(t, dir, fmt.Sprintf("name: catchup\nschedule: '0 * * * *'\ntimezone: UTC\ntargets: {urls: [%s/p.html]}\n", s.URL))
			last := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
			r := runner(t)
			r.Now = func() time.Time { return last }
			if _, err := r.Run(t.Context(), j); err != nil {
				t.Fatal(err)
			}
			// Three hours later the scheduler starts: the 10:00 and 11:00
			// slots were missed.
			sc := schedule(t, last.Add(3*time.Hour+30*time.Minute), &jobs.Scheduler{CatchUp: policy}, nil, j)
			if policy == jobs.CatchUpOnce {
				if got := sc.collect(t, 1); len(got) != 1 {
					t.Errorf("catch-up runs %v, want exactly 1", got)
				}
				return
			}
			sc.step(t, 1, 20*time.Minute) // 12:50: nothing yet
			sc.step(t, 1, 10*time.Minute) // 13:00: the next slot
			if got := sc.collect(t, 1); len(got) != 1 || got[0].Hour() != 13 {
				t.Errorf("runs %v, want one at 13:00", got)
			}
			if !strings.Contains(sc.log.String(), "catch-up policy skip") {
				t.Errorf("the missed slot was not logged:\n%s", sc.log)
			}
		})
	}
}

// TestScheduleGrace: once the context ends, a running job gets the grace
// period and is then interrupted; Run returns after it stopped.
func TestScheduleGrace(t *testing.T) {
	j := parseJob(t, "name: graceful\nschedule: '@every 1m'\ntargets: {urls: [http://127.0.0.1:1/]}\n")
	interrupted := make(chan struct{})
	do := func(ctx context.Context) error {
		<-ctx.Done()
		close(interrupted)
		return ctx.Err()
	}
	sc := schedule(t, time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC), &jobs.Scheduler{Grace: 30 * time.Second}, do, j)
	sc.step(t, 1, time.Minute)
	sc.collect(t, 1)
	sc.cancel()
	select {
	case <-interrupted:
		t.Fatal("the job was interrupted before its grace period")
	case <-sc.done:
		t.Fatal("Run returned while the job was running")
	case <-time.After(50 * time.Millisecond):
	}
	sc.step(t, 1, 30*time.Second) // the grace timer
	select {
	case <-interrupted:
	case <-time.After(10 * time.Second):
		t.Fatal("the job was not interrupted after the grace period")
	}
	select {
	case err := <-sc.done:
		sc.done <- err // for the cleanup
		if err != nil {
			t.Errorf("Run = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
}

func TestScheduleRefuses(t *testing.T) {
	a := parseJob(t, "name: a\nschedule: '@every 1m'\ntargets: {urls: [http://127.0.0.1:1/]}\n")
	noSched := parseJob(t, "name: b\ntargets: {urls: [http://127.0.0.1:1/]}\n")
	twin := parseJob(t, "name: a\nschedule: '@every 1h'\ntargets: {urls: [http://127.0.0.1:1/]}\n")
	sameState := parseJob(t, "name: c\nschedule: '@every 1h'\ntargets: {urls: [http://127.0.0.1:1/]}\n")
	sameState.State = a.State
	for _, js := range [][]*jobs.Job{nil, {noSched}, {a, twin}, {a, sameState}} {
		if err := new(jobs.Scheduler).Run(t.Context(), js...); err == nil {
			t.Errorf("Run(%d jobs) = nil, want an error", len(js))
		}
	}
}
