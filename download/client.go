package download

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sync/semaphore"
	"golang.org/x/time/rate"

	"github.com/grabhq/grab/fetch"
	"github.com/grabhq/grab/internal/redact"
	"github.com/grabhq/grab/internal/urlpath"
	"github.com/grabhq/grab/internal/utf8x"
)

// Defaults of the Client's fields.
const (
	DefaultConcurrency  = 8
	DefaultRetries      = 5
	DefaultRetryWait    = time.Second
	DefaultMaxRetryWait = 2 * time.Minute
	DefaultStall        = 30 * time.Second
	DefaultMinSpeedTime = 30 * time.Second
	// ReadBufferSize is the fetch.Opener.ReadBufferSize of the Opener a
	// Client makes for itself: a file up to about this size arrives with
	// its head in one read (grab download's own Opener sets it too). With
	// fetch/conn's default, 32 KiB, a 64 KiB file took a read, a write and
	// two splices, and 500 of them 7% longer.
	ReadBufferSize = 128 << 10
	// bufSize is the size of the copy buffer of one transfer.
	bufSize = 256 << 10
	// anonMax is the largest file written to an anonymous file rather than
	// NAME.part: resuming it would save less than a request costs.
	anonMax = 64 << 10
)

// Policy says what to do when a file already exists under the final name.
type Policy int

const (
	// Update asks the server with a conditional GET (If-Modified-Since
	// the file's modification time, which download sets to the server's
	// Last-Modified) and replaces the file only when it changed; a file
	// whose checksum is given and matches is kept without a request. It is
	// the zero value, so rerunning a download is cheap and idempotent.
	Update Policy = iota
	// Skip keeps an existing file and makes no request.
	Skip
	// Overwrite downloads again and replaces the file.
	Overwrite
	// Number keeps the existing file and saves the new one as "name (1).ext"
	// (the first free number), as wget and browsers do.
	Number
)

func (p Policy) String() string {
	switch p {
	case Update:
		return "update"
	case Skip:
		return "skip"
	case Overwrite:
		return "overwrite"
	case Number:
		return "number"
	}
	return fmt.Sprintf("Policy(%d)", int(p))
}

// NameSource says where a file's name comes from when the Request gives
// none.
type NameSource int

const (
	// FromURL names a file after the last segment of the URL given (not
	// of a redirect's target), as curl -O and wget do.
	FromURL NameSource = iota
	// FromHeader prefers the server's Content-Disposition file name (as
	// curl -J and wget --content-disposition), made safe by SafeName; the
	// URL's name is used when there is none.
	FromHeader
)

