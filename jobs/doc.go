// Package jobs runs scheduled data-collection jobs with state between
// runs: fetch these pages, take their images, links or fields, download
// what is new, and say what changed. It is what grab job runs.
//
//	j, err := jobs.Load("gallery.yaml")     // every problem, with its line
//	if err != nil { ... }
//	r := &jobs.Runner{Getenv: os.Getenv}    // secrets from the environment
//	rep, err := r.Run(ctx, j)               // once, as from cron
//	if err != nil { ... }                   // ErrLocked: already running
//	fmt.Println(rep.Run.Status, rep.Run.Counts)
//
//	s := &jobs.Scheduler{Runner: r, CatchUp: jobs.CatchUpOnce}
//	err = s.Run(ctx, j)                     // on its schedule until ctx ends
//
// # Job files
//
// A job file is YAML with the keys of Job: name, schedule, timezone,
// targets (urls, or a crawl spec), extract (images, links, fields),
// download, output, state, limits, timeouts, retries, headers, user_agent,
// auth, cookies and proxy. Parsing is strict: an unknown key (with the
// nearest known one), a duplicate key, a value of the wrong kind, a bad URL,
// schedule, time zone, selector or regular expression, and a secret written
// inline are each a Problem with its line, all of them in one
// *ValidationError. Relative paths are relative to the job file, so a job
// runs the same from cron, systemd or a shell.
//
// Secrets (passwords, tokens, a Cookie field, proxy passwords) are written
// {env: NAME} or {file: PATH} and read when a run starts, through
// Runner.Getenv (the package reads no environment itself) or from the
// file, one final newline dropped; they go only to the origins of the
// job's targets and seeds. URLs with credentials, and Authorization or
// Cookie in headers, are refused. A run's requests (its crawl, pages and
// downloads) share what was read and, with cookies.file, one cookie jar
// loaded from it (never written back), so a cookie a page sets goes with
// the requests after it.
//
// # A run
//
// Runner.Run locks the state file (bbolt's file lock: ErrLocked when another
// run of the job holds it, in this process or another), resumes the
// interrupted run if there is one or starts a new one, and works through a
// queue kept in the state file:
//
//   - a page is fetched with If-None-Match and If-Modified-Since from the
//     validators the last run stored (without them when the job file's
//     extract changed since, so that the page is read under the new one).
//     304 makes it unchanged, and the items it gave last time are queued
//     again; otherwise its SHA-256 tells new,
//     changed or unchanged (servers without validators are still compared by
//     content), and its items are taken with the parse package: images
//     (parse's default kinds), links (<a href>, <area href>) and named fields
//     by CSS selector, one record per page;
//   - an image or link of a kind that is downloaded is fetched with the
//     download package into the download directory: conditionally
//     (If-None-Match from the state, If-Modified-Since from the file's time),
//     resumed with Range after an interruption, and never visible under its
//     final name until complete. A file deleted by hand is fetched again
//     whole. Its SHA-256 tells changed from unchanged;
//   - an item not downloaded is new or unchanged by whether the last run had
//     it; a record by the hash of its values.
//
// Each item's outcome, with the items it queues, is committed in one bbolt
// transaction. When the queue is empty, what the last run had and this one
// did not see is gone (a 404 or 410 also makes an item gone; for a page
// the last run did not have, such as a mistyped target, it is a failure),
// except the items of a page that failed this time, which are kept as they
// were; the run's items become the baseline, and the run is closed, all in one
// transaction. Its report is then published atomically as
// output.dir/run-NNNNNN.jsonl (an item per line, then a summary line), and a
// copy of the state file is written beside it as STATE.bak. A run is
// numbered after the reports already in output.dir too, so one on a new
// state file (or on a backup restored) never replaces a report.
//
// Run statuses: OK; Partial when some items failed or limits.max_items cut
// the run short (items past the cap are not fetched, and nothing is called
// gone that run); RunFailed when every item failed; Interrupted when the
// context ended (SIGTERM, timeouts.run). grab job run exits 0, 3, 1 and 130
// for them, and 75 when the job is already running. timeouts.run also
// bounds the crawl that finds a run's targets (targets.crawl): one it cuts
// short is an error before the run begins, and nothing is recorded.
//
// # Durability
//
// A run killed at any point (kill -9, a power cut) and run again loses no
// item and counts none twice: items done are in the state file, the rest are
// still queued, and the next run resumes the run where it stopped, with the
// same run number. An item in flight when the run stopped is done again: its
// download resumes or restarts, and it is compared with the last finished
// run, never with the half-done one. A run's report appears only once the
// run is complete; a report a crash kept from appearing is published by the
// next run. A damaged state file (truncated, overwritten, failing bbolt's
// page check, or emptied while a backup is beside it) is set aside as
// STATE.damaged-UNIXTIME and its backup restored, which Report.Restored
// says; with no backup, Run refuses to start (ErrCorruptState) rather than
// begin again from nothing. A state file the system refuses (permission,
// a full disk, a directory in its place) is that error, not damage.
//
// A crawl spec (targets.crawl) runs grab's crawl package when a new run
// starts; the pages it reaches become the run's pages, and a resumed run
// keeps them.
//
// # Scheduling
//
// Scheduler runs jobs on their schedules with go-co-op/gocron, one gocron
// scheduler per job in the job's time zone. A schedule is a cron expression
// of 5 fields, or 6 with seconds first (Sunday 0 or 7, as cron(8) reads
// the weekday), a descriptor (@daily, ...), or
// "@every DURATION" (from the scheduler's start). A day of month and a
// weekday both given match either one, with a step too ("*/2" and "1"),
// as robfig/cron reads them; Vixie cron would require both there. timezone defaults to the
// process's local zone, as cron's; state and reports hold UTC. On the day of
// a DST change a daily slot runs once: a wall time that does not exist
// (02:30 when clocks jump to 03:00) runs at the instant it would have been
// (03:30 summer time), and a wall time that happens twice runs the first
// time only. Each slot runs exactly once by the wall clock, also when the
// clock steps (an NTP correction, a wrong time set right): gocron's timers
// count elapsed time and fire off the slots after a step, so a firing with
// no slot due is skipped and logged, and a watch that reads the wall clock
// a second after every slot and at least every minute runs a due slot its
// timer missed: within a minute of the step when the clock jumped over it,
// a second after it is due otherwise (see Scheduler).
//
// A job never overlaps itself: a slot that comes while its run is going is
// skipped and logged, and a run another process holds is skipped and
// logged. Jitter delays each run by a random time. The catch-up policy says
// what to do at start about a slot missed while no scheduler ran: skip it
// (CatchUpSkip, cron's way) or run once at once (CatchUpOnce, anacron's and
// systemd's Persistent=true). When its context ends the Scheduler starts
// nothing more, lets running jobs finish for Grace, then interrupts them
// (they save their work) and returns.
//
// # Choices where the issue is silent
//
//   - grab job run prints a one-line summary on stderr; the report goes to
//     its file, and to stdout with --print (stdout carries data only).
//   - The default output directory is NAME-runs beside the job file, the
//     state file NAME.state in it, the download directory NAME-files.
//   - Downloaded files are named HOST/PATH by default (wget -x), so that
//     two images called logo.png on different sites never clash; "basename"
//     keeps the textbook's names and adds a short hash of the URL on a clash.
//     A URL keeps its file name from run to run.
//   - A file whose item is gone is left on disk: the report says it is gone,
//     deleting is the user's choice (wget's mirror mode does not delete
//     either).
//   - Retries (2 by default) cover connection errors, 429 and 503, with
//     backoff and Retry-After.
//   - The state file keeps output.keep runs (50 by default) with their
//     items; report files are never deleted.
//   - A resumed run finishes the work it had queued: changes to the job's
//     targets take effect from the next run.
package jobs
