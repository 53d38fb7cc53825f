package download

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"math"
	"mime"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/grabhq/grab/fetch"
	"github.com/grabhq/grab/internal/filekind"
	"github.com/grabhq/grab/internal/httpdate"
	"github.com/grabhq/grab/internal/httpsyntax"
	"github.com/grabhq/grab/internal/retryafter"
	"github.com/grabhq/grab/internal/tlsfail"
	"github.com/grabhq/grab/proxy"
)

// errRestart asks for the transfer to start again from the first byte at
// once: the server ignored or mangled a resume.
var errRestart = errors.New("download: resume refused, restarting")

// errRelook asks for the transfer to start again looking everything up,
// keeping what it finds: the directory's listing, trusted by a first
// attempt, no longer held (another process made a file of the name).
var errRelook = errors.New("download: a file of the name appeared, looking again")

// retryLater carries a server's Retry-After.
type retryLater struct {
	err  error
	wait time.Duration
}

func (e *retryLater) Error() string { return e.err.Error() }
func (e *retryLater) Unwrap() error { return e.err }

// run downloads one job, with its retries, and returns its Result.
func (b *batch) run(ctx context.Context, j *job) Result {
	res := Result{URL: j.url, Path: j.path()}
	sem := b.host(j.host)
	t := &transfer{b: b, j: j, noResume: b.c.NoResume, total: -1}
	fail := func(err error) Result {
		res.Path = j.path()
		res.Outcome, res.Err = Failed, err
		b.emit(Event{Kind: Failure, Index: j.index, URL: j.url, Path: res.Path, Done: t.done, Total: t.total, Attempt: res.Attempts, Err: err, Result: &res})
		return res
	}
	if err := sem.Acquire(ctx, 1); err != nil {
		return fail(err)
	}
	defer sem.Release(1)

	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval = b.c.RetryWait
	if bo.InitialInterval <= 0 {
		bo.InitialInterval = DefaultRetryWait
	}
	maxWait := b.c.MaxRetryWait
	if maxWait <= 0 {
		maxWait = DefaultMaxRetryWait
	}
	bo.MaxInterval = maxWait
	bo.Reset()

	failures, restarts, relooks := 0, 0, 0
	for {
		t.tries++
		err := t.attempt(ctx, &res)
		if err == nil {
			res.Path = j.path()
			b.emit(Event{Kind: Finished, Index: j.index, URL: j.url, Path: res.Path, Done: res.Size, Total: res.Size, Attempt: res.Attempts, Result: &res})
			return res
		}
		if errors.Is(err, errRestart) && restarts < 3 {
			restarts++
			t.noResume = true
			continue
		}
		if errors.Is(err, errRelook) && relooks < 2 {
			relooks++
			continue
		}
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		// The backoff's jitter (±50%) goes past MaxInterval once that
		// is reached: capped here, as MaxRetryWait caps one wait, or
		// half the retries would be given up.
		wait := min(bo.NextBackOff(), maxWait)
		var rl *retryLater
		asked := errors.As(err, &rl) && rl.wait > 0
		if asked {
			wait = rl.wait
		}
		failures++
		if asked && wait > maxWait && failures <= b.retries() {
			return fail(fmt.Errorf("%w (the server asks to retry after %v, over the %v allowed)", err, wait.Round(time.Second), maxWait))
		}
		if ctx.Err() != nil || !retryable(err) || failures > b.retries() {
			return fail(err)
		}
		b.emit(Event{Kind: Retrying, Index: j.index, URL: j.url, Path: j.path(), Done: t.done, Total: t.total, Attempt: res.Attempts, Wait: wait, Err: err})
		tm := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			tm.Stop()
			return fail(ctx.Err())
		case <-tm.C:
		}
	}
}

// notFile returns ErrNotFile, naming path, when Lstat found something
// other than a regular file or a symbolic link there (a link is replaced,
// never followed).
func notFile(fi fs.FileInfo, path string) error {
	if !fi.Mode().IsRegular() && fi.Mode()&fs.ModeSymlink == 0 {
		return fmt.Errorf("%w: %s is a %s; not replacing it", ErrNotFile, path, filekind.Name(fi.Mode()))
	}
	return nil
}