// Client downloads files. Its zero value is ready to use with the defaults
// below; a Client may be used by several goroutines at once and must not be
// changed while in use.
type Client struct {
	// Opener makes the requests; nil means a new fetch.Opener for each
	// call of Do (whose idle connections are closed when it returns), with
	// a ReadBufferSize of [ReadBufferSize].
	Opener *fetch.Opener
	// Concurrency bounds the files transferred at once
	// (DefaultConcurrency when 0).
	Concurrency int
	// PerHost bounds the files transferred at once from one host (by the
	// URL's host and port); 0 means Concurrency.
	PerHost int
	// Retries is how many times a failed transfer is tried again after a
	// transient failure (DefaultRetries when 0; negative for none).
	Retries int
	// RetryWait is the first wait before a retry, doubled (with jitter)
	// each time (DefaultRetryWait when 0).
	RetryWait time.Duration
	// MaxRetryWait caps one wait; a Retry-After asking for more gives up
	// (DefaultMaxRetryWait when 0).
	MaxRetryWait time.Duration
	// Stall ends an attempt that receives no byte of the body for this
	// long, to be retried (DefaultStall when 0; negative for none). The
	// response head must arrive whole within Stall of the request (net/http's
	// ResponseHeaderTimeout): a head sent a byte at a time is a stall.
	Stall time.Duration
	// MinSpeed ends an attempt whose body arrives at fewer than MinSpeed
	// bytes a second over MinSpeedTime, to be retried (curl's
	// --speed-limit); 0 means no minimum. A slow but steady body
	// otherwise completes: Stall only ends one that stops.
	MinSpeed int64
	// MinSpeedTime is the window MinSpeed is measured over
	// (DefaultMinSpeedTime when 0; curl's --speed-time).
	MinSpeedTime time.Duration
	// RateLimit caps the bytes a second written by all transfers of one
	// Do together; 0 means no limit.
	RateLimit int64
	// Names chooses where names come from when a Request has none.
	Names NameSource
	// Portable applies Windows' file name rules on every system.
	Portable bool
	// IfExists says what to do with a file already under the final name.
	IfExists Policy
	// NoResume restarts every transfer from its first byte, discarding
	// grab's partial files (a NAME.part without its sidecar is not grab's
	// and is still left alone: ErrNotOurs).
	NoResume bool
	// RequireLength fails a transfer whose length the server does not give
	// (a body that ends when the connection closes), unless a checksum
	// verifies it; by default such a file is kept and flagged in
	// Result.LengthUnknown.
	RequireLength bool
	// Dedup keeps one file per content: a file whose SHA-256 equals one
	// saved before in the same Do is removed again, and its Result names
	// the first in DuplicateOf.
	Dedup bool
	// NoSync skips the fsync before a file gets its final name: faster on
	// disks, but a power loss may leave a final file with missing bytes.
	NoSync bool
	// NoHash skips the SHA-256 of a file nothing needs it for: its
	// Result.SHA256 is left empty. A Request with a Checksum, and every
	// file under Dedup, is hashed all the same. Hashing costs about as
	// much CPU as the rest of a loopback transfer (SHA-256 runs at 1.5 to
	// 2 GB/s a core with the CPU's SHA instructions), so a caller that
	// only wants the files, as curl and wget give them, sets it.
	NoHash bool
	// MaxSize fails a file of more than this many bytes with ErrTooLarge,
	// as curl's --max-filesize: before any byte is saved when the server
	// declares the length (or the total of a resumed range), else once the
	// body passes it. It is not retried; a part cut there is kept, as after
	// any failure, for a later run with a higher limit. 0 means no limit.
	MaxSize int64
	// Progress, when set, receives an Event as each transfer moves. It is
	// called from several goroutines at once and should return quickly.
	Progress func(Event)
}

// Request is one file to download.
type Request struct {
	URL string
	// Dir is the directory the file goes in ("" means the current one); it
	// is created when missing. Nothing is written outside it.
	Dir string
	// Name is the file's name in Dir, a single path element; "" means one
	// chosen by the Client's Names.
	Name string
	// Checksum, when set, is "sha256=HEX" (or "sha256:HEX"): the file must
	// have this SHA-256 to get its final name.
	Checksum string
	// Header holds extra request fields.
	Header http.Header
}

// Into returns one Request per URL, all saving into dir under names chosen
// by the Client: what a caller holding a list of image URLs wants.
func Into(dir string, urls ...string) []Request {
	reqs := make([]Request, len(urls))
	for i, u := range urls {
		reqs[i] = Request{URL: u, Dir: dir}
	}
	return reqs
}

// Outcome is what became of one file.
type Outcome int

const (
	Failed      Outcome = iota // not saved; see Result.Err
	Downloaded                 // saved, from the first byte
	Resumed                    // saved, a partial file completed
	NotModified                // the existing file is current (304)
	Skipped                    // an existing file was kept without a transfer, or a duplicate removed
)

