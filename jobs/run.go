package jobs

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/grabhq/grab/download"
	"github.com/grabhq/grab/fetch"
	"github.com/grabhq/grab/internal/httpdate"
	"github.com/grabhq/grab/internal/httpsyntax"
	"github.com/grabhq/grab/internal/redact"
)

// Runner runs jobs once each: grab job run, and each run of grab job
// schedule. The zero value is ready to use.
type Runner struct {
	// Getenv reads the environment variables a job's secrets name; nil
	// means none is set. The CLI passes os.Getenv.
	Getenv func(string) string
	// Base supplies the transport, dialer, TLS config and proxy of the
	// job's Opener, and handlers that go first; nil means fetch's
	// defaults. The job file's settings fill the rest.
	Base *fetch.Opener
	// LockWait is how long to wait for a state file another process
	// holds; 0 means ReaderGrace, long enough for a reader such as grab
	// job status (ReadHistory) to let go, and a negative value not at all
	// (ErrLocked at once).
	LockWait time.Duration
	// Logger receives progress: the run's start and end, and each failed
	// item; nil means none.
	Logger *slog.Logger
	// Now returns the time; nil means time.Now. Times are kept in UTC.
	Now func() time.Time
}

// ReaderGrace is how long a Run waits for its state file by default
// (Runner.LockWait 0): ReadHistory (grab job status) holds the file's lock
// while it reads and checks it, a moment for a state file of ordinary size
// (a best effort: a huge one may take longer), which must not make a run
// fail as if another held it; a run that holds it is still refused, after
// ReaderGrace.
const ReaderGrace = time.Second

// lockWait returns how long to wait for the state file's lock.
func (r *Runner) lockWait() time.Duration {
	switch {
	case r.LockWait < 0:
		return 0
	case r.LockWait == 0:
		return ReaderGrace
	}
	return r.LockWait
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now().UTC()
	}
	return time.Now().UTC()
}