// retryable reports whether another attempt may succeed.
func retryable(err error) bool {
	var he *fetch.HTTPError
	var fe *fileError
	var dnsErr *net.DNSError
	var pe *proxy.ProxyError
	switch {
	case errors.As(err, &he):
		return transientStatus(he.StatusCode)
	case errors.Is(err, proxy.ErrProxyAuth),
		errors.As(err, &pe) && pe.Status != 0 && !transientStatus(pe.Status):
		// Credentials the proxy refused, or a CONNECT answered for good
		// (403): another attempt sends the same request.
		return false
	case errors.As(err, &fe),
		errors.Is(err, ErrChecksum), errors.Is(err, ErrLengthUnknown), errors.Is(err, ErrTooLarge), errors.Is(err, ErrNotOurs), errors.Is(err, ErrInUse), errors.Is(err, ErrNotFile), errors.Is(err, ErrUnaskedRange),
		errors.Is(err, fetch.ErrInvalidRequest), errors.Is(err, fetch.ErrTooManyRedirects),
		errors.Is(err, fetch.ErrRedirectRefused), errors.Is(err, fetch.ErrDecodedTooLarge),
		errors.Is(err, context.Canceled),
		tlsfail.Permanent(err):
		return false
	case errors.As(err, &dnsErr):
		return !dnsErr.IsNotFound
	}
	return true // the connection: reset, refused, cut, stalled, timed out
}

// transientStatus reports a status another attempt may not get.
func transientStatus(code int) bool {
	switch code {
	case 408, 425, 429, 500, 502, 503, 504:
		return true
	}
	return false
}

// transfer is one job's state across its attempts.
type transfer struct {
	b        *batch
	j        *job
	noResume bool
	noAnon   bool // write NAME.part even for a small file
	tries    int  // calls of attempt, a request sent or not
	// done and total are the last Started or Bytes event's, which
	// Retrying and Failure repeat.
	done, total int64
}

// report emits a Started or Bytes event and keeps its figures, which
// Retrying and Failure repeat.
func (t *transfer) report(kind EventKind, done, total int64, attempt int) {
	t.done, t.total = done, total
	t.b.emit(Event{Kind: kind, Index: t.j.index, URL: t.j.url, Path: t.j.path(), Done: done, Total: total, Attempt: attempt})
}

