package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
	_ "time/tzdata"

	"github.com/jonboulle/clockwork"

	"github.com/grabhq/grab/internal/testkit"
	"github.com/grabhq/grab/jobs"
	"github.com/grabhq/grab/testserver"
)

// syncBuffer is safe for a writer and a reader at once.
type syncBuffer = testkit.SyncBuffer

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

// bubble runs s on j inside a synctest bubble from start: the clock is
// fake, and step lets every goroutine settle before and after moving it.
type bubble struct {
	runs   []time.Time
	mu     sync.Mutex
	log    *syncBuffer
	cancel context.CancelFunc
	done   chan error
}

func startBubble(t *testing.T, start time.Time, s *jobs.Scheduler, do func(ctx context.Context) error, j *jobs.Job) *bubble {
	time.Sleep(time.Until(start))
	b := &bubble{log: new(syncBuffer), done: make(chan error, 1)}
	s.Logger = slog.New(slog.NewTextHandler(b.log, nil))
	s.Do = func(ctx context.Context, j *jobs.Job) (*jobs.Report, error) {
		b.mu.Lock()
		b.runs = append(b.runs, time.Now().UTC())
		b.mu.Unlock()
		if do != nil {
			if err := do(ctx); err != nil {
				return nil, err
			}
		}
		return &jobs.Report{Run: jobs.RunInfo{Job: j.Name, Status: jobs.OK}}, nil
	}
	ctx, cancel := context.WithCancel(t.Context())
	b.cancel = cancel
	go func() { b.done <- s.Run(ctx, j) }()
	synctest.Wait()
	return b
}

func (b *bubble) step(d time.Duration) {
	time.Sleep(d)
	synctest.Wait()
}

func (b *bubble) started() []time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]time.Time(nil), b.runs...)
}

func (b *bubble) stop(t *testing.T) {
	b.cancel()
	if err := <-b.done; err != nil {
		t.Errorf("Run = %v", err)
	}
}

func TestScheduleEvery(t *testing.T) {
	j := parseJob(t, "name: every\nschedule: '@every 1m'\ntargets: {urls: [http://127.0.0.1:1/]}\n")
	synctest.Test(t, func(t *testing.T) {
		start := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
		b := startBubble(t, start, &jobs.Scheduler{}, nil, j)
		for range 5 {
			b.step(30 * time.Second)
		}
		b.stop(t)
		var want []time.Time
		for i := range 2 {
			want = append(want, start.Add(time.Duration(i+1)*time.Minute))
		}
		if got := b.started(); !slices.Equal(got, want) {
			t.Errorf("runs at %v, want %v", got, want)
		}
	})
}

// TestScheduleNoOverlap: a job lasting 3 times its interval is never run
// twice at once; the slots that come meanwhile are skipped and logged
// (HOSTILE.md Q1).
func TestScheduleNoOverlap(t *testing.T) {
	j := parseJob(t, "name: slow\nschedule: '@every 1m'\ntargets: {urls: [http://127.0.0.1:1/]}\n")
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		do := func(ctx context.Context) error {
			select {
			case <-release:
			case <-ctx.Done():
			}
			return nil
		}
		start := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
		b := startBubble(t, start, &jobs.Scheduler{}, do, j)
		b.step(time.Minute) // 12:01: the run starts, and lasts
		for range 3 {
			b.step(time.Minute)
		}
		if n := strings.Count(b.log.String(), "run skipped: the previous run is still going"); n != 3 {
			t.Errorf("%d skipped slots logged, want 3; log:\n%s", n, b.log)
		}
		close(release)
		synctest.Wait()
		b.step(time.Minute) // 12:05: the next run
		b.stop(t)
		want := []time.Time{start.Add(time.Minute), start.Add(5 * time.Minute)}
		if got := b.started(); !slices.Equal(got, want) {
			t.Errorf("runs at %v, want %v", got, want)
		}
	})
}