func (r *Runner) log() *slog.Logger {
	if r.Logger != nil {
		return r.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// errTruncated marks a run cut short by limits.max_items.
var errTruncated = errors.New("limits.max_items reached")

// Run runs j once: it locks the job's state file (ErrLocked if another run
// holds it), resumes an interrupted run or starts a new one, fetches the
// targets with the validators of the last run, takes their items,
// downloads what changed, classifies every item, and publishes the report.
//
// A Job that Validate finds wrong is refused first. The returned Report
// is never nil once the state file is open. err is
// nil when the run finished, even with failed items (see Report.Run.Status);
// when ctx ends first, the work done is kept, the run is Interrupted and
// err is ctx's error: the next Run resumes it.
func (r *Runner) Run(ctx context.Context, j *Job) (*Report, error) {
	if err := j.Validate(); err != nil {
		return nil, err
	}
	st, err := openStore(j.StatePath(), r.lockWait(), false)
	if err != nil {
		return nil, err
	}
	defer st.close()
	if err := claimOutput(j.OutputDir(), j.Name, j.Path); err != nil {
		return nil, err
	}
	rep := &Report{Restored: st.restored}
	if st.restored != "" {
		r.log().Warn("state file was damaged: restored its backup", "job", j.Name, "damaged", st.restored)
	}
	if err := r.publishPending(j, st); err != nil {
		return rep, err
	}
	sess, err := j.session(r.Getenv, func(msg string) { r.log().Warn(msg, "job", j.Name) })
	if err != nil {
		return rep, err
	}
	o := j.opener(r.Base, sess)
	defer o.CloseIdleConnections()
	if t := j.Timeouts.Run; t > 0 { // the crawl that finds the targets counts too
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, time.Duration(t),
			fmt.Errorf("jobs: %s reached timeouts.run (%v): %w", j.Name, time.Duration(t), context.DeadlineExceeded))
		defer cancel()
	}
	var targets []string
	if !st.resumable() {
		if targets, err = r.discover(ctx, j, sess); err != nil {
			return rep, err
		}
	}
	run, err := r.begin(j, st, targets)
	if err != nil {
		return rep, err
	}
	rep.Run = run
	started := r.now()
	log := r.log().With("job", j.Name, "run", run.ID())
	if run.Resumed > 0 {
		log.Info("resuming run", "resumed", run.Resumed)
	} else {
		log.Info("run started")
	}
	e := &engine{r: r, j: j, st: st, seq: run.Seq, o: o, log: log, extract: extractKey(j.Extract)}
	if j.Download != nil {
		// download wants 304 and 404 as errors, and retries by itself.
		do := j.opener(r.Base, sess)
		defer do.CloseIdleConnections()
		do.AllowErrorStatus = false
		do.Handlers = slices.DeleteFunc(do.Handlers, func(h fetch.Handler) bool { _, ok := h.(*fetch.Retry); return ok })
		do.Handlers = append(do.Handlers, validatorLog{})
		retries := -1
		if j.Retries == nil || *j.Retries > 0 {
			retries = DefaultRetries
			if j.Retries != nil {
				retries = *j.Retries
			}
		}
		e.dl = &download.Client{Opener: do, Concurrency: 1, Retries: retries, Stall: time.Duration(j.Timeouts.Stall), MaxSize: j.maxFileBytes()}
		whole := *e.dl
		whole.IfExists = download.Overwrite
		e.dlWhole = &whole
	}
	if err := e.load(); err != nil {
		return rep, err
	}
	werr := e.work(ctx)
	if werr != nil && ctx.Err() != nil {
		werr = context.Cause(ctx) // timeouts.run names itself
		run, err := e.interrupt(werr)
		rep.Run = run
		log.Warn("run interrupted; the next run resumes it", "err", werr)
		items, _ := st.runItems(run.Seq)
		rep.Items = itemsOf(items)
		return rep, errors.Join(werr, err)
	}
	if werr != nil && !errors.Is(werr, errTruncated) {
		return rep, werr
	}
	run, err = e.finish(errors.Is(werr, errTruncated))
	if err != nil {
		return rep, err
	}
	rep.Run = run
	if err := r.publishRun(j, st, &rep.Run); err != nil {
		return rep, err
	}
	items, err := st.runItems(run.Seq)
	if err != nil {
		return rep, err
	}
	rep.Items = itemsOf(items)
	if err := st.backup(); err != nil {
		log.Warn("state backup failed", "err", err)
	}
	c := rep.Run.Counts
	log.Info("run finished", "status", rep.Run.Status, "took", r.now().Sub(started).Round(time.Millisecond),
		"new", c.New, "changed", c.Changed, "unchanged", c.Unchanged, "gone", c.Gone, "failed", c.Failed)
	return rep, nil
}

func itemsOf(ds []done) []Item {
	out := make([]Item, len(ds))
	for i, d := range ds {
		out[i] = d.Item
	}
	return out
}

// begin returns the interrupted run to resume, or starts a new run with
// the job's targets queued.
func (r *Runner) begin(j *Job, st *store, targets []string) (RunInfo, error) {
	var run RunInfo
	published := lastReport(j.OutputDir())
	err := st.db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		runs := tx.Bucket(bucketRuns)
		if name := meta.Get(keyJob); name != nil && string(name) != j.Name {
			return fmt.Errorf("state file %s belongs to job %q, not %q", st.path, name, j.Name)
		}
		if err := meta.Put(keyJob, []byte(j.Name)); err != nil {
			return err
		}
		if cur := meta.Get(keyCurrent); cur != nil {
			if ok, err := getJSON(runs, cur, &run); err != nil || !ok {
				return fmt.Errorf("state file %s: current run %x has no record (%v)", st.path, cur, err)
			}
			run.Resumed++
			run.Status = Running
			return putJSON(runs, cur, run)
		}
		var seq uint64
		if v := meta.Get(keySeq); len(v) == 8 {
			seq = beUint(v)
		}
		// A new state file, or a backup restored, would number the run
		// as one whose report is there: reports are never replaced.
		seq = max(seq, published) + 1
		key := be64(seq)
		run = RunInfo{Job: j.Name, Seq: seq, Started: r.now(), Status: Running}
		if err := meta.Put(keySeq, key); err != nil {
			return err
		}
		if err := meta.Put(keyCurrent, key); err != nil {
			return err
		}
		if err := putJSON(runs, key, run); err != nil {
			return err
		}
		rb, err := tx.CreateBucket(runBucketName(seq))
		if err != nil {
			return err
		}
		if _, err := rb.CreateBucket(bucketDone); err != nil {
			return err
		}
		q, err := rb.CreateBucket(bucketQueue)
		if err != nil {
			return err
		}
		// The targets are items too: those past limits.max_items are not
		// fetched, and the run is partial.
		if len(targets) > j.maxItems() {
			targets = targets[:j.maxItems()]
			if err := rb.Put(keyTruncated, []byte{1}); err != nil {
				return err
			}
		}
		for i, u := range targets {
			t := task{Kind: KindPage, URL: u, N: uint64(i)}
			if err := putJSON(q, []byte(itemKey(t.Kind, t.URL)), t); err != nil {
				return err
			}
		}
		return nil
	})
	return run, err
}