// attempt makes one request for the job and saves what it gets; it fills
// res on success.
func (t *transfer) attempt(ctx context.Context, res *Result) error {
	b, j := t.b, t.j
	root := j.root

	// The first attempt of a name the directory's listing did not show
	// looks nothing up: there is no final file, part or sidecar.
	fresh := t.tries == 1 && j.unlisted

	// An existing final file, per the policy.
	var final fs.FileInfo
	ferr := fs.ErrNotExist
	if !fresh {
		final, ferr = root.Lstat(j.name)
	}
	if err := j.refuse(final, ferr); err != nil {
		return err
	}
	// A name that may come from the answer's Content-Disposition is known,
	// and IfExists applied, only once the answer's head is in.
	late := b.c.Names == FromHeader && j.req.Name == ""
	haveFinal := ferr == nil && final.Mode().IsRegular() && !late && !t.foreign(j.name)
	if haveFinal && t.keep(final, "", res) {
		return nil
	}

	ps := partState{}
	if !fresh {
		// loadPart removes a stale pair and refuses a part that is not
		// grab's (ErrNotOurs), with or without NoResume: only a part of
		// this URL's is dropped to start again.
		var err error
		if ps, err = loadPart(root, j.temp, j.req.URL); err != nil {
			return err
		}
		if t.noResume && ps.sc != nil {
			dropPart(root, j.temp) // while its lock is held
			ps.f.Close()
			ps = partState{}
		}
	}
	// The part kept, opened and locked by loadPart: held locked from its
	// first look to its rename, so no other download takes it meanwhile.
	f := ps.f
	if f != nil {
		defer f.Close()
	}
	off := int64(0)
	ifRange := ""
	if ps.sc != nil && ps.size > 0 {
		ifRange = validator(ps.sc)
		switch {
		case ps.sc.Length >= 0 && ps.size > ps.sc.Length:
		case ifRange == "" && ps.sc.Length < 0:
			// Nothing would tell another version apart: start again.
		default:
			off = ps.size
		}
	}

	var h hash.Hash // nil: nothing needs the file's SHA-256
	if !b.c.NoHash || j.sum != nil || b.c.Dedup {
		h = sha256.New()
	}
	// The part to resume, opened and its prefix hashed before the request:
	// reading back a large prefix takes time that is neither the server's
	// silence (the stall watchdog) nor a pause in reading its answer.
	if off > 0 && h != nil {
		bufp := b.buffer()
		err := hashPrefix(h, f, off, bufp[:])
		b.put(bufp)
		if err != nil {
			return err
		}
	}

	req := &fetch.Request{URL: j.req.URL, Header: http.Header{}}
	for k, v := range j.req.Header {
		req.Header[k] = append([]string(nil), v...)
	}
	// The bytes as stored: no coding to undo, lengths that match, and
	// ranges of the same representation (HOSTILE.md F6).
	req.Header.Set("Accept-Encoding", "identity")
	if off > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", off-1))
		if ifRange != "" {
			req.Header.Set("If-Range", ifRange)
		}
	} else if haveFinal && b.c.IfExists == Update && j.sum == nil {
		// A file whose checksum is given and did not match (above) is
		// replaced whatever its date.
		req.Header.Set("If-Modified-Since", final.ModTime().UTC().Format(http.TimeFormat))
	}
	conditional := haveFinal && j.sum == nil &&
		(req.Header.Get("If-Modified-Since") != "" || req.Header.Get("If-None-Match") != "")

	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var watchdog *time.Timer
	if stall := b.stall(); stall > 0 {
		watchdog = time.AfterFunc(stall, func() { cancel(ErrStalled) })
		defer watchdog.Stop()
	}
	// stalled names the watchdog that ended the attempt, if one did, in
	// place of the read error the cancel caused (a "context canceled", a
	// body "truncated" by grab itself).
	stalled := func(err error) error {
		cause := context.Cause(actx)
		switch {
		case ctx.Err() != nil:
		case errors.Is(cause, ErrStalled):
			return fmt.Errorf("%w: no byte for %v", ErrStalled, b.stall())
		case errors.Is(cause, ErrTooSlow):
			return cause
		}
		return err
	}

	res.Attempts++
	t.report(Started, off, -1, res.Attempts)
	resp, err := b.opener.Open(actx, req)
	if err != nil {
		var he *fetch.HTTPError
		if errors.As(err, &he) {
			switch {
			case he.StatusCode == http.StatusNotModified && conditional:
				res.Outcome, res.Size = NotModified, final.Size()
				return nil
			case he.StatusCode == http.StatusRequestedRangeNotSatisfiable && off > 0:
				return errRestart
			}
			if ra, ok := retryafter.Parse(http.Header(he.Header).Get("Retry-After"), time.Now()); ok {
				ra = min(ra, 365*24*time.Hour)
				return &retryLater{err: err, wait: ra}
			}
		}
		return stalled(err)
	}
	defer resp.Close()

	sc := &sidecar{
		Grab:         1,
		ETag:         resp.Header.Get("Etag"),
		LastModified: resp.Header.Get("Last-Modified"),
		Length:       -1,
		Encoding:     resp.Header.Get("Content-Encoding"),
	}
	resumed, anon := false, false
	if resp.StatusCode == http.StatusPartialContent && off == 0 {
		// A 206 to a request without Range: the whole file in one range
		// is taken as a 200 (some servers and caches answer so); less is
		// an error, not a file.
		total, ok := rangeToEnd(resp, 0)
		if !ok {
			return fmt.Errorf("%w: %s with Content-Range %q", ErrUnaskedRange, httpsyntax.Status(resp.Status), resp.Header.Get("Content-Range"))
		}
		resp.ContentLength = total
	}
	if resp.StatusCode == http.StatusPartialContent && off > 0 {
		total, ok := checkContentRange(resp, off-1, ps.sc)
		if !ok {
			return errRestart
		}
		if err := b.tooLarge(total, "declared"); err != nil {
			return err
		}
		sc.Length = total
		var first [1]byte
		var have [1]byte
		if _, err := io.ReadFull(resp, first[:]); err != nil {
			return stalled(err)
		}
		if _, err := f.ReadAt(have[:], off-1); err != nil || first != have {
			return errRestart // the byte before the cut differs
		}
		resumed = true
	} else {
		if err := b.tooLarge(resp.ContentLength, "declared"); err != nil {
			return err
		}
		if resp.ContentLength >= 0 {
			sc.Length = resp.ContentLength
		}
		if ps.sc != nil || off > 0 {
			// A 200 to a resume: the server ignored Range or the file
			// changed. Truncate first, then describe the new content, so the
			// old bytes are never taken for the new ones.
			if err := f.Truncate(0); err != nil {
				return fileErr(err)
			}
			if h != nil {
				h.Reset() // the prefix hashed is gone
			}
			if err := writeSidecar(root, j, sc, true); err != nil {
				return err
			}
			off = 0
		} else {
			// A small file whose name is free goes to an anonymous file,
			// linked under its name once complete: no part, no sidecar,
			// nothing left by a kill (a cut transfer starts again).
			if !t.noAnon && resp.ContentLength >= 0 && resp.ContentLength <= anonMax &&
				!late && errors.Is(ferr, fs.ErrNotExist) {
				f = openAnon(j.dirf, j.name)
				anon = f != nil
			}
			if !anon {
				// The listing may be old by now: a part is never written
				// beside files it did not show.
				if fresh && anyFile(root, j.name, j.temp) {
					return errRelook
				}
				// The part first, locked, then its sidecar: a sidecar
				// whose part is missing is always stale (loadPart), and
				// an empty part without one is removed.
				if f, err = openPart(root, j.temp, true); err != nil {
					return err
				}
				if err := writeSidecar(root, j, sc, false); err != nil {
					f.Close()
					return err
				}
			}
			defer f.Close()
		}
	}

	if late {
		// The name from Content-Disposition, once per job.
		if j.name == j.temp {
			// The URL's name again keeps the name claimed for it.
			if n := NameFromDisposition(resp.Header.Get("Content-Disposition"), b.c.Portable); n != "" && n != j.asked {
				if err := b.waitPrepared(actx, watchdog); err != nil {
					return stalled(err)
				}
				j.setName(b.claim(root, j.dkey, n, b.c.IfExists == Number))
			}
		}
		// The name is known now (the header's, or the URL's when it gave
		// none), and so is the file under it: the policy applies before
		// the body is saved.
		fi, err := root.Lstat(j.name)
		if err := j.refuse(fi, err); err != nil {
			return err
		}
		kept := false
		if err == nil && fi.Mode().IsRegular() && !t.foreign(j.name) {
			// Update with a checksum reads the file back.
			b.paused(watchdog, func() { kept = t.keep(fi, sc.LastModified, res) })
		}
		if kept {
			dropPart(root, j.temp)
			return nil
		}
	}

	total := sc.Length
	if off > 0 { // a file just opened is at offset 0
		if _, err := f.Seek(off, io.SeekStart); err != nil {
			return fileErr(err)
		}
	}
	speed := startSpeedCheck(b.c.MinSpeed, b.c.MinSpeedTime, cancel)
	done, err := t.copy(actx, f, resp, h, off, total, watchdog, speed, res.Attempts)
	speed.end()
	if err != nil {
		return stalled(err)
	}
	if total >= 0 && done != total {
		return fmt.Errorf("%w: got %d of %d bytes", ErrLength, done, total)
	}
	var sum []byte
	if h != nil {
		sum = h.Sum(nil)
	}
	res.LengthUnknown = resp.LengthUnknown && j.sum == nil
	if j.sum != nil && !bytes.Equal(sum, j.sum) {
		if !anon { // an anonymous file goes with its descriptor; a part of the name is not ours
			release := holdLock(f) // dropped while still ours
			f.Close()
			dropPart(root, j.temp)
			release()
		} else {
			f.Close()
		}
		return fmt.Errorf("%w: got sha256=%x, want sha256=%x", ErrChecksum, sum, j.sum)
	}
	if res.LengthUnknown && b.c.RequireLength {
		return ErrLengthUnknown // the part is kept: a later Range may finish it
	}
	// The server's date, set through the descriptor while the file is
	// open (after the last write, which would change it again).
	if lm, ok := httpdate.Parse(sc.LastModified); ok {
		setModTime(f, root, j.temp+".part", lm)
	}
	setOrigin(f, j.req.URL)
	if !b.c.NoSync {
		if err := f.Sync(); err != nil {
			return fileErr(err)
		}
	}
	res.Size = done
	if h != nil {
		res.SHA256 = hex.EncodeToString(sum)
	}
	if anon {
		return t.link(f, res)
	}
	// The part's lock is held past its close (whose error counts) until it
	// is renamed, so that no other download takes it in between.
	release := holdLock(f)
	defer release()
	if err := f.Close(); err != nil {
		return fileErr(err)
	}
	dup, err := t.place(res, func() error { return root.Rename(j.temp+".part", j.name) })
	switch {
	case dup:
		dropPart(root, j.temp)
		return nil
	case err != nil:
		return fileErr(err)
	}
	// The sidecar goes unless a new part has taken the name meanwhile
	// (another download, which writes its part before its sidecar).
	if _, err := root.Lstat(j.temp + ".part"); errors.Is(err, fs.ErrNotExist) {
		dropSidecar(root, j.temp)
	}
	res.Outcome = Downloaded
	if resumed {
		res.Outcome = Resumed
	}
	return nil
}

