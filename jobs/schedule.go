package jobs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
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
// Each slot of a cron schedule runs exactly once by the wall clock, in
// the job's time zone, also when the wall clock steps (an NTP correction,
// a wrong time set right). gocron's timers count elapsed (monotonic) time,
// so after a step they fire off the slots; the Scheduler keeps the last
// slot run and skips and logs a firing with no slot due, and a watch that
// reads the wall clock a second after each slot and at least every minute
// runs a due slot whose timer did not fire: a slot the clock jumped over
// within a minute of the step, and one whose timer the step set late a
// second after it is due. Set back 1 h at 02:00:30, right after the 02:00
// slot ran, an hourly job runs at 03:00:01 and then on time; set forward
// 1 h, to 03:00:30, it runs the 03:00 slot at 03:01:01 and then on time; a
// daily job runs its next slot at 02:00:01 either way. Several slots
// jumped over run once, and that is logged.
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
	// Logger receives the schedule's events; nil means none. A run's end
	// (done, interrupted) is logged here unless Runner has a Logger,
	// which logs it with the run's other events.
	Logger *slog.Logger
	// Jitter delays each run by a random duration in [0, Jitter), so
	// that many jobs on one schedule do not start at the same instant.
	Jitter time.Duration
	// CatchUp is the policy for slots missed before the start.
	CatchUp CatchUp
	// Grace is how long running jobs may go on once ctx ends before they
	// are interrupted (and checkpoint); 0 means DefaultGrace, a negative
	// value none: they are interrupted at once.
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
// A job without a valid Schedule, or two jobs with one name, one state
// file or one output directory, is an error before anything runs.
func (s *Scheduler) Run(ctx context.Context, jobs ...*Job) error {
	if len(jobs) == 0 {
		return errors.New("no jobs to schedule")
	}
	names, states, outputs := map[string]bool{}, map[string]bool{}, map[string]string{}
	parsed := make([]*schedule, len(jobs))
	for i, j := range jobs {
		if err := j.Validate(); err != nil {
			return err
		}
		if j.Schedule == "" {
			return fmt.Errorf("job %s: no schedule", j.Name)
		}
		var err error
		if parsed[i], err = parseSchedule(j.Schedule, j.location()); err != nil {
			return fmt.Errorf("job %s: %w", j.Name, err)
		}
		if names[j.Name] {
			return fmt.Errorf("two jobs are named %q", j.Name)
		}
		if states[j.StatePath()] {
			return fmt.Errorf("job %s: another job uses its state file %s", j.Name, j.StatePath())
		}
		if other, ok := outputs[filepath.Clean(j.OutputDir())]; ok {
			return fmt.Errorf("%w: jobs %s and %s both write their reports to %s", ErrSharedOutput, other, j.Name, j.OutputDir())
		}
		names[j.Name], states[j.StatePath()], outputs[filepath.Clean(j.OutputDir())] = true, true, j.Name
	}
	clock := s.clock()
	grace := max(cmp.Or(s.Grace, DefaultGrace), 0)
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
	running := make([]atomic.Bool, len(jobs))
	// begin reports whether job i starts a run now, and counts it in wg.
	begin := func(i int) bool {
		mu.Lock()
		defer mu.Unlock()
		if stopping || ctx.Err() != nil {
			return false
		}
		if !running[i].CompareAndSwap(false, true) {
			log.Warn("run skipped: the previous run is still going", "job", jobs[i].Name)
			return false
		}
		wg.Add(1)
		return true
	}
	run := func(i int) {
		defer wg.Done()
		defer running[i].Store(false)
		s.runOne(ctx, runCtx, clock, jobs[i])
	}
	start := clock.Now()
	all := make([]*slots, len(jobs))
	// claim reports whether a firing of job i has a slot to run.
	claim := func(i int) bool {
		if all[i] == nil {
			return true
		}
		slot, n, ok := all[i].claim(clock.Now())
		switch {
		case !ok:
			log.Warn("run skipped: its slot already ran (the wall clock stepped)", "job", jobs[i].Name, "next", all[i].next().UTC())
		case n > 1:
			log.Warn("the wall clock jumped over slots: one run for them", "job", jobs[i].Name, "slots", n, "slot", slot)
		}
		return ok
	}
	gjobs := make([]gocron.Job, len(jobs))
	for i, j := range jobs {
		all[i] = newSlots(parsed[i], start)
		def := parsed[i].definition()
		sched, err := gocron.NewScheduler(gocron.WithClock(clock), gocron.WithLocation(parsed[i].loc),
			gocron.WithStopTimeout(grace+10*time.Second))
		if err != nil {
			shutdown()
			return err
		}
		scheds = append(scheds, sched)
		task := func() {
			if claim(i) && begin(i) {
				run(i)
			}
		}
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
		if missed(j, parsed[i], start) {
			if s.CatchUp == CatchUpOnce {
				log.Info("catching up a missed run", "job", j.Name)
				if begin(i) {
					go run(i)
				}
			} else {
				log.Info("a slot was missed; waiting for the next (catch-up policy skip)", "job", j.Name)
			}
		}
	}
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		watch(ctx, clock, all, func(i int) {
			if claim(i) && begin(i) {
				go run(i)
			}
		})
	}()
	defer func() { <-watched }()
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
	case <-clock.After(grace): // at once for 0
		log.Warn("grace period over: interrupting running jobs")
		interrupt()
		<-finished
	}
	return shutdown()
}