func beUint(b []byte) uint64 {
	var n uint64
	for _, c := range b {
		n = n<<8 | uint64(c)
	}
	return n
}

// engine is one run at work.
type engine struct {
	r   *Runner
	j   *Job
	st  *store
	seq uint64
	o   *fetch.Opener
	dl  *download.Client
	// dlWhole is dl replacing the file whatever it holds, with no
	// condition: for a file that is not the version a 304 vouches for.
	dlWhole *download.Client
	log     *slog.Logger

	extract string // extractKey of the job's extract

	mu        sync.Mutex
	baseline  map[string]*itemState // the last finished run's items
	files     map[string]string     // download file -> URL that owns it
	dirs      map[string]bool       // the directories the files are in
	next      uint64                // discovery counter
	count     int                   // items done or queued
	truncated bool
	assigned  map[string]uint64 // queued keys and their numbers
}

// load reads the baseline and the run's progress.
func (e *engine) load() error {
	e.baseline = map[string]*itemState{}
	e.files = map[string]string{}
	e.dirs = map[string]bool{}
	e.assigned = map[string]uint64{}
	return e.st.db.View(func(tx *bolt.Tx) error {
		err := tx.Bucket(bucketItems).ForEach(func(k, v []byte) error {
			s := new(itemState)
			if err := json.Unmarshal(v, s); err != nil {
				return fmt.Errorf("state file %s: item %q: %w", e.st.path, k, err)
			}
			e.baseline[string(k)] = s
			if s.File != "" {
				e.own(s.File, s.URL)
			}
			return nil
		})
		if err != nil {
			return err
		}
		rb := tx.Bucket(runBucketName(e.seq))
		// Cut short by max_items before an interruption: the items never
		// looked at are not gone (finish).
		e.truncated = rb.Get(keyTruncated) != nil
		for _, name := range [][]byte{bucketDone, bucketQueue} {
			err := rb.Bucket(name).ForEach(func(k, v []byte) error {
				var d struct {
					N     uint64     `json:"n"`
					State *itemState `json:"state"`
				}
				if err := json.Unmarshal(v, &d); err != nil {
					return err
				}
				e.next = max(e.next, d.N+1)
				e.count++
				if d.State != nil && d.State.File != "" {
					e.own(d.State.File, d.State.URL)
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// work runs the queue until it is empty: pages first, then what they
// gave, each item's outcome committed as it ends.
func (e *engine) work(ctx context.Context) error {
	for round := 0; ; round++ {
		tasks, err := e.queued()
		if err != nil {
			return err
		}
		if len(tasks) == 0 {
			break
		}
		var pages, items []task
		for _, t := range tasks {
			if t.Kind == KindPage {
				pages = append(pages, t)
			} else {
				items = append(items, t)
			}
		}
		if len(pages) > 0 {
			items = nil // pages may queue more; items wait for the next round
		}
		var wg sync.WaitGroup
		errs := make(chan error, len(tasks))
		run := func(list []task, workers int) {
			if len(list) == 0 {
				return
			}
			ch := make(chan task)
			for range max(1, min(workers, len(list))) { // a concurrency of millions starts no more than there is to do
				wg.Add(1)
				go func() {
					defer wg.Done()
					for t := range ch {
						if err := e.do(ctx, t); err != nil {
							errs <- err
						}
					}
				}()
			}
			go func() {
				defer close(ch)
				for _, t := range list {
					select {
					case ch <- t:
					case <-ctx.Done():
						return
					}
				}
			}()
		}
		run(pages, e.j.concurrency())
		// A job that downloads takes download.concurrency items at once,
		// fewer than the pages' too (a slow mirror asked for 1).
		run(items, cmp.Or(e.j.downloads(), e.j.concurrency()))
		wg.Wait()
		close(errs)
		var all []error
		for err := range errs {
			all = append(all, err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if len(all) > 0 {
			return errors.Join(all...)
		}
		if round > 2*e.j.maxItems()+10 {
			return errors.New("internal: the queue does not drain")
		}
	}
	if e.truncated {
		return errTruncated
	}
	return nil
}

// queued returns the run's queue in discovery order.
func (e *engine) queued() ([]task, error) {
	var out []task
	err := e.st.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(runBucketName(e.seq)).Bucket(bucketQueue).ForEach(func(k, v []byte) error {
			var t task
			if err := json.Unmarshal(v, &t); err != nil {
				return fmt.Errorf("state file %s: queued %q: %w", e.st.path, k, err)
			}
			out = append(out, t)
			return nil
		})
	})
	sortTasks(out)
	return out, err
}

func sortTasks(ts []task) {
	slices.SortStableFunc(ts, func(a, b task) int { return cmp.Compare(a.N, b.N) })
}

// outcome is what handling one task produced.
type outcome struct {
	item     Item
	state    *itemState // to remember; nil forgets the item
	children []task     // more to do
}

// do handles one task and commits its outcome with the children it
// queues, in one transaction. A task cut off by ctx is not committed: it
// stays queued for the resumed run.
func (e *engine) do(ctx context.Context, t task) error {
	key := itemKey(t.Kind, t.URL)
	e.mu.Lock()
	base := e.baseline[key]
	e.mu.Unlock()
	var out outcome
	switch {
	case t.Kind == KindPage:
		out = e.page(ctx, t, base)
	case t.Kind == KindRecord:
		out = e.record(t, base)
	case e.j.downloadsKind(t.Kind):
		out = e.download(ctx, t, base)
	default:
		out = e.seen(t, base)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if out.item.Status == Failed {
		e.log.Warn("item failed", "kind", t.Kind, "url", redact.String(t.URL), "err", out.item.Error)
	}
	if out.state != nil {
		out.state.Run = e.seq
	}
	// Batch coalesces the commits of concurrent items into one
	// transaction (one fsync), each item's outcome still atomic.
	return e.st.db.Batch(func(tx *bolt.Tx) error {
		rb := tx.Bucket(runBucketName(e.seq))
		doneB, q := rb.Bucket(bucketDone), rb.Bucket(bucketQueue)
		if doneB.Get([]byte(key)) != nil {
			return nil // a retried batch
		}
		if err := putJSON(doneB, []byte(key), done{Item: out.item, State: out.state, N: t.N}); err != nil {
			return err
		}
		if err := q.Delete([]byte(key)); err != nil {
			return err
		}
		for _, c := range out.children {
			ck := []byte(itemKey(c.Kind, c.URL))
			if doneB.Get(ck) != nil || q.Get(ck) != nil {
				continue
			}
			// Batch may call this function again: a key keeps the
			// number it was given the first time.
			e.mu.Lock()
			n, ok := e.assigned[string(ck)]
			if !ok {
				if e.count >= e.j.maxItems() {
					e.truncated = true
					e.mu.Unlock()
					if err := rb.Put(keyTruncated, []byte{1}); err != nil {
						return err
					}
					continue
				}
				e.count++
				n = e.next
				e.next++
				e.assigned[string(ck)] = n
			}
			e.mu.Unlock()
			c.N = n
			if err := putJSON(q, ck, c); err != nil {
				return err
			}
		}
		return nil
	})
}

// extractKey names what x takes from a page (a SHA-256 of it, short): a
// page read under another extract is read again whole.
func extractKey(x Extract) string {
	b, _ := json.Marshal(x) // map keys sorted: the same x, the same key
	return shortHash(string(b), 16)
}

// conditional returns a GET for u carrying the validators of s.
func conditional(u string, s *itemState) *fetch.Request {
	req := &fetch.Request{URL: u, Header: http.Header{}}
	if s != nil && s.Hash != "" {
		if s.ETag != "" {
			req.Header.Set("If-None-Match", s.ETag)
		}
		if s.LastModified != "" {
			req.Header.Set("If-Modified-Since", s.LastModified)
		}
	}
	return req
}

func failed(t task, code int, err error) outcome {
	return outcome{item: Item{Kind: t.Kind, URL: t.URL, Page: t.Page, Status: Failed, HTTPStatus: code, Error: err.Error()}}
}

// carry keeps the last run's state of an item that failed this time.
func carry(out outcome, base *itemState) outcome {
	if base != nil {
		c := *base
		out.state = &c
	}
	return out
}

// page fetches a target page conditionally, hashes it and takes its items.
func (e *engine) page(ctx context.Context, t task, base *itemState) outcome {
	validators := base
	if base != nil && base.Extract != e.extract {
		// The job's extract changed since the page was read: a 304 would
		// give back the children the old one took.
		validators = nil
	}
	resp, err := e.o.Open(ctx, conditional(t.URL, validators))
	if err != nil {
		return carry(failed(t, 0, err), base)
	}
	defer resp.Close()
	it := Item{Kind: KindPage, URL: t.URL, HTTPStatus: resp.StatusCode}
	switch {
	case resp.StatusCode == http.StatusNotModified && base != nil:
		// The page is as it was: so are its items, which are queued
		// again so that downloads are checked and nothing is called gone.
		it.Status, it.SHA256, it.Size = Unchanged, base.Hash, base.Size
		s := *base
		return outcome{item: it, state: &s, children: e.childrenOf(base)}
	case goneStatus(resp.StatusCode) && base != nil:
		it.Status = Gone
		return outcome{item: it}
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		// A 404 or 410 of a page the last run did not have is no page gone
		// but one never found (a mistyped target): a failure.
		return carry(failed(t, resp.StatusCode, fmt.Errorf("HTTP %s", httpsyntax.Status(resp.Status))), base)
	}
	body, err := resp.Bytes()
	if err != nil {
		return carry(failed(t, resp.StatusCode, err), base)
	}
	sum := sha256.Sum256(body)
	s := &itemState{
		Kind: KindPage, URL: t.URL,
		ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified"),
		Hash: hex.EncodeToString(sum[:]), Size: int64(len(body)), Extract: e.extract,
	}
	it.SHA256, it.Size = s.Hash, s.Size
	it.Status = classify(base, s.Hash)
	ex, err := extractPage(body, resp.Header.Get("Content-Type"), resp.URL, e.j.Extract, e.j.maxItems())
	if err != nil {
		return carry(failed(t, resp.StatusCode, fmt.Errorf("extract: %w", err)), base)
	}
	var children []task
	for _, u := range ex.images {
		children = append(children, task{Kind: KindImage, URL: u, Page: t.URL})
	}
	for _, u := range ex.links {
		children = append(children, task{Kind: KindLink, URL: u, Page: t.URL})
	}
	if ex.fields != nil {
		data, err := json.Marshal(ex.fields)
		if err != nil {
			return carry(failed(t, resp.StatusCode, err), base)
		}
		sum := sha256.Sum256(data)
		children = append(children, task{Kind: KindRecord, URL: t.URL, Page: t.URL, Fields: ex.fields, Hash: hex.EncodeToString(sum[:])})
	}
	for _, c := range children {
		s.Children = append(s.Children, itemKey(c.Kind, c.URL))
	}
	return outcome{item: it, state: s, children: children}
}

// childrenOf queues again the items a page gave last time.
func (e *engine) childrenOf(s *itemState) []task {
	var out []task
	for _, k := range s.Children {
		kind, u, ok := strings.Cut(k, " ")
		if ok {
			out = append(out, task{Kind: kind, URL: u, Page: s.URL})
		}
	}
	return out
}

func classify(base *itemState, hash string) Status {
	switch {
	case base == nil:
		return New
	case base.Hash != hash:
		return Changed
	}
	return Unchanged
}

// seen handles an item that is not downloaded: new, or unchanged if the
// last run had it.
func (e *engine) seen(t task, base *itemState) outcome {
	it := Item{Kind: t.Kind, URL: t.URL, Page: t.Page, Status: New}
	if base != nil {
		it.Status = Unchanged
	}
	return outcome{item: it, state: &itemState{Kind: t.Kind, URL: t.URL, Page: t.Page}}
}

// record classifies the fields of a page by the hash of their JSON; a
// page not modified keeps its last record.
func (e *engine) record(t task, base *itemState) outcome {
	it := Item{Kind: KindRecord, URL: t.URL, Page: t.Page}
	if t.Fields == nil {
		if base == nil {
			return failed(t, 0, errors.New("no fields: the page was not modified but its record is not remembered"))
		}
		it.Status, it.SHA256, it.Fields = Unchanged, base.Hash, base.Fields
		s := *base
		return outcome{item: it, state: &s}
	}
	it.Status, it.SHA256, it.Fields = classify(base, t.Hash), t.Hash, t.Fields
	return outcome{item: it, state: &itemState{Kind: KindRecord, URL: t.URL, Page: t.Page, Hash: t.Hash, Fields: t.Fields}}
}

// download fetches an item to its file with the download package: a
// conditional GET (If-None-Match from the last run's ETag, If-Modified-Since
// from the file's time, which is the server's Last-Modified) while the
// file is there, resumed with Range after an interruption, written
// atomically. The SHA-256 of the new content tells changed from unchanged.
func (e *engine) download(ctx context.Context, t task, base *itemState) outcome {
	dir := e.j.DownloadDir()
	name := e.claim(t.URL, base)
	final := filepath.Join(dir, name)
	req := download.Request{URL: t.URL, Dir: filepath.Dir(final), Name: filepath.Base(final), Header: http.Header{}}
	cond := false
	if base != nil {
		if st, err := os.Stat(final); err == nil && st.Mode().IsRegular() {
			cond = true
			if base.ETag != "" {
				req.Header.Set("If-None-Match", base.ETag)
			}
		}
	}
	seen := &seenResponse{}
	res, _ := e.dl.Do(context.WithValue(ctx, seenKey{}, seen), req)
	it := Item{Kind: t.Kind, URL: t.URL, Page: t.Page, File: name}
	if len(res) != 1 {
		return carry(failed(t, 0, errors.New("download: no result")), base)
	}
	r := res[0]
	remembered := cond && asRemembered(final, base) // cond: base is set
	if r.Outcome == download.NotModified && cond && !remembered {
		// The server says the version the last run saved is current, but
		// the file is not that version: damaged or replaced here, or left
		// by a run killed after it saved a newer one. It is fetched again,
		// whole, as a deleted file is, rather than taken as it is (wget -N
		// fetches again when the sizes differ).
		req.Header.Del("If-None-Match")
		seen = &seenResponse{}
		res, _ = e.dlWhole.Do(context.WithValue(ctx, seenKey{}, seen), req)
		if len(res) != 1 {
			return carry(failed(t, 0, errors.New("download: no result")), base)
		}
		r = res[0]
	}
	etag, lm, code := seen.get()
	it.HTTPStatus = code
	var he *fetch.HTTPError
	switch {
	case r.Outcome == download.NotModified && remembered:
		it.Status, it.SHA256, it.Size, it.HTTPStatus = Unchanged, base.Hash, base.Size, http.StatusNotModified
		s := *base
		s.Page = t.Page
		return outcome{item: it, state: &s}
	case r.Outcome == download.NotModified:
		// The file is current, as download's own If-Modified-Since found,
		// but the item has no state (a new state file): it is taken as it
		// is, hashed here. (A file that is not the one the last run saved
		// was fetched again above.)
		sum, size, err := hashFile(final)
		if err != nil {
			return carry(failed(t, http.StatusNotModified, err), base)
		}
		r.SHA256, r.Size = sum, size
		if lm == "" {
			if fi, err := os.Stat(final); err == nil {
				lm = fi.ModTime().UTC().Format(http.TimeFormat) // the server's, as download set it
			}
		}
	case r.Err != nil && errors.As(r.Err, &he) && goneStatus(he.StatusCode):
		it.Status, it.File, it.HTTPStatus = Gone, "", he.StatusCode
		return outcome{item: it}
	case r.Err != nil:
		if he != nil {
			it.HTTPStatus = he.StatusCode
		}
		return carry(failed(t, it.HTTPStatus, r.Err), base)
	case r.Outcome != download.Downloaded && r.Outcome != download.Resumed:
		return carry(failed(t, code, fmt.Errorf("download: unexpected outcome %v", r.Outcome)), base)
	}
	s := &itemState{
		Kind: t.Kind, URL: t.URL, Page: t.Page, File: name,
		ETag: etag, LastModified: lm, Hash: r.SHA256, Size: r.Size,
	}
	it.SHA256, it.Size = s.Hash, s.Size
	it.Status = classify(base, s.Hash)
	return outcome{item: it, state: s}
}

// asRemembered reports whether the file path is the one base records, by
// its size and its time, which download set to the server's Last-Modified:
// a run killed after it saved a new version leaves another file there,
// which a 304 answers too.
func asRemembered(path string, base *itemState) bool {
	fi, err := os.Stat(path)
	if err != nil || fi.Size() != base.Size {
		return false
	}
	lm, ok := httpdate.Parse(base.LastModified)
	if !ok {
		// No time to compare (none, or one download could not read and so
		// did not set): an ETag's 304 vouches for the content.
		return true
	}
	return fi.ModTime().Equal(lm)
}

// validatorLog is a fetch.Handler that records the validators and status
// of each response into the seenResponse of its request's context, so the
// last one is the final answer after redirects and retries.
type validatorLog struct{}

// seenKey is the context key of a download's *seenResponse.
type seenKey struct{}

// seenResponse is the last response of one download's requests.
type seenResponse struct {
	mu                 sync.Mutex
	etag, lastModified string
	status             int
}

func (s *seenResponse) get() (etag, lastModified string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.etag, s.lastModified, s.status
}

func (validatorLog) Wrap(next http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := next.RoundTrip(r)
		if err != nil {
			return resp, err
		}
		if s, ok := r.Context().Value(seenKey{}).(*seenResponse); ok {
			s.mu.Lock()
			s.etag, s.lastModified, s.status = resp.Header.Get("ETag"), resp.Header.Get("Last-Modified"), resp.StatusCode
			s.mu.Unlock()
		}
		return resp, nil
	})
}

// claim returns the file name of u: the one it had, or a new one no other
// URL owns, and that is neither a directory of other URLs' files nor in
// a directory that is another URL's file. With naming "path", /a/x and
// /a/x/y.json both want a/x: the one that comes second gets a/x-HASH, or
// a/x-HASH/y.json, whichever comes first.
func (e *engine) claim(u string, base *itemState) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if base != nil && base.File != "" {
		return base.File
	}
	name := fileName(e.j.Download.Naming, u)
	segs := strings.Split(name, string(filepath.Separator))
	for i := 1; i < len(segs); i++ {
		if dir := filepath.Join(segs[:i]...); e.files[dir] != "" {
			segs[i-1] += "-" + shortHash(dir, 8)
			if e.files[filepath.Join(segs[:i]...)] != "" {
				// That name is a file too (a page can link one): the
				// URL's own hash, which no other URL's path gives.
				segs[i-1] += "-" + shortHash(u, 8)
			}
		}
	}
	name = filepath.Join(segs...)
	if owner, ok := e.files[name]; ok && owner != u || e.dirs[name] {
		name = withHash(name, u)
	}
	e.own(name, u)
	return name
}

// own records that name is u's file.
func (e *engine) own(name, u string) {
	e.files[name] = u
	for d := filepath.Dir(name); d != "." && d != string(filepath.Separator); d = filepath.Dir(d) {
		e.dirs[d] = true
	}
}

// interrupt records that the run stopped before its end.
func (e *engine) interrupt(cause error) (RunInfo, error) {
	var run RunInfo
	err := e.st.db.Update(func(tx *bolt.Tx) error {
		runs := tx.Bucket(bucketRuns)
		if _, err := getJSON(runs, be64(e.seq), &run); err != nil {
			return fmt.Errorf("state file %s: run %d: %w", e.st.path, e.seq, err)
		}
		run.Status = Interrupted
		run.Error = cause.Error()
		run.Counts = Counts{}
		rb := tx.Bucket(runBucketName(e.seq))
		rb.Bucket(bucketDone).ForEach(func(_, v []byte) error {
			var d done
			if json.Unmarshal(v, &d) == nil {
				run.Counts.add(d.Item.Status)
			}
			return nil
		})
		return putJSON(runs, be64(e.seq), run)
	})
	return run, err
}

// finish classifies what the last run had and this one did not see as
// gone, makes this run's items the baseline, and closes the run, in one
// transaction.
func (e *engine) finish(truncated bool) (RunInfo, error) {
	var run RunInfo
	err := e.st.db.Update(func(tx *bolt.Tx) error {
		meta, runs, items := tx.Bucket(bucketMeta), tx.Bucket(bucketRuns), tx.Bucket(bucketItems)
		rb := tx.Bucket(runBucketName(e.seq))
		doneB := rb.Bucket(bucketDone)
		if _, err := getJSON(runs, be64(e.seq), &run); err != nil {
			return fmt.Errorf("state file %s: run %d: %w", e.st.path, e.seq, err)
		}
		seen := map[string]bool{}
		failedPages := map[string]bool{}
		var ds []done
		err := doneB.ForEach(func(k, v []byte) error {
			var d done
			if err := json.Unmarshal(v, &d); err != nil {
				return err
			}
			seen[string(k)] = true
			if d.Item.Kind == KindPage && d.Item.Status == Failed {
				failedPages[d.Item.URL] = true
			}
			ds = append(ds, d)
			return nil
		})
		if err != nil {
			return err
		}
		n := e.next
		for k, b := range e.baseline {
			if seen[k] {
				continue
			}
			if truncated || (b.Page != "" && failedPages[b.Page]) {
				continue // not looked at: remembered as it was
			}
			d := done{Item: Item{Kind: b.Kind, URL: b.URL, Page: b.Page, Status: Gone, File: b.File}, N: n}
			n++
			if err := putJSON(doneB, []byte(k), d); err != nil {
				return err
			}
			ds = append(ds, d)
		}
		run.Counts = Counts{}
		for _, d := range ds {
			run.Counts.add(d.Item.Status)
			k := []byte(itemKey(d.Item.Kind, d.Item.URL))
			if d.State == nil {
				if err := items.Delete(k); err != nil {
					return err
				}
				continue
			}
			if err := putJSON(items, k, d.State); err != nil {
				return err
			}
		}
		c := run.Counts
		switch {
		case c.Failed > 0 && c.New+c.Changed+c.Unchanged+c.Gone == 0:
			run.Status = RunFailed
		case c.Failed > 0 || truncated:
			run.Status = Partial
		default:
			run.Status = OK
		}
		run.Truncated = truncated
		if truncated {
			run.Error = errTruncated.Error()
		} else {
			run.Error = ""
		}
		run.Finished = e.r.now()
		run.Report = filepath.Join(e.j.OutputDir(), run.ID()+".jsonl")
		if err := putJSON(runs, be64(e.seq), run); err != nil {
			return err
		}
		if err := meta.Delete(keyCurrent); err != nil {
			return err
		}
		return prune(tx, e.j.keep())
	})
	return run, err
}

// prune forgets the oldest runs past keep.
func prune(tx *bolt.Tx, keep int) error {
	runs := tx.Bucket(bucketRuns)
	n := runs.Stats().KeyN
	var old [][]byte
	c := runs.Cursor()
	for k, _ := c.First(); k != nil && n-len(old) > keep; k, _ = c.Next() {
		old = append(old, append([]byte(nil), k...))
	}
	for _, k := range old {
		if err := runs.Delete(k); err != nil {
			return err
		}
		if err := tx.DeleteBucket(runBucketName(beUint(k))); err != nil && !errors.Is(err, bolt.ErrBucketNotFound) {
			return err
		}
	}
	return nil
}

// publishRun writes a finished run's report and marks it published.
func (r *Runner) publishRun(j *Job, st *store, run *RunInfo) error {
	items, err := st.runItems(run.Seq)
	if err != nil {
		return err
	}
	run.Published = true
	path, err := publish(j.OutputDir(), &Report{Run: *run, Items: itemsOf(items)})
	if err != nil {
		run.Published = false
		return fmt.Errorf("publishing the report: %w", err)
	}
	run.Report = path
	return st.db.Update(func(tx *bolt.Tx) error {
		return putJSON(tx.Bucket(bucketRuns), be64(run.Seq), run)
	})
}

// publishPending publishes the reports of finished runs a crash kept from
// being published.
func (r *Runner) publishPending(j *Job, st *store) error {
	runs, err := st.runs()
	if err != nil {
		return err
	}
	for i := range runs {
		run := &runs[i]
		switch run.Status {
		case OK, Partial, RunFailed:
			if !run.Published {
				if err := r.publishRun(j, st, run); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// lastReport returns the highest run number of the reports in dir
// (run-NNNNNN.jsonl), 0 when there is none or dir cannot be read.
func lastReport(dir string) uint64 {
	names, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	var last uint64
	for _, e := range names {
		num, prefixed := strings.CutPrefix(e.Name(), "run-")
		num, suffixed := strings.CutSuffix(num, ".jsonl")
		if !prefixed || !suffixed {
			continue
		}
		if n, err := strconv.ParseUint(num, 10, 64); err == nil {
			last = max(last, n)
		}
	}
	return last
}

// hashFile returns the SHA-256, in hex, and the size of the file at path.
func hashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