func (o Outcome) String() string {
	switch o {
	case Failed:
		return "failed"
	case Downloaded:
		return "downloaded"
	case Resumed:
		return "resumed"
	case NotModified:
		return "not-modified"
	case Skipped:
		return "skipped"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// MarshalText makes an Outcome its name in JSON.
func (o Outcome) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// UnmarshalText reads an Outcome's name.
func (o *Outcome) UnmarshalText(b []byte) error {
	for c := Failed; c <= Skipped; c++ {
		if c.String() == string(b) {
			*o = c
			return nil
		}
	}
	return fmt.Errorf("download: unknown outcome %q", b)
}

// Result is what became of one Request.
type Result struct {
	URL     string // as requested, any password replaced by "xxxxx"
	Path    string // the file (Dir joined with the final name); "" if none was chosen
	Size    int64  // bytes in the file
	SHA256  string // hex; empty for a file that was not read (skipped, not modified) or not hashed (Client.NoHash)
	Outcome Outcome
	// LengthUnknown reports a body that ended with its connection, so
	// that a cut could not be told from the end (no checksum verified it).
	LengthUnknown bool
	// DuplicateOf names the file of the same content kept instead (Dedup).
	DuplicateOf string
	Attempts    int // requests sent (0: the file was kept or failed before any)
	Err         error
}

// EventKind tells Events apart.
type EventKind int

const (
	Queued   EventKind = iota // the request is waiting for a worker
	Started                   // a transfer began; Done is the resumed offset
	Bytes                     // bytes arrived
	Retrying                  // the transfer failed and is tried again after Wait
	Finished                  // the file is saved (or skipped, or not modified); Result set
	Failure                   // the file could not be saved; Result set
)

func (k EventKind) String() string {
	names := [...]string{"queued", "started", "bytes", "retrying", "done", "failed"}
	if k < 0 || int(k) >= len(names) {
		return fmt.Sprintf("EventKind(%d)", int(k))
	}
	return names[k]
}

// Event reports the progress of one Request.
type Event struct {
	Kind    EventKind
	Index   int           // the Request's index in Do's arguments
	URL     string        // as in Result.URL
	Path    string        // the file, once its name is known
	Done    int64         // bytes of the file so far (a resumed part included); Retrying and Failure: the failed attempt's last figure
	Total   int64         // the file's full size, -1 when unknown
	Attempt int           // the requests sent for the file so far, this one included
	Wait    time.Duration // Retrying: the wait before the next attempt
	Err     error         // Retrying: what failed
	Result  *Result       // Finished and Failure
}

// Errors callers act on, matched with errors.Is.
var (
	// ErrChecksum reports a file whose SHA-256 is not the one asked for; the
	// partial file is removed.
	ErrChecksum = errors.New("download: checksum mismatch")
	// ErrStalled reports an attempt that received nothing for Client.Stall.
	ErrStalled = errors.New("download: transfer stalled")
	// ErrTooSlow reports an attempt slower than Client.MinSpeed.
	ErrTooSlow = errors.New("download: transfer too slow")
	// ErrLengthUnknown reports, with Client.RequireLength, a body without
	// a declared length.
	ErrLengthUnknown = errors.New("download: length unknown (the body ended with the connection)")
	// ErrLength reports a body longer or shorter than the server declared.
	ErrLength = errors.New("download: wrong length")
	// ErrNotOurs reports a NAME.part file grab did not make (it has no
	// sidecar, or is not a regular file): it is left alone.
	ErrNotOurs = errors.New("download: partial file is not grab's")
	// ErrInUse reports a NAME.part another transfer is writing (another
	// grab process, or another Do, downloading into the same directory):
	// it is left alone, and the file fails rather than take it over.
	ErrInUse = errors.New("download: partial file is being written by another download")
	// ErrUnaskedRange reports a 206 to a request for the whole file whose
	// range is not the whole file (one that is is taken as a 200).
	ErrUnaskedRange = errors.New("download: part of the file (206) to a request for the whole of it")
	// ErrTooLarge reports a file over Client.MaxSize.
	ErrTooLarge = errors.New("download: file larger than the maximum size")
	// ErrNotFile reports a final name taken by something other than a
	// regular file or a symbolic link (a directory, a device such as
	// /dev/null, a FIFO, a socket): it is never replaced.
	ErrNotFile = errors.New("download: the name is not a regular file")
)

// Retrieve downloads rawURL to the file path with a zero Client: resumed
// if a partial file is there, verified, and renamed to path only when
// complete.
func Retrieve(ctx context.Context, rawURL, path string) (Result, error) {
	return new(Client).Retrieve(ctx, rawURL, path)
}

// Retrieve downloads rawURL to the file path: see [Retrieve].
// A path that names a directory ("out/", "", ".") is an error, as in
// curl -o and urlretrieve, not a file named after the directory.
func (c *Client) Retrieve(ctx context.Context, rawURL, path string) (Result, error) {
	dir, name := filepath.Split(path)
	if name == "" || name == "." || name == ".." {
		err := fmt.Errorf("download: path %q names a directory; want a file's path", path)
		return Result{URL: redact.String(rawURL), Outcome: Failed, Err: err}, err
	}
	res, err := c.Do(ctx, Request{URL: rawURL, Dir: dir, Name: name})
	return res[0], err
}

// Do downloads reqs, at most Concurrency at once, and returns one Result
// per Request in the same order. A failure never stops the other
// transfers; the error joins the failures (nil when none failed).
// Cancelling ctx stops every transfer and leaves their partial files, never
// a file under its final name that is not complete.
func (c *Client) Do(ctx context.Context, reqs ...Request) ([]Result, error) {
	if ctx == nil { // it would panic in a worker, where no caller can recover
		err := errors.New("download: nil Context")
		results := make([]Result, len(reqs))
		for i, r := range reqs {
			results[i] = Result{URL: redact.String(r.URL), Outcome: Failed, Err: err}
		}
		return results, err
	}
	b := c.newBatch()
	defer b.close()
	b.asked = sync.OnceValue(func() map[string]bool {
		set := make(map[string]bool, len(reqs))
		for _, r := range reqs {
			set[urlHash(r.URL)] = true
		}
		return set
	})
	b.listMax = min(256+16*len(reqs), 1<<16)
	results := make([]Result, len(reqs))
	// A fixed pool of workers taking the jobs in order, rather than a
	// goroutine per file: a worker's stack, grown once by the first
	// transfer, serves the next ones. The workers start before the
	// requests are prepared and take each job as soon as it is queued, so
	// the first transfers overlap the naming of the rest; once all are
	// queued, a worker done with one file takes the next from the
	// channel's buffer, with no hand-over to wake it.
	queue := make(chan *job, len(reqs))
	var wg sync.WaitGroup
	for range min(b.concurrency, len(reqs)) {
		wg.Go(func() {
			// A job that comes after the context's end fails in run, at
			// its host's semaphore, without starting.
			for j := range queue {
				results[j.index] = b.run(ctx, j)
			}
		})
	}
	func() {
		// Deferred, so that workers end even when Progress panics.
		defer func() {
			close(queue)
			close(b.prepared)
		}()
		for i, r := range reqs {
			j, err := b.prepare(i, r)
			if err != nil {
				url := redact.String(r.URL)
				results[i] = Result{URL: url, Outcome: Failed, Err: err}
				b.emit(Event{Kind: Failure, Index: i, URL: url, Total: -1, Result: &results[i]})
				continue
			}
			b.emit(Event{Kind: Queued, Index: i, URL: j.url, Path: j.path(), Total: -1})
			queue <- j
		}
	}()
	wg.Wait()
	var errs []error
	for _, r := range results {
		if r.Err != nil {
			where := r.Path
			if where == "" {
				where = r.URL
			}
			errs = append(errs, fmt.Errorf("%s: %w", where, r.Err))
		}
	}
	return results, errors.Join(errs...)
}

// batch is the state one Do shares between its transfers.
type batch struct {
	c *Client
	// asked (set by Do) holds the urlHash of each URL of this Do, made on
	// the first call, which only a rerun over existing files makes.
	asked       func() map[string]bool
	opener      *fetch.Opener
	own         bool // opener made here, its connections closed at the end
	concurrency int
	perHost     int
	limiter     *rate.Limiter
	bufs        chan *[bufSize]byte // free copy buffers, made as needed
	listMax     int                 // the most names a directory's listing reads

	// prepared is closed once Do has prepared every request: a name from
	// Content-Disposition is claimed after every request's name from its
	// URL, as if no transfer had started, whatever the timing.
	prepared chan struct{}

	mu     sync.Mutex
	dirs   map[string]*dirState // by absolute path
	byDir  map[string]*dirState // by Request.Dir as given: made absolute once
	hosts  map[string]*semaphore.Weighted
	claims map[string]bool   // dir NUL folded name: names taken in this Do
	seen   map[string]string // Dedup: SHA-256 (hex) to the first file saved with it
}

func (c *Client) newBatch() *batch {
	b := &batch{
		c:        c,
		opener:   c.Opener,
		dirs:     map[string]*dirState{},
		byDir:    map[string]*dirState{},
		hosts:    map[string]*semaphore.Weighted{},
		claims:   map[string]bool{},
		seen:     map[string]string{},
		prepared: make(chan struct{}),
	}
	if b.opener == nil {
		b.opener, b.own = &fetch.Opener{ReadBufferSize: ReadBufferSize}, true
	}
	b.concurrency = c.Concurrency
	if b.concurrency <= 0 {
		b.concurrency = DefaultConcurrency
	}
	b.perHost = c.PerHost
	if b.perHost <= 0 || b.perHost > b.concurrency {
		b.perHost = b.concurrency
	}
	if c.RateLimit > 0 {
		burst := int(min(c.RateLimit, bufSize))
		b.limiter = rate.NewLimiter(rate.Limit(c.RateLimit), burst)
	}
	// A free list rather than a sync.Pool, which every GC empties: each
	// buffer is made once per Do, not again after each collection.
	b.bufs = make(chan *[bufSize]byte, 2*min(b.concurrency, maxFreeBuffers/2))
	return b
}

// maxFreeBuffers caps the free list, which is made at its full size: a
// Concurrency of millions would otherwise ask for gigabytes up front.
const maxFreeBuffers = 1024

// buffer returns a free copy buffer; put gives it back.
func (b *batch) buffer() *[bufSize]byte {
	select {
	case p := <-b.bufs:
		return p
	default:
		return new([bufSize]byte)
	}
}

func (b *batch) put(p *[bufSize]byte) {
	select {
	case b.bufs <- p:
	default:
	}
}

func (b *batch) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, d := range b.dirs {
		if d.file != nil {
			d.file.Close()
		}
		if d.root != nil {
			d.root.Close()
		}
	}
	if b.own {
		b.opener.CloseIdleConnections()
	}
}

// waitPrepared waits until Do has prepared every request, or ctx ends,
// with the stall watchdog (nil: none) stopped meanwhile: the wait is no
// server's fault.
func (b *batch) waitPrepared(ctx context.Context, watchdog *time.Timer) error {
	select {
	case <-b.prepared:
		return nil
	default:
	}
	var err error
	b.paused(watchdog, func() {
		select {
		case <-b.prepared:
		case <-ctx.Done():
			err = ctx.Err() // as a transfer cut by ctx reports it
		}
	})
	return err
}

// paused runs f with the stall watchdog stopped: waiting on this process
// (the naming of other requests, a file read back) is no silence of the
// server's.
func (b *batch) paused(watchdog *time.Timer, f func()) {
	if watchdog != nil {
		watchdog.Stop()
		defer watchdog.Reset(b.stall())
	}
	f()
}

func (b *batch) emit(e Event) {
	if b.c.Progress != nil {
		b.c.Progress(e)
	}
}

func (b *batch) retries() int {
	switch {
	case b.c.Retries < 0:
		return 0
	case b.c.Retries == 0:
		return DefaultRetries
	}
	return b.c.Retries
}

func (b *batch) stall() time.Duration {
	switch {
	case b.c.Stall < 0:
		return 0
	case b.c.Stall == 0:
		return DefaultStall
	}
	return b.c.Stall
}

// dirState is a directory of a Do, opened once.
type dirState struct {
	key    string // the directory's absolute path: "out" and "./out" are one
	root   *os.Root
	file   *os.File        // the directory open through root (nil if it cannot be: no anonymous files)
	listed map[string]bool // its listing (listDir), or nil; never changed once made
	err    error           // why it cannot be used (then the rest is nil)
}

// dir returns dir's state, opened once per Do: the directory is created
// when missing, opened as an os.Root and through it, and listed. A
// directory that cannot be written is an error before anything is fetched
// into it (once per Do, not once per file).
func (b *batch) dir(dir string) (*dirState, error) {
	b.mu.Lock()
	d, ok := b.byDir[dir]
	b.mu.Unlock()
	if ok {
		return d, d.err
	}
	key, err := filepath.Abs(dir) // a relative dir costs a getwd
	if err != nil {
		key = filepath.Clean(dir)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if d, ok := b.dirs[key]; ok {
		b.byDir[dir] = d
		return d, d.err
	}
	d = &dirState{key: key}
	if d.root, d.file, d.err = openDir(dir); d.err == nil {
		d.listed = listDir(d.file, b.listMax)
	}
	b.dirs[key], b.byDir[dir] = d, d
	return d, d.err
}

// unlisted reports whether the listing of the directory, read when this
// Do opened it, shows no file of name's: neither name nor its part,
// sidecar or new sidecar (any case). A job whose name is unlisted skips
// those four lookups on its first attempt; the package doc says what a
// file another process makes meanwhile meets.
func (d *dirState) unlisted(name string) bool {
	return d.listed != nil && utf8x.ASCII(name) && !d.listed[strings.ToLower(name)]
}

// listDir returns the names in the open directory d in lower case, each
// also without the suffix of a part, sidecar or new sidecar when it has
// one (so "a.part" stands for a file of "a"'s too); nil when it holds more
// than max names, when one is not ASCII (a file system may fold it onto an
// ASCII name), or when d is nil or cannot be read: then every name is
// looked up.
func listDir(d *os.File, max int) map[string]bool {
	if d == nil {
		return nil
	}
	set := map[string]bool{}
	for seen := 0; seen <= max; {
		names, err := d.Readdirnames(256)
		for _, n := range names {
			if !utf8x.ASCII(n) {
				return nil
			}
			n = strings.ToLower(n)
			set[n] = true
			if stem, ok := ownStem(n); ok {
				set[stem] = true
			}
		}
		seen += len(names)
		switch {
		case err == io.EOF:
			return set
		case err != nil:
			return nil
		}
	}
	return nil
}

// openDir creates dir when missing and opens it as an os.Root, with the
// directory itself open through it (nil if that fails), after checking
// that it can be written.
func openDir(dir string) (*os.Root, *os.File, error) {
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return nil, nil, err
	}
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, nil, err
	}
	d, err := r.Open(".")
	if err != nil {
		d = nil
	}
	if err := writable(d); err != nil {
		d.Close() // writable(nil) is nil: d is open here
		r.Close()
		return nil, nil, &fs.PathError{Op: "write in", Path: dir, Err: err}
	}
	return r, d, nil
}

