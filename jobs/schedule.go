package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/jonboulle/clockwork"
)

// DefaultGrace is how long Scheduler.Run lets running jobs finish after
// its context ends before it interrupts them.
const DefaultGrace = 30 * time.Second

// CatchUp is what Scheduler does at start about a run its schedule missed
// while no scheduler was running (the machine was off, the process
// stopped).
type CatchUp string

// The catch-up policies.
const (
	// CatchUpSkip waits for the next slot, as cron does (the default).
	CatchUpSkip CatchUp = "skip"
	// CatchUpOnce runs a job at once if a slot passed since its last run
	// started, or an interrupted run waits to be resumed: one run however
	// many slots were missed, as anacron, systemd's Persistent=true and a
	// CronJob's startingDeadlineSeconds do.
	CatchUpOnce CatchUp = "once"
)

// ParseCatchUp reads a catch-up policy: "skip" or "once".
func ParseCatchUp(s string) (CatchUp, error) {
	switch CatchUp(s) {
	case CatchUpSkip, CatchUpOnce:
		return CatchUp(s), nil
	case "":
		return CatchUpSkip, nil
	}
	return "", fmt.Errorf("catch-up policy %q: want skip or once", s)
}

// Scheduler runs jobs on their schedules (go-co-op/gocron) in one
// long-lived process. A job never overlaps itself: a slot that comes
// while the job's previous run is still going is skipped and logged, and
// a run another process holds (through the state file's lock) is skipped
// and logged too. The zero value is ready to use.
//
// Timers count elapsed (monotonic) time, so a step of the wall clock (an
// NTP correction, a wrong time set right) moves when the slot already
// timed runs, and later slots run on time again. No cron slot runs twice:
// the Scheduler remembers the last slot run by the wall clock, in UTC,
// and skips and logs a firing whose slot is not after it. Set back 1 h
// right after a slot ran, an hourly job skips the firing timed for the
// next slot, which comes while the wall clock shows the slot just run,
// and runs again at the slot after (02:00, 04:00); a daily job runs its
// next slot once, an hour early by the wall clock. Set forward 1 h, the
// slot jumped over is not run: an hourly job runs next at the slot after
// (02:00, 04:00) and a daily job runs its next slot once, an hour late.
// CatchUp does not apply: it is about slots missed before the start.
// "@every" intervals count elapsed time only.
type Scheduler struct {
	// Runner runs each job; nil means a zero Runner.
	Runner *Runner
	// Do replaces Runner.Run, for tests and for callers that wrap a run.
	Do func(ctx context.Context, j *Job) (*Report, error)
	// Clock drives the schedule; nil means the real clock. Tests pass a
	// clockwork fake clock.
	Clock clockwork.Clock
	// Logger receives the schedule's events; nil means none.
	Logger *slog.Logger
	// Jitter delays each run by a random duration in [0, Jitter), so
	// that many jobs on one schedule do not start at the same instant.
	Jitter time.Duration
	// CatchUp is the policy for slots missed before the start.
	CatchUp CatchUp
	// Grace is how long running jobs may go on once ctx ends before they
	// are interrupted (and checkpoint); 0 means DefaultGrace.
	Grace time.Duration
	// Rand returns a random duration in [0, n) for the jitter; nil means
	// math/rand/v2.
	Rand func(n time.Duration) time.Duration
}

func (s *Scheduler) clock() clockwork.Clock {
	if s.Clock != nil {
		return s.Clock
	}
	return clockwork.NewRealClock()
}

func (s *Scheduler) log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (s *Scheduler) do(ctx context.Context, j *Job) (*Report, error) {
	if s.Do != nil {
		return s.Do(ctx, j)
	}
	r := s.Runner
	if r == nil {
		r = &Runner{}
	}
	return r.Run(ctx, j)
}