// refuse returns why the file Lstat found under j's final name (fi, err)
// is never kept nor replaced: not a regular file or a link (notFile), or
// another download's partial file (otherPart); nil when there is none.
func (j *job) refuse(fi fs.FileInfo, err error) error {
	if err != nil {
		return nil
	}
	if err := notFile(fi, j.path()); err != nil {
		return err
	}
	return otherPart(j.root, j.name)
}

// otherPart refuses name when it is another download's partial file: a
// name ending in ".part" (any case, as file systems that fold case find
// it) beside its sidecar NAME.json is never kept, resumed into, nor
// replaced.
func otherPart(root *os.Root, name string) error {
	if !strings.HasSuffix(strings.ToLower(name), ".part") {
		return nil
	}
	if fi, err := root.Lstat(name + ".json"); err == nil && fi.Mode().IsRegular() {
		return fmt.Errorf("%w: %s is the partial file of another download (it has %s.json)", ErrNotOurs, name, name)
	}
	return nil
}

// foreign reports whether Update must not trust the file under name as a
// copy of this URL's: it is recorded as another URL's of this Do
// (setOrigin), as when two URLs of one name are numbered in another order
// than last time. A file of a URL not asked for now (a host or port that
// changed, a signed URL's new token) is still taken by its name, as in
// curl -z and wget -N; a given checksum tells by the content instead.
func (t *transfer) foreign(name string) bool {
	if t.b.c.IfExists != Update || t.j.sum != nil {
		return false
	}
	h, ok := recordedURL(t.j.root, name)
	return ok && h != urlHash(t.j.req.URL) && t.b.asked()[h]
}

