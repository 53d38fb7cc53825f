package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/grabhq/grab/internal/redact"
	"github.com/grabhq/grab/jobs"
)

// Exit codes of grab job run besides ExitOK, ExitFailure and
// ExitInterrupted.
const (
	ExitPartial = 3  // some items failed, or limits.max_items cut the run short
	ExitLocked  = 75 // the job is already running (EX_TEMPFAIL): try later
)

const jobLong = `Run scheduled data-collection jobs described by YAML job files: fetch
pages with the validators of the last run (If-None-Match, If-Modified-Since),
take their images, links or fields, download what is new or changed, and
report every item as new, changed, unchanged or gone.

A job keeps its state (validators, content hashes, items seen, run history)
in a bbolt file, locked while a run goes, so a job never runs twice at once,
even from two processes. A run killed half-way is resumed by the next run,
which loses no item and counts none twice.

Secrets (passwords, tokens, cookies) come from environment variables or
files named in the job file, never from the file itself.`

func newJob(e *env) *cobra.Command {
	c := &cobra.Command{
		Use:   "job",
		Short: "Run scheduled collection jobs (validate, run, schedule, status)",
		Long:  jobLong,
		Example: `  grab job validate examples/jobs/gallery.yaml
  grab job run examples/jobs/gallery.yaml          # once, from cron or a systemd timer
  grab job schedule examples/jobs/*.yaml           # a long-lived scheduler
  grab job status examples/jobs/gallery.yaml`,
	}
	c.AddCommand(newJobValidate(e), newJobRun(e), newJobSchedule(e), newJobStatus(e))
	return c
}

func newJobValidate(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check job files and print every problem with its line",
		Long: `Validate checks each job file: YAML syntax, unknown or duplicate keys, values
of the wrong kind, URLs, schedules, time zones, selectors, and secrets written
inline. Every problem is printed on stderr as FILE:LINE: KEY: PROBLEM; a good
file prints "FILE: ok" on stdout. Exit status 1 when any file has a problem.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			bad := false
			for _, path := range args {
				j, err := jobs.Load(path)
				var ve *jobs.ValidationError
				switch {
				case errors.As(err, &ve):
					bad = true
					for _, p := range ve.Problems {
						fmt.Fprintf(e.stderr, "%s\n", problemLine(path, p))
					}
				case err != nil:
					bad = true
					e.errorf("%v", err)
				default:
					if _, err := fmt.Fprintf(e.stdout, "%s: ok (job %s)\n", path, j.Name); err != nil {
						return fmt.Errorf("writing output: %w", err)
					}
				}
			}
			if bad {
				return errSilentFailure
			}
			return nil
		},
	}
}

// problemLine formats a problem as compilers do: FILE:LINE: KEY: MSG.
func problemLine(path string, p jobs.Problem) string {
	var b strings.Builder
	b.WriteString(path)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	b.WriteString(": ")
	if p.Path != "" {
		b.WriteString(p.Path + ": ")
	}
	b.WriteString(p.Msg)
	return escapeControls(b.String())
}

type jobRunFlags struct {
	print   bool
	wait    time.Duration
	verbose bool
	quiet   bool
}

func newJobRun(e *env) *cobra.Command {
	var f jobRunFlags
	c := &cobra.Command{
		Use:   "run FILE",
		Short: "Run a job once (for cron, systemd timers, Kubernetes CronJobs)",
		Long: `Run runs a job once: it resumes the job's interrupted run if there is one,
or starts a new one; fetches the targets conditionally; takes and downloads
their items; classifies each item as new, changed, unchanged, gone or failed;
writes the run's report as JSON lines (output.dir/run-NNNNNN.jsonl, published
atomically once the run is complete) and prints a summary on stderr.