// CheckDir reports, without making anything, why Do could not save files
// in dir: a file in the way of dir or of a directory above it, a
// read-only file system, no write permission. A dir that does not exist
// yet is fine when the nearest directory above it that does lets Do make
// it. A caller whose work ends in downloads (grab crawl --download) calls
// it first, so a wrong dir is said at once, not after the work.
func CheckDir(dir string) error {
	if dir == "" {
		dir = "."
	}
	for p := dir; ; {
		fi, err := os.Stat(p)
		switch {
		case err == nil && !fi.IsDir():
			return &fs.PathError{Op: "mkdir", Path: p, Err: syscall.ENOTDIR}
		case err == nil && p == dir:
			// Opened as Do opens it (MkdirAll makes nothing then).
			r, d, err := openDir(dir)
			if err != nil {
				return err
			}
			d.Close()
			r.Close()
			return nil
		case err == nil:
			// Making a directory in p takes write (and search) permission,
			// not read: p is not opened.
			if err := writablePath(p); err != nil {
				return &fs.PathError{Op: "write in", Path: p, Err: err}
			}
			return nil
		case !errors.Is(err, fs.ErrNotExist):
			return err
		}
		if _, err := os.Lstat(p); err == nil {
			// A symbolic link to nothing: MkdirAll cannot make it.
			return &fs.PathError{Op: "mkdir", Path: p, Err: syscall.EEXIST}
		}
		up, ok := parentDir(p)
		if !ok {
			return nil
		}
		p = up
	}
}