// TestScheduleDST: a daily slot runs exactly once a day across the
// spring-forward gap (02:30 does not exist: it runs at 03:30 EDT, the
// instant 02:30 EST would have been)
// and the fall-back repeat (01:30 happens twice: it runs once), and a
// yearly leap-day slot runs on Feb 29 (HOSTILE.md Q3). It runs in a
// synctest bubble, whose clock is fake and where synctest.Wait lets every
// run finish before time moves on.
func TestScheduleDST(t *testing.T) {
	tests := []struct {
		name     string
		schedule string
		start    time.Time
		days     int
		want     []string // local times of the runs
	}{
		{"spring forward", "30 2 * * *", time.Date(2025, 3, 7, 12, 0, 0, 0, time.UTC), 4,
			[]string{"2025-03-08 02:30 EST", "2025-03-09 03:30 EDT", "2025-03-10 02:30 EDT", "2025-03-11 02:30 EDT"}},
		{"fall back", "30 1 * * *", time.Date(2025, 10, 31, 12, 0, 0, 0, time.UTC), 4,
			[]string{"2025-11-01 01:30 EDT", "2025-11-02 01:30 EDT", "2025-11-03 01:30 EST", "2025-11-04 01:30 EST"}},
		// Weekly on the day of the gap: it runs at 03:30 EDT; on the day
		// after, it runs at 02:30 EDT only.
		{"weekly on the gap day", "30 2 * * 0", time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC), 9,
			[]string{"2025-03-02 02:30 EST", "2025-03-09 03:30 EDT"}},
		{"weekly after the gap day", "30 2 * * 1", time.Date(2025, 3, 7, 12, 0, 0, 0, time.UTC), 4,
			[]string{"2025-03-10 02:30 EDT"}},
		// Hourly across the fall-back: 01:00 happens twice and runs once.
		{"hourly fall back", "0 * * * *", time.Date(2025, 11, 2, 4, 30, 0, 0, time.UTC), 0,
			[]string{"2025-11-02 01:00 EDT", "2025-11-02 02:00 EST", "2025-11-02 03:00 EST"}},
		// Every 30 minutes: 01:00 and 01:30 both happen twice, each runs once.
		{"half-hourly fall back", "*/30 * * * *", time.Date(2025, 11, 2, 4, 45, 0, 0, time.UTC), 0,
			[]string{"2025-11-02 01:00 EDT", "2025-11-02 01:30 EDT", "2025-11-02 02:00 EST", "2025-11-02 02:30 EST", "2025-11-02 03:00 EST", "2025-11-02 03:30 EST"}},
		{"leap day", "0 12 29 2 *", time.Date(2028, 2, 27, 0, 0, 0, 0, time.UTC), 3,
			[]string{"2028-02-29 12:00 EST"}},
		// Havana's clocks jump from midnight to 01:00: a midnight slot
		// on that day runs at 01:00 CDT, on that day (not at 23:00 the
		// day before, where time.Date puts the missing midnight).
		{"Havana midnight gap daily", "@daily", time.Date(2026, 3, 6, 17, 0, 0, 0, time.UTC), 3,
			[]string{"2026-03-07 00:00 CST", "2026-03-08 01:00 CDT", "2026-03-09 00:00 CDT"}},
		{"Havana midnight gap weekly", "0 0 * * 0", time.Date(2026, 3, 6, 17, 0, 0, 0, time.UTC), 3,
			[]string{"2026-03-08 01:00 CDT"}},
		// Lord Howe's clocks move by 30 minutes: 02:00 to 02:30 on
		// 2026-10-04, 02:00 back to 01:30 on 2026-04-05. The parser's own
		// Next ran a daily 01:30 again at 02:30 after the gap, and lost
		// the hourly 02:00 slot in it.
		{"Lord Howe daily across the gap", "30 1 * * *", time.Date(2026, 10, 2, 14, 0, 0, 0, time.UTC), 3,
			[]string{"2026-10-03 01:30 +1030", "2026-10-04 01:30 +1030", "2026-10-05 01:30 +11"}},
		{"Lord Howe hourly across the gap", "0 * * * *", time.Date(2026, 10, 3, 14, 10, 0, 0, time.UTC), 0,
			[]string{"2026-10-04 01:00 +1030", "2026-10-04 02:30 +11", "2026-10-04 03:00 +11", "2026-10-04 04:00 +11", "2026-10-04 05:00 +11"}},
		{"Lord Howe daily across the repeat", "30 1 * * *", time.Date(2026, 4, 3, 13, 0, 0, 0, time.UTC), 3,
			[]string{"2026-04-04 01:30 +11", "2026-04-05 01:30 +11", "2026-04-06 01:30 +1030"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			zone := "America/New_York"
			switch {
			case strings.HasPrefix(tt.name, "Havana"):
				zone = "America/Havana"
			case strings.HasPrefix(tt.name, "Lord Howe"):
				zone = "Australia/Lord_Howe"
			}
			loc, err := time.LoadLocation(zone)
			if err != nil {
				t.Fatal(err)
			}
			j := parseJob(t, fmt.Sprintf("name: daily\nschedule: '%s'\ntimezone: %s\ntargets: {urls: ['http://127.0.0.1:1/']}\n", tt.schedule, zone))
			synctest.Test(t, func(t *testing.T) {
				time.Sleep(time.Until(tt.start))
				var mu sync.Mutex
				var got []string
				s := &jobs.Scheduler{Do: func(ctx context.Context, j *jobs.Job) (*jobs.Report, error) {
					mu.Lock()
					got = append(got, time.Now().In(loc).Format("2006-01-02 15:04 MST"))
					mu.Unlock()
					return &jobs.Report{Run: jobs.RunInfo{Status: jobs.OK}}, nil
				}}
				ctx, cancel := context.WithCancel(t.Context())
				done := make(chan error, 1)
				go func() { done <- s.Run(ctx, j) }()
				synctest.Wait()
				for range max(tt.days*24*4, 16) {
					time.Sleep(15 * time.Minute)
					synctest.Wait()
				}
				cancel()
				if err := <-done; err != nil {
					t.Errorf("Run = %v", err)
				}
				mu.Lock()
				defer mu.Unlock()
				if !slices.Equal(got, tt.want) {
					t.Errorf("runs at\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
				}
			})
		})
	}
}