// keep applies IfExists to fi, the regular file under the final name, and
// reports whether it is kept, res filled: Skip keeps it; Update keeps it
// when its checksum is given and matches, or, given the answer's
// Last-Modified (a name known only from the answer), when that is not
// newer than the file's date, as the server would answer If-Modified-Since.
func (t *transfer) keep(fi fs.FileInfo, lastModified string, res *Result) bool {
	switch t.b.c.IfExists {
	case Skip:
		res.Outcome, res.Size = Skipped, fi.Size()
		return true
	case Update:
		if t.j.sum != nil {
			sum, err := fileSum(t.j.root, t.j.name)
			if err == nil && bytes.Equal(sum, t.j.sum) {
				res.Outcome, res.Size, res.SHA256 = Skipped, fi.Size(), hex.EncodeToString(sum)
				return true
			}
			return false
		}
		if lm, ok := httpdate.Parse(lastModified); ok && !lm.After(fi.ModTime()) {
			res.Outcome, res.Size = NotModified, fi.Size()
			return true
		}
	}
	return false
}

// link gives the complete anonymous file f its final name, unless Dedup
// finds its content saved already, and closes it. A name taken meanwhile
// starts the transfer again through NAME.part, looking everything up, so
// that IfExists decides.
func (t *transfer) link(f *os.File, res *Result) error {
	dup, err := t.place(res, func() error {
		err := linkAnon(f, t.j.dirf, t.j.name)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	})
	switch {
	case dup:
		return nil
	case errors.Is(err, fs.ErrExist):
		t.noAnon = true
		return errRelook
	case err != nil:
		return fileErr(err)
	}
	res.Outcome = Downloaded
	return nil
}