// parentDir returns p without its last element (and the separators after
// it), as MkdirAll steps up: by text, but with ".." left for the kernel to
// resolve after the links before it, as it does when the directories are
// made ("file/../b" is "file/..", not "."). It is false at the top.
func parentDir(p string) (string, bool) {
	i := len(p)
	for i > 0 && os.IsPathSeparator(p[i-1]) {
		i--
	}
	j := i
	for j > 0 && !os.IsPathSeparator(p[j-1]) {
		j--
	}
	switch {
	case i == 0 || p[:i] == ".":
		return "", false
	case j == 0:
		return ".", true
	}
	k := j
	for k > 1 && os.IsPathSeparator(p[k-1]) {
		k-- // "/" stays the root
	}
	return p[:k], true
}

// claim takes name in dir for this Do, or the first free "name (n)" when
// another request took it (or, for Number, a file has it), and returns it.
func (b *batch) claim(root *os.Root, dir, name string, number bool) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	for n := 0; n < 100000; n++ {
		cand := name
		if n > 0 {
			cand = numbered(name, n)
		}
		key := dir + "\x00" + strings.ToLower(cand)
		if b.taken(key) {
			continue
		}
		if number && exists(root, cand) {
			continue
		}
		b.claims[key] = true
		return cand
	}
	return name
}