Exit status:
  0    every item was handled
  1    the run failed: every item failed, or the job could not run
  2    usage: a wrong argument, or a job file that is not valid
  3    partial: some items failed, or limits.max_items cut the run short
  75   the job is already running (its state file is locked)
  130  interrupted (SIGINT, SIGTERM): the work done is saved, the next run
       resumes it`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			j, err := loadJob(args[0])
			if err != nil {
				return err
			}
			r := &jobs.Runner{Getenv: os.Getenv, LockWait: f.wait}
			if f.verbose {
				r.Logger = slog.New(slog.NewTextHandler(e.stderr, nil))
			}
			rep, err := r.Run(cmd.Context(), j)
			if errors.Is(err, jobs.ErrLocked) {
				return &exitError{code: ExitLocked, err: fmt.Errorf("job %s is already running (%s is locked)", j.Name, j.StatePath())}
			}
			if rep != nil && rep.Restored != "" {
				e.errorf("warning: the state file was damaged; its backup was restored (the damaged file is %s)", rep.Restored)
			}
			if err != nil {
				if rep != nil && rep.Run.Status == jobs.Interrupted {
					e.errorf("%s %s interrupted after %s; the next run resumes it", j.Name, rep.Run.ID(), counts(rep.Run.Counts))
					// timeouts.run (a signal is reported as one by Run)
					return &exitError{code: ExitInterrupted, err: err}
				}
				return err
			}
			if f.print {
				if err := rep.WriteJSONL(e.stdout); err != nil {
					return err
				}
			}
			if !f.quiet || rep.Run.Status != jobs.OK {
				e.errorf("%s", summary(j, rep.Run))
			}
			switch rep.Run.Status {
			case jobs.Partial:
				return &exitError{code: ExitPartial, err: errors.New(partialReason(rep))}
			case jobs.RunFailed:
				return fmt.Errorf("%s %s failed: %s", j.Name, rep.Run.ID(), firstError(rep))
			}
			return nil
		},
	}
	fl := c.Flags()
	fl.BoolVar(&f.print, "print", false, "also write the report's JSON lines to stdout")
	fl.Var(durationValue{&f.wait}, "wait", "wait up to `DURATION` for a run of the job that holds the state file (0: a second, for a grab job status reading it)")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "log the run's progress on stderr")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "print the summary only when something failed")
	return c
}

func loadJob(path string) (*jobs.Job, error) {
	j, err := jobs.Load(path)
	var ve *jobs.ValidationError
	if errors.As(err, &ve) {
		lines := make([]string, len(ve.Problems))
		for i, p := range ve.Problems {
			lines[i] = problemLine(path, p)
		}
		return nil, &usageError{&linesError{"invalid job file:", lines}}
	}
	return j, err
}

func counts(c jobs.Counts) string {
	return fmt.Sprintf("%d new, %d changed, %d unchanged, %d gone, %d failed", c.New, c.Changed, c.Unchanged, c.Gone, c.Failed)
}

func summary(j *jobs.Job, r jobs.RunInfo) string {
	s := fmt.Sprintf("%s %s %s: %s", j.Name, r.ID(), r.Status, counts(r.Counts))
	if r.Report != "" {
		s += " (report " + r.Report + ")"
	}
	return s
}

func partialReason(rep *jobs.Report) string {
	if rep.Run.Truncated {
		return "partial run: limits.max_items reached"
	}
	return fmt.Sprintf("partial run: %d items failed; first: %s", rep.Run.Counts.Failed, firstError(rep))
}

func firstError(rep *jobs.Report) string {
	for _, it := range rep.Items {
		if it.Status == jobs.Failed {
			return escapeControls(redact.String(it.URL) + ": " + it.Error)
		}
	}
	return "no item"
}

type jobScheduleFlags struct {
	jitter    time.Duration
	catchUp   string
	grace     time.Duration
	logFormat string
	logLevel  string
}

func newJobSchedule(e *env) *cobra.Command {
	var f jobScheduleFlags
	c := &cobra.Command{
		Use:   "schedule FILE...",
		Short: "Run jobs on their schedules in one long-lived process",
		Long: `Schedule runs each job on its schedule (a cron expression of 5 fields, 6
with seconds, a descriptor such as @daily, or @every DURATION) until it is
stopped. A job never overlaps itself: a slot that comes while its previous run
is going is skipped and logged, as is a run another process holds.