// watchLag is how long after its slot the watch runs a slot not fired,
// and watchEvery how often at most it reads the wall clock.
const (
	watchLag   = time.Second
	watchEvery = time.Minute
)

// watch runs, until ctx ends, each slot of jobs that is due by the wall
// clock and was not fired by its gocron timer: it reads the clock
// watchLag after each slot and at least every watchEvery, so a slot whose
// timer a step of the clock set late runs watchLag after it is due, and a
// slot the clock jumped over runs within watchEvery of the step. fire(i)
// runs job i's due slot.
func watch(ctx context.Context, clock clockwork.Clock, all []*slots, fire func(i int)) {
	for {
		now := clock.Now()
		wait := watchEvery
		for i, sl := range all {
			if sl == nil {
				continue
			}
			if next := sl.next(); !next.IsZero() && !now.Before(next.Add(watchLag)) {
				fire(i)
			}
			// The next check is watchLag after the first slot not yet
			// checked, whether or not its timer has fired.
			if next := sl.after(now.Add(-watchLag)); !next.IsZero() {
				wait = min(wait, next.Add(watchLag).Sub(now))
			}
		}
		select {
		case <-clock.After(max(wait, time.Millisecond)):
		case <-ctx.Done():
			return
		}
	}
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
	// A Runner with a Logger logs its run's end itself.
	runnerLogs := s.Do == nil && s.Runner != nil && s.Runner.Logger != nil
	interrupted := err != nil && rep != nil && rep.Run.Status == Interrupted
	switch {
	case errors.Is(err, ErrLocked):
		log.Warn("run skipped: another process is running the job", "state", j.StatePath())
	case runnerLogs && (err == nil || interrupted):
		// the Runner logged the run's end
	case interrupted:
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

// missed reports whether a slot of j's schedule, sched, passed between its
// last run's start and now, or an interrupted or stopped run waits.
func missed(j *Job, sched *schedule, now time.Time) bool {
	st, err := ReadHistory(j, 0)
	if err != nil || len(st.Runs) == 0 {
		return false
	}
	last := st.Runs[len(st.Runs)-1]
	if last.Status == Stopped || last.Status == Interrupted {
		return true
	}
	next := sched.next(last.Started)
	return !next.IsZero() && !next.After(now)
}

// definition returns the gocron definition of the schedule.
func (s *schedule) definition() gocron.JobDefinition {
	if s.every > 0 {
		return gocron.DurationJob(s.every)
	}
	return gocron.CronJob(s.spec, true)
}

// slots keeps, for a cron job, the last slot run: the Scheduler's wall
// clock decides what is due, so that each slot runs exactly once whatever
// the wall clock does. gocron arms its timers as durations, which count
// monotonic time, so after a step of the wall clock they fire off the
// slots: set back, the timer for the next slot fires while the wall clock
// shows a slot already run; set forward, a slot jumped over is not fired
// until the timer that counted to it, an hour late; and when a timer lands
// exactly on the next slot gocron fires that slot again at once. A firing
// runs only if a slot is due, and the Scheduler's watch runs a slot due
// and not fired.
type slots struct {
	sched *schedule
	mu    sync.Mutex
	last  time.Time // the last slot run, or the start
}

// maxDue bounds the slots claim counts: a step of years on a schedule of
// seconds claims the slots up to now as one without counting them.
const maxDue = 10000

// newSlots returns the slots of sched from start, or nil for an "@every"
// schedule, which counts monotonic time only.
func newSlots(sched *schedule, start time.Time) *slots {
	if sched.every > 0 {
		return nil
	}
	return &slots{sched: sched, last: start}
}

// next returns the first slot after the last one run.
func (s *slots) next() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sched.next(s.last)
}

// after returns the first slot after t.
func (s *slots) after(t time.Time) time.Time {
	return s.sched.next(t)
}

// claim reports whether a slot is due at now, and if so takes the latest
// one due as run; n is how many were due (more than one when the wall
// clock jumped over some).
func (s *slots) claim(now time.Time) (slot time.Time, n int, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for next := s.sched.next(s.last); !next.IsZero() && !next.After(now); next = s.sched.next(next) {
		slot, n = next, n+1
		if n == maxDue {
			slot = now
			break
		}
	}
	if n == 0 {
		return time.Time{}, 0, false
	}
	s.last = slot
	return slot.UTC(), n, true
}