// taken reports whether the claim key (dir NUL folded name) shares a file
// with one claimed before: the name itself, or one is the other's part,
// sidecar or new sidecar ("a.part" is taken once "a" is, and "a" once
// "a.part" is), so that no request's final name is another's part.
func (b *batch) taken(key string) bool {
	if b.claims[key] {
		return true
	}
	if stem, ok := ownStem(key); ok && b.claims[stem] {
		return true
	}
	for _, suffix := range ownSuffixes() {
		if b.claims[key+suffix] {
			return true
		}
	}
	return false
}

func exists(root *os.Root, name string) bool {
	_, err := root.Lstat(name)
	return err == nil
}

// saved records that path holds the content of SHA-256 sum (hex), unless
// a file saved before in this Do does: then it returns that file and true.
func (b *batch) saved(sum, path string) (first string, dup bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if first, dup = b.seen[sum]; !dup {
		b.seen[sum] = path
	}
	return first, dup
}

// unsave forgets that path holds the content of sum, when saved recorded
// it and the file did not get its name after all.
func (b *batch) unsave(sum, path string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.seen[sum] == path {
		delete(b.seen, sum)
	}
}

// host returns the semaphore of a host.
func (b *batch) host(h string) *semaphore.Weighted {
	b.mu.Lock()
	defer b.mu.Unlock()
	s, ok := b.hosts[h]
	if !ok {
		s = semaphore.NewWeighted(int64(b.perHost))
		b.hosts[h] = s
	}
	return s
}