// Run schedules jobs and runs them until ctx ends; then it lets running
// jobs finish for Grace, interrupts those still going (their work is
// saved and the next run resumes it), waits for them, and returns nil.
// A job without a valid Schedule, or two jobs with one name or one state
// file, is an error before anything runs.
func (s *Scheduler) Run(ctx context.Context, jobs ...*Job) error {
	if len(jobs) == 0 {
		return errors.New("no jobs to schedule")
	}
	names, states := map[string]bool{}, map[string]bool{}
	for _, j := range jobs {
		if j.Schedule == "" {
			return fmt.Errorf("job %s: no schedule", j.Name)
		}
		if _, err := parseSchedule(j.Schedule, j.location()); err != nil {
			return fmt.Errorf("job %s: %w", j.Name, err)
		}
		if names[j.Name] {
			return fmt.Errorf("two jobs are named %q", j.Name)
		}
		if states[j.StatePath()] {
			return fmt.Errorf("job %s: another job uses its state file %s", j.Name, j.StatePath())
		}
		names[j.Name], states[j.StatePath()] = true, true
	}
	clock := s.clock()
	grace := s.Grace
	if grace <= 0 {
		grace = DefaultGrace
	}
	log := s.log()
	// One gocron scheduler per job, in the job's time zone: gocron reads
	// the wall clock of its location to run a slot once on the day of a
	// DST change (HOSTILE.md Q3).
	var scheds []gocron.Scheduler
	shutdown := func() error {
		var errs []error
		for _, sc := range scheds {
			errs = append(errs, sc.Shutdown())
		}
		return errors.Join(errs...)
	}
	// Runs get runCtx, which outlives ctx by the grace period.
	runCtx, interrupt := context.WithCancel(context.WithoutCancel(ctx))
	defer interrupt()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		stopping bool
	)
	gjobs := make([]gocron.Job, len(jobs))
	for i, j := range jobs {
		var running atomic.Bool
		last := newLastSlot(j)
		task := func() {
			if !last.claim(clock.Now(), log.With("job", j.Name)) {
				return
			}
			mu.Lock()
			if stopping || ctx.Err() != nil {
				mu.Unlock()
				return
			}
			if !running.CompareAndSwap(false, true) {
				mu.Unlock()
				log.Warn("run skipped: the previous run is still going", "job", j.Name)
				return
			}
			wg.Add(1)
			mu.Unlock()
			defer wg.Done()
			defer running.Store(false)
			s.runOne(ctx, runCtx, clock, j)
		}
		def, err := definition(j)
		if err != nil {
			shutdown()
			return err
		}
		sched, err := gocron.NewScheduler(gocron.WithClock(clock), gocron.WithLocation(j.location()),
			gocron.WithStopTimeout(grace+10*time.Second))
		if err != nil {
			shutdown()
			return err
		}
		scheds = append(scheds, sched)
		gj, err := sched.NewJob(def, gocron.NewTask(task), gocron.WithName(j.Name),
			gocron.WithDaylightSavingsTimePolicy(gocron.DaylightSavingsTimeRunAfterTransition))
		if err != nil {
			shutdown()
			return fmt.Errorf("job %s: %w", j.Name, err)
		}
		gjobs[i] = gj
	}
	for _, sc := range scheds {
		sc.Start()
	}
	for i, j := range jobs {
		next, _ := gjobs[i].NextRun()
		log.Info("scheduled", "job", j.Name, "schedule", j.Schedule, "next", next.UTC())
		if s.missed(j, clock.Now()) {
			if s.CatchUp == CatchUpOnce {
				log.Info("catching up a missed run", "job", j.Name)
				if err := gjobs[i].RunNow(); err != nil {
					log.Error("catch-up run", "job", j.Name, "err", err)
				}
			} else {
				log.Info("a slot was missed; waiting for the next (catch-up policy skip)", "job", j.Name)
			}
		}
	}
	<-ctx.Done()
	log.Info("stopping: letting running jobs finish", "grace", grace)
	mu.Lock()
	stopping = true
	mu.Unlock()
	finished := make(chan struct{})
	go func() {
		wg.Wait()
		close(finished)
	}()
	select {
	case <-finished:
	case <-clock.After(grace):
		log.Warn("grace period over: interrupting running jobs")
		interrupt()
		<-finished
	}
	return shutdown()
}