On SIGTERM or SIGINT no new run starts; a running job gets --grace to finish,
then is interrupted, saving what it has done for the next run to resume.
--jitter delays each run by a random time up to DURATION. --catch-up once runs
a job at start when a slot was missed while nothing was running (as anacron or
systemd's Persistent=true); skip (the default) waits for the next slot.

Logs go to stderr through log/slog, as text or JSON lines (--log-format).`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			policy, err := jobs.ParseCatchUp(f.catchUp)
			if err != nil {
				return usageErrorf("--catch-up: %v", err)
			}
			switch {
			case f.jitter < 0:
				return usageErrorf("--jitter %v: want 0 or more", f.jitter)
			case f.grace < 0:
				return usageErrorf("--grace %v: want 0 (interrupt at once) or more", f.grace)
			}
			grace := f.grace
			if grace == 0 {
				grace = -1 // the Scheduler's none
			}
			e.extraGrace.Store(int64(f.grace)) // Run waits for it too
			logger, err := newLogger(e.stderr, f.logFormat, f.logLevel)
			if err != nil {
				return err
			}
			var list []*jobs.Job
			for _, path := range args {
				j, err := loadJob(path)
				if err != nil {
					return err
				}
				if j.Schedule == "" {
					return usageErrorf("%s: job %s has no schedule", path, j.Name)
				}
				list = append(list, j)
			}
			s := &jobs.Scheduler{
				Runner:  &jobs.Runner{Getenv: os.Getenv, Logger: logger},
				Logger:  logger,
				Jitter:  f.jitter,
				CatchUp: policy,
				Grace:   grace,
			}
			return s.Run(cmd.Context(), list...)
		},
	}
	fl := c.Flags()
	fl.Var(durationValue{&f.jitter}, "jitter", "delay each run by a random time up to `DURATION`")
	fl.StringVar(&f.catchUp, "catch-up", "skip", "at start, for a missed slot: `skip` it or run it once")
	durationVar(fl, &f.grace, "grace", jobs.DefaultGrace, "on SIGTERM, let running jobs finish for `DURATION` (0: interrupt them at once)")
	fl.StringVar(&f.logFormat, "log-format", "text", "log as `text` or json")
	fl.StringVar(&f.logLevel, "log-level", "info", "log `LEVEL`: debug, info, warn or error")
	return c
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usageErrorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, usageErrorf("--log-format %q: want text or json", format)
}

func newJobStatus(e *env) *cobra.Command {
	var (
		asJSON bool
		last   int
	)
	c := &cobra.Command{
		Use:   "status FILE...",
		Short: "Show a job's last runs with their counts and its next run time",
		Long: `Status prints, for each job, its last runs (from its state file, which it
only reads) with their status and counts, and the next time its schedule
names. While a run holds the state file, status says the job is running.
A run that ended without recording its end (killed, or its last state write
failed) shows as stopped; the next run resumes it. --json prints one JSON
object per job instead.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if last < 1 {
				return usageErrorf("--last: want 1 or more")
			}
			for _, path := range args {
				j, err := loadJob(path)
				if err != nil {
					return err
				}
				h, err := jobs.ReadHistory(j, time.Second)
				if err != nil {
					return fmt.Errorf("%s: %w", path, err)
				}
				if len(h.Runs) > last {
					h.Runs = h.Runs[len(h.Runs)-last:]
				}
				write := writeStatus
				if asJSON {
					write = writeStatusJSON
				}
				if err := write(e.stdout, j, h); err != nil {
					return fmt.Errorf("writing output: %w", err)
				}
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print one JSON object per job")
	c.Flags().IntVarP(&last, "last", "n", 10, "show the last `N` runs")
	return c
}

func writeStatus(out io.Writer, j *jobs.Job, h *jobs.History) error {
	w := new(strings.Builder)
	fmt.Fprintf(w, "job %s\n", j.Name)
	switch {
	case j.Schedule == "":
		fmt.Fprintf(w, "  schedule: none (run with grab job run)\n")
	default:
		fmt.Fprintf(w, "  schedule: %s; next run %s\n", j.Schedule, h.Next.Format(time.RFC3339))
	}
	fmt.Fprintf(w, "  state:    %s\n", j.StatePath())
	switch {
	case h.Running:
		fmt.Fprintf(w, "  running now (the state file is locked)\n")
	case len(h.Runs) == 0:
		fmt.Fprintf(w, "  no runs yet\n")
	default:
		for i := len(h.Runs) - 1; i >= 0; i-- {
			r := h.Runs[i]
			when := r.Started.Format(time.RFC3339)
			took := ""
			if !r.Finished.IsZero() {
				took = " took " + r.Finished.Sub(r.Started).Round(time.Millisecond).String()
			}
			fmt.Fprintf(w, "  %s  %s  %-11s %s%s\n", r.ID(), when, r.Status, counts(r.Counts), took)
		}
	}
	_, err := io.WriteString(out, w.String())
	return err
}

func writeStatusJSON(w io.Writer, j *jobs.Job, h *jobs.History) error {
	v := struct {
		Job      string         `json:"job"`
		Schedule string         `json:"schedule,omitempty"`
		Next     *time.Time     `json:"next,omitempty"`
		State    string         `json:"state"`
		Running  bool           `json:"running"`
		Runs     []jobs.RunInfo `json:"runs"`
	}{Job: j.Name, Schedule: j.Schedule, State: j.StatePath(), Running: h.Running, Runs: h.Runs}
	if !h.Next.IsZero() {
		v.Next = &h.Next
	}
	if v.Runs == nil {
		v.Runs = []jobs.RunInfo{}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