// job is one Request on its way.
type job struct {
	index int
	req   Request
	url   string // redacted
	host  string
	dir   string
	dkey  string // the directory's dirState.key, which claims are made in
	root  *os.Root
	dirf  *os.File // root's directory, for anonymous files; may be nil
	asked string   // the name asked for, before claim numbered it
	name  string   // the final name (FromHeader may change it)
	temp  string   // the name the part and sidecar are named after
	sum   []byte   // the SHA-256 asked for, or nil
	// unlisted: the directory's listing showed no file of name's (see
	// dirState.unlisted); trusted on the first attempt only.
	unlisted bool

	joined string // dir and name joined, by setName: it goes with every progress event
}

// setName sets the final name and the path joined from it.
func (j *job) setName(name string) {
	j.name, j.joined = name, filepath.Join(j.dir, name)
}

// path is the final file's path.
func (j *job) path() string { return j.joined }

// prepare checks a Request and chooses its names.
func (b *batch) prepare(i int, r Request) (*job, error) {
	// A stray '%' ("/100%.html") is fetched as fetch sends it, as %25.
	u, err := url.Parse(urlpath.EscapeStrayPercents(r.URL))
	if err != nil {
		// net/url's error quotes the URL, password and all.
		return nil, fmt.Errorf("download: bad URL: %s", redact.ParseError(err))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("download: %q: only http and https URLs are downloaded", redact.Parsed(r.URL, u))
	}
	j := &job{index: i, req: r, url: redact.Parsed(r.URL, u), host: u.Host, dir: r.Dir}
	if j.dir == "" {
		j.dir = "."
	}
	if r.Checksum != "" {
		if j.sum, err = ParseChecksum(r.Checksum); err != nil {
			return nil, err
		}
	}
	name := r.Name
	if name != "" {
		if !filepath.IsLocal(name) || strings.ContainsAny(name, `/\`) {
			return nil, fmt.Errorf("download: name %q: want a single path element", name)
		}
	} else {
		name = nameFromURL(u, b.c.Portable)
	}
	d, err := b.dir(j.dir)
	if err != nil {
		return nil, fmt.Errorf("download: %w", err)
	}
	j.root, j.dirf, j.dkey = d.root, d.file, d.key
	j.asked = name
	j.setName(b.claim(j.root, j.dkey, name, b.c.IfExists == Number))
	j.temp = j.name
	j.unlisted = d.unlisted(j.name)
	return j, nil
}

// ParseChecksum reads "sha256=HEX" or "sha256:HEX" (64 hex digits) and
// returns the digest.
func ParseChecksum(s string) ([]byte, error) {
	algo, hexsum, ok := strings.Cut(s, "=")
	if !ok {
		algo, hexsum, ok = strings.Cut(s, ":")
	}
	if !ok || !strings.EqualFold(algo, "sha256") {
		return nil, fmt.Errorf("download: checksum %q: want sha256=HEX", s)
	}
	sum, err := hex.DecodeString(hexsum)
	if err != nil || len(sum) != 32 {
		return nil, fmt.Errorf("download: checksum %q: want 64 hex digits after sha256=", s)
	}
	return sum, nil
}