// runOne runs j once after the jitter and logs the outcome.
func (s *Scheduler) runOne(ctx, runCtx context.Context, clock clockwork.Clock, j *Job) {
	log := s.log().With("job", j.Name)
	if s.Jitter > 0 {
		d := s.jitter(s.Jitter)
		select {
		case <-clock.After(d):
		case <-ctx.Done():
			return
		}
	}
	start := clock.Now()
	rep, err := s.do(runCtx, j)
	switch {
	case errors.Is(err, ErrLocked):
		log.Warn("run skipped: another process is running the job", "state", j.StatePath())
	case err != nil && rep != nil && rep.Run.Status == Interrupted:
		log.Warn("run interrupted; the next run resumes it", "run", rep.Run.ID(), "err", err)
	case err != nil:
		log.Error("run failed", "err", err)
	default:
		c := rep.Run.Counts
		log.Info("run done", "run", rep.Run.ID(), "status", rep.Run.Status, "took", clock.Since(start).Round(time.Millisecond),
			"new", c.New, "changed", c.Changed, "unchanged", c.Unchanged, "gone", c.Gone, "failed", c.Failed)
	}
}

func (s *Scheduler) jitter(n time.Duration) time.Duration {
	if s.Rand != nil {
		return s.Rand(n)
	}
	return rand.N(n)
}

// missed reports whether a slot of j's schedule passed between its last
// run's start and now, or an interrupted run waits.
func (s *Scheduler) missed(j *Job, now time.Time) bool {
	st, err := ReadHistory(j, 0)
	if err != nil || len(st.Runs) == 0 {
		return false
	}
	last := st.Runs[len(st.Runs)-1]
	if last.Status == Running || last.Status == Interrupted {
		return true
	}
	sched, err := parseSchedule(j.Schedule, j.location())
	if err != nil {
		return false
	}
	next := sched.next(last.Started.In(j.location()))
	return !next.IsZero() && !next.After(now)
}

// definition returns the gocron definition of j's schedule.
func definition(j *Job) (gocron.JobDefinition, error) {
	spec := strings.TrimSpace(j.Schedule)
	if rest, ok := strings.CutPrefix(spec, "@every"); ok {
		d, err := time.ParseDuration(strings.TrimSpace(rest))
		if err != nil {
			return nil, err
		}
		return gocron.DurationJob(d), nil
	}
	return gocron.CronJob(spec, true), nil
}

// lastSlot remembers the wall time, in UTC, of the last slot of a cron
// schedule run, so that a wall clock set back never runs a slot twice:
// gocron arms its timers as durations, which count monotonic time, so
// after the clock goes back the timer for the next slot fires while the
// wall clock still shows a slot already run; and when a timer lands
// exactly on the next slot gocron fires that slot again at once.
// "@every" schedules count monotonic time only and need no guard: their
// lastSlot is nil.
type lastSlot struct {
	mu sync.Mutex
	t  time.Time
}

func newLastSlot(j *Job) *lastSlot {
	if strings.HasPrefix(strings.TrimSpace(j.Schedule), "@every") {
		return nil
	}
	return new(lastSlot)
}

// claim reports whether a firing at now runs, and if so remembers its
// slot: now to the second, as cron slots are whole seconds and a timer
// fires within a second of its slot. A slot not after the last one run
// is skipped and logged.
func (l *lastSlot) claim(now time.Time, log *slog.Logger) bool {
	if l == nil {
		return true
	}
	slot := now.UTC().Truncate(time.Second)
	l.mu.Lock()
	defer l.mu.Unlock()
	if !slot.After(l.t) {
		log.Warn("run skipped: its slot already ran (the wall clock stepped)", "slot", slot, "last", l.t)
		return false
	}
	l.t = slot
	return true
}