// place gives the complete file its final name with name (a rename or a
// link), unless Dedup finds its content saved already in this Do: then
// name is not called, res is a Skipped duplicate, and dup is true. A name
// that fails is not saved after all, so that the next attempt, or another
// file of the content, is no duplicate of it.
func (t *transfer) place(res *Result, name func() error) (dup bool, err error) {
	b, path := t.b, t.j.path()
	if !b.c.Dedup {
		return false, name()
	}
	if first, dup := b.saved(res.SHA256, path); dup {
		res.Outcome, res.DuplicateOf = Skipped, first
		return true, nil
	}
	if err := name(); err != nil {
		b.unsave(res.SHA256, path)
		return false, err
	}
	return false, nil
}

// copy streams the body into f from offset off, hashing it into h unless
// h is nil, under the rate limit, resetting the stall watchdog, and
// reports the file's size. Reads fill half of a copy buffer or more
// before a write, so a fast body takes few writes; a body the transport
// moves to the file itself (splice) takes no buffer. The hash runs on the transfer's
// goroutine: handing buffers to a hashing goroutine cost more CPU than it
// hid (scheduler wake-ups) and lost time whenever the other core was
// busy, as it is with two cores and a server.
func (t *transfer) copy(ctx context.Context, f *os.File, r *fetch.Response, h hash.Hash, off, total int64, watchdog *time.Timer, speed *speedCheck, attempt int) (int64, error) {
	b := t.b
	stall := b.stall()
	done := off
	if h == nil && b.limiter == nil && speed == nil {
		// Nothing to see in the bytes: the transport moves them from the
		// socket to the file (splice on Linux), if it can; it does only
		// for a declared length, which MaxSize has checked.
		for {
			n, err := r.ReadFile(f, 1<<30)
			if errors.Is(err, errors.ErrUnsupported) {
				break // nothing read: the loop below reads
			}
			if n > 0 {
				if watchdog != nil {
					watchdog.Reset(stall)
				}
				done += n
				t.report(Bytes, done, total, attempt)
			}
			if err == nil {
				continue
			}
			var fe *fetch.FileWriteError
			switch {
			case err == io.EOF:
				return done, nil
			case errors.As(err, &fe):
				return done, fileErr(fe.Err)
			default:
				return done, err
			}
		}
	}
	bufp := b.buffer()
	defer b.put(bufp)
	buf := bufp[:]
	chunk := len(buf)
	if b.limiter != nil {
		chunk = min(chunk, b.limiter.Burst())
	}
	for {
		n := 0
		var rerr error
		for n < len(buf)/2 && rerr == nil {
			var k int
			k, rerr = r.Read(buf[n:min(n+chunk, len(buf))]) // what was read is written first, to be resumed
			speed.add(k)
			if k == 0 {
				continue
			}
			if watchdog != nil {
				watchdog.Reset(stall)
			}
			n += k
			if total >= 0 && done+int64(n) > total {
				return done, fmt.Errorf("%w: more than the %d bytes declared", ErrLength, total)
			}
			if err := b.tooLarge(done+int64(n), "got"); err != nil {
				return done, err // what is over the limit is not written
			}
			if b.limiter != nil {
				// The wait for the rate is no silence of the server's.
				var err error
				b.paused(watchdog, func() { err = b.limiter.WaitN(ctx, k) })
				if err != nil {
					return done, err
				}
			}
		}
		if n > 0 {
			if _, err := f.Write(buf[:n]); err != nil {
				return done, fileErr(err)
			}
			if h != nil {
				h.Write(buf[:n])
			}
			done += int64(n)
			t.report(Bytes, done, total, attempt)
		}
		if rerr == io.EOF {
			return done, nil
		}
		if rerr != nil {
			return done, rerr
		}
	}
}

// tooLarge returns ErrTooLarge when size bytes (declared by the server,
// or got so far) pass Client.MaxSize.
func (b *batch) tooLarge(size int64, what string) error {
	if max := b.c.MaxSize; max > 0 && size > max {
		return fmt.Errorf("%w: %s %d bytes, over the %d allowed", ErrTooLarge, what, size, max)
	}
	return nil
}

// speedCheck measures a body's speed over windows of a set length, for
// Client.MinSpeed: a timer at the end of each window, so a read that
// waits is ended too; a nil one checks nothing.
type speedCheck struct {
	min    int64
	window time.Duration
	bytes  atomic.Int64 // read in this window
	start  time.Time    // of this window; the timer's own
	timer  *time.Timer
}