// TestNextGapAnyZone: Job.Next finds the slot in a DST gap whatever the
// location of the time it is given, and from earlier on the gap day itself.
func TestNextGapAnyZone(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	j := parseJob(t, "name: gap\nschedule: '30 2 * * *'\ntimezone: America/New_York\ntargets: {urls: ['http://127.0.0.1:1/']}\n")
	want := "2026-03-08 03:30 EDT"
	for _, from := range []time.Time{
		time.Date(2026, 3, 7, 12, 0, 0, 0, time.UTC), // a UTC time, as time.Now() may be
		time.Date(2026, 3, 7, 12, 0, 0, 0, ny),
		time.Date(2026, 3, 8, 1, 0, 0, 0, ny), // the gap day, before the gap
	} {
		if got := j.Next(from).In(ny).Format("2006-01-02 15:04 MST"); got != want {
			t.Errorf("Next(%v) = %s, want %s", from, got, want)
		}
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

// TestScheduleNoGrace: with a negative Grace a running job is
// interrupted as soon as the context ends.
func TestScheduleNoGrace(t *testing.T) {
	j := parseJob(t, "name: hasty\nschedule: '@every 1m'\ntargets: {urls: [http://127.0.0.1:1/]}\n")
	interrupted := make(chan struct{})
	do := func(ctx context.Context) error {
		<-ctx.Done()
		close(interrupted)
		return ctx.Err()
	}
	sc := schedule(t, time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC), &jobs.Scheduler{Grace: -1}, do, j)
	sc.step(t, 1, time.Minute)
	sc.collect(t, 1)
	sc.cancel()
	select {
	case <-interrupted:
	case <-time.After(10 * time.Second):
		t.Fatal("the job was not interrupted at once")
	}
	select {
	case err := <-sc.done:
		sc.done <- err // for the cleanup
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
}

// TestScheduleSundaySeven: 7 in the weekday field is Sunday, as 0 is, as
// cron(8) reads it, alone, ending a range or a stepped range.
func TestScheduleSundaySeven(t *testing.T) {
	sat := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC) // a Saturday
	day := func(d int) time.Time { return time.Date(2026, 11, d, 9, 0, 0, 0, time.UTC) }
	tests := []struct {
		schedule string
		want     []time.Time // the next slots after sat
	}{
		{"0 9 * * 7", []time.Time{day(22), day(29)}},
		{"0 9 * * 0", []time.Time{day(22), day(29)}},
		{"0 9 * * 5-7", []time.Time{day(22), day(27), day(28), day(29)}},
		{"0 9 * * 1-7/3", []time.Time{day(22), day(23), day(26), day(29)}},                             // Mon, Thu, Sun
		{"0 9 * * 2-7/3", []time.Time{day(24), day(27), time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}}, // Tue, Fri: 2+3+3 is past 7
		{"0 0 9 * * 6,7", []time.Time{day(22), day(28), day(29)}},
		{"CRON_TZ=UTC 0 9 * * 7", []time.Time{day(22), day(29)}},
	}
	for _, tt := range tests {
		j := parseJob(t, "name: a\ntimezone: UTC\nschedule: '"+tt.schedule+"'\ntargets: {urls: [http://127.0.0.1:1/]}\n")
		at := sat
		for i, want := range tt.want {
			if at = j.Next(at); !at.Equal(want) {
				t.Errorf("%q: slot %d is %v, want %v", tt.schedule, i+1, at, want)
				break
			}
		}
	}
	if _, err := jobs.Parse([]byte("name: a\nschedule: '0 9 * * 8'\ntargets: {urls: [http://127.0.0.1:1/]}\n"), ""); err == nil || !strings.Contains(err.Error(), `"0 9 * * 8" is not a valid cron expression`) {
		t.Errorf("weekday 8: %v", err)
	}
}

func TestScheduleRefuses(t *testing.T) {
	a := parseJob(t, "name: a\nschedule: '@every 1m'\ntargets: {urls: [http://127.0.0.1:1/]}\n")
	noSched := parseJob(t, "name: b\ntargets: {urls: [http://127.0.0.1:1/]}\n")
	twin := parseJob(t, "name: a\nschedule: '@every 1h'\ntargets: {urls: [http://127.0.0.1:1/]}\n")
	sameState := parseJob(t, "name: c\nschedule: '@every 1h'\ntargets: {urls: [http://127.0.0.1:1/]}\n")
	sameState.State = a.State
	sameOutput := parseJob(t, "name: d\nschedule: '@every 1h'\ntargets: {urls: [http://127.0.0.1:1/]}\noutput: {dir: a-runs}\n")
	for _, js := range [][]*jobs.Job{nil, {noSched}, {a, twin}, {a, sameState}, {a, sameOutput}} {
		if err := new(jobs.Scheduler).Run(t.Context(), js...); err == nil {
			t.Errorf("Run(%d jobs) = nil, want an error", len(js))
		}
	}
	if err := new(jobs.Scheduler).Run(t.Context(), a, sameOutput); !errors.Is(err, jobs.ErrSharedOutput) {
		t.Errorf("Run(two jobs of one output dir) = %v, want ErrSharedOutput", err)
	}
}

// jumpClock is a clockwork.Clock whose wall clock (Now) can jump while
// its timers, like the monotonic timers of the runtime, keep counting
// real elapsed time.
type jumpClock struct {
	clockwork.Clock
	mu  sync.Mutex
	off time.Duration
}

func (c *jumpClock) jump(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

func (c *jumpClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.Clock.Now().Add(c.off)
}

func (c *jumpClock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }
func (c *jumpClock) Until(t time.Time) time.Duration { return t.Sub(c.Now()) }

// TestScheduleClockJump: the wall clock jumps 1 h at 02:00:30, right
// after the 02:00 slot ran, while timers keep counting monotonic time
// (HOSTILE.md Q3). Each slot runs exactly once, by the wall clock.
// gocron's timer set for the next slot fires off it: set back, while the
// wall clock shows a slot already run (skipped and logged); set forward,
// an hour late. The watch runs the slot its timer missed: a second after
// it is due, or within a minute of a step that jumped over it.
func TestScheduleClockJump(t *testing.T) {
	d1 := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	at := func(day, hour int) time.Time { return d1.Add(time.Duration(day*24+hour) * time.Hour) }
	late := func(day, hour int) time.Time { return at(day, hour).Add(time.Second) } // by the watch
	jumped := at(0, 3).Add(time.Minute + time.Second)                               // by the watch's next look
	tests := []struct {
		name     string
		schedule string
		jump     time.Duration
		hours    int // monotonic hours run after the jump
		want     []time.Time
	}{
		{"back hourly", "0 * * * *", -time.Hour, 6, []time.Time{at(0, 2), late(0, 3), at(0, 4), at(0, 5), at(0, 6), at(0, 7)}},
		{"back daily", "0 2 * * *", -time.Hour, 48, []time.Time{at(0, 2), late(1, 2)}},
		// The timer set for 03:00 fires at 04:00 by the wall clock, exactly
		// on the next slot: gocron then fires that slot again at once,
		// repeatedly, and the slot runs once.
		{"forward hourly", "0 * * * *", time.Hour, 6, []time.Time{at(0, 2), jumped, at(0, 4), at(0, 5), at(0, 6), at(0, 7), at(0, 8), at(0, 9)}},
		{"forward daily", "0 2 * * *", time.Hour, 48, []time.Time{at(0, 2), late(1, 2), at(2, 2)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := parseJob(t, "name: jump\nschedule: '"+tt.schedule+"'\ntimezone: UTC\ntargets: {urls: ['http://127.0.0.1:1/']}\n")
			synctest.Test(t, func(t *testing.T) {
				time.Sleep(time.Until(at(0, 1).Add(30 * time.Minute)))
				clock := &jumpClock{Clock: clockwork.NewRealClock()} // the bubble's fake time
				var mu sync.Mutex
				var got []time.Time
				log := new(syncBuffer)
				s := &jobs.Scheduler{Clock: clock, Logger: slog.New(slog.NewTextHandler(log, nil)),
					Do: func(ctx context.Context, j *jobs.Job) (*jobs.Report, error) {
						mu.Lock()
						got = append(got, clock.Now().UTC())
						mu.Unlock()
						return &jobs.Report{Run: jobs.RunInfo{Job: j.Name, Status: jobs.OK}}, nil
					}}
				ctx, cancel := context.WithCancel(t.Context())
				done := make(chan error, 1)
				go func() { done <- s.Run(ctx, j) }()
				synctest.Wait()
				time.Sleep(30 * time.Minute) // 02:00: the slot runs
				synctest.Wait()
				time.Sleep(30 * time.Second)
				clock.jump(tt.jump)
				for range tt.hours * 4 {
					time.Sleep(15 * time.Minute)
					synctest.Wait()
				}
				cancel()
				if err := <-done; err != nil {
					t.Errorf("Run = %v", err)
				}
				mu.Lock()
				defer mu.Unlock()
				if !slices.Equal(got, tt.want) {
					t.Errorf("runs at %v, want %v", got, tt.want)
				}
				if !strings.Contains(log.String(), "its slot already ran") {
					t.Errorf("the off-slot firing is not logged; log:\n%s", log)
				}
			})
		})
	}
}

// TestScheduleLogsRunOnce: under a Runner with a Logger, the Scheduler
// does not log a run's end again: one line for a run done, one for a run
// interrupted.
func TestScheduleLogsRunOnce(t *testing.T) {
	s := newSite(t)
	s.Set("/img/0.png", "image/png", imgBody("/img/0.png", 1), testserver.ETag)
	s.page("/gallery.html", testserver.ETag, []string{"/img/0.png"}, nil)
	j := jobFile(t, t.TempDir(), fmt.Sprintf("name: once\nschedule: '@every 1m'\ntargets: {urls: [%s/gallery.html]}\nextract: {images: true}\nretries: 0\n", s.URL))
	log := new(syncBuffer)
	logger := slog.New(slog.NewTextHandler(log, nil))
	r := runner(t)
	r.Logger = logger
	clock := clockwork.NewFakeClockAt(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC))
	sched := &jobs.Scheduler{Runner: r, Logger: logger, Clock: clock, Grace: -1}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- sched.Run(ctx, j) }()
	// until moves the clock on by 30s every 10ms until ok (a slot's run
	// starts once its timer and the scheduler's watch have fired).
	until := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); !ok(); {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not seen; log:\n%s", what, log)
			}
			clock.Advance(30 * time.Second)
			time.Sleep(10 * time.Millisecond)
		}
	}
	until("run 1 finished", func() bool { return strings.Contains(log.String(), `msg="run finished"`) })

	b := s.Block("/gallery.html")
	until("run 2 at the gate", func() bool {
		select {
		case <-b.Arrived():
			return true
		default:
			return false
		}
	})
	cancel()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return")
	}
	b.Release()
	text := log.String()
	for msg, want := range map[string]int{"run finished": 1, "run done": 0, "run interrupted": 1} {
		if n := strings.Count(text, msg); n != want {
			t.Errorf("%q logged %d times, want %d; log:\n%s", msg, n, want, text)
		}
	}
}