// startSpeedCheck starts checking the speed of a body, ending it with
// stop (ErrTooSlow) after a window slower than min bytes a second; nil
// when min is 0.
func startSpeedCheck(min int64, window time.Duration, stop context.CancelCauseFunc) *speedCheck {
	if min <= 0 {
		return nil
	}
	if window <= 0 {
		window = DefaultMinSpeedTime
	}
	s := &speedCheck{min: min, window: window, start: time.Now()}
	// Made idle, then set: the function never runs before s.timer is.
	s.timer = time.AfterFunc(math.MaxInt64, func() {
		now := time.Now()
		el := now.Sub(s.start)
		if rate := float64(s.bytes.Swap(0)) / el.Seconds(); rate < float64(s.min) {
			stop(fmt.Errorf("%w: %.0f bytes a second over %s, below the minimum of %d", ErrTooSlow, rate, el.Round(time.Millisecond), s.min))
			return
		}
		s.start = now
		s.timer.Reset(s.window)
	})
	s.timer.Reset(window)
	return s
}

// add counts n bytes read.
func (s *speedCheck) add(n int) {
	if s != nil {
		s.bytes.Add(int64(n))
	}
}

// end stops the checks.
func (s *speedCheck) end() {
	if s != nil {
		s.timer.Stop()
	}
}

// validator returns the If-Range value for a sidecar: a strong ETag, or
// else the Last-Modified date, or "" (HTTP allows no weak ETag there).
func validator(sc *sidecar) string {
	if sc.ETag != "" && !strings.HasPrefix(sc.ETag, "W/") {
		return sc.ETag
	}
	return sc.LastModified
}

// checkContentRange checks a 206 to "Range: bytes=start-": one range,
// beginning at start, to the end of a known total that matches what the
// sidecar recorded, in the same content coding, of the same version (an
// ETag or Last-Modified it carries equals the one recorded: a server that
// ignores If-Range may send a range of a newer one). It returns the total.
func checkContentRange(resp *fetch.Response, start int64, sc *sidecar) (int64, bool) {
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); strings.HasPrefix(mt, "multipart/") {
		return 0, false
	}
	if resp.Header.Get("Content-Encoding") != sc.Encoding {
		return 0, false
	}
	if etag := resp.Header.Get("Etag"); etag != "" && sc.ETag != "" && etag != sc.ETag {
		return 0, false
	}
	if lm := resp.Header.Get("Last-Modified"); lm != "" && sc.LastModified != "" && lm != sc.LastModified {
		return 0, false
	}
	total, ok := rangeToEnd(resp, start)
	if !ok || sc.Length >= 0 && total != sc.Length {
		return 0, false
	}
	return total, true
}

// rangeToEnd reports whether resp's Content-Range runs from start to the
// end of a known total, with a Content-Length (when given) to match, and
// returns the total.
func rangeToEnd(resp *fetch.Response, start int64) (int64, bool) {
	first, last, total, ok := parseContentRange(resp.Header.Get("Content-Range"))
	if !ok || first != start || total < 0 || last != total-1 {
		return 0, false
	}
	if resp.ContentLength >= 0 && resp.ContentLength != last-first+1 {
		return 0, false
	}
	return total, true
}

// parseContentRange reads "bytes FIRST-LAST/TOTAL" (TOTAL may be "*", -1).
func parseContentRange(v string) (first, last, total int64, ok bool) {
	rest, found := strings.CutPrefix(strings.TrimSpace(v), "bytes ")
	if !found {
		return 0, 0, 0, false
	}
	span, size, found := strings.Cut(rest, "/")
	if !found {
		return 0, 0, 0, false
	}
	a, z, found := strings.Cut(span, "-")
	if !found {
		return 0, 0, 0, false
	}
	var err error
	if first, err = strconv.ParseInt(a, 10, 64); err != nil || first < 0 {
		return 0, 0, 0, false
	}
	if last, err = strconv.ParseInt(z, 10, 64); err != nil || last < first {
		return 0, 0, 0, false
	}
	if size == "*" {
		return first, last, -1, true
	}
	if total, err = strconv.ParseInt(size, 10, 64); err != nil || total <= last {
		return 0, 0, 0, false
	}
	return first, last, total, true
}

// fileSum returns the SHA-256 of a file in root.
func fileSum(root *os.Root, name string) ([]byte, error) {
	f, err := root.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}
