package fetch

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/grabhq/grab/fetch/conn"
	"github.com/grabhq/grab/proxy"
)

// exchange is the innermost RoundTripper of an Opener: one request and its
// response, under the response-header and stall timeouts, with its timings
// recorded and a body that ends early reported as a *TruncatedError
// whatever the transport below.
type exchange struct {
	base          http.RoundTripper
	headerTimeout time.Duration // <= 0: none
	stall         time.Duration // <= 0: none
	trace         bool          // record every phase with httptrace hooks
	separate      bool          // handlers above may repeat an exchange: give each its own context
	// via is the proxy the base transport chooses for a request, when
	// known: a Proxy-Authorization a handler added for a proxy the
	// request does not go through is dropped here (HOSTILE.md B6).
	via     func(*http.Request) (*url.URL, error)
	watches sync.Pool // of *watch: timers are costly to make, cheap to reset
}

// A watch is a reusable timer for the timeouts of one exchange at a time.
type watch struct {
	t *time.Timer
	b atomic.Pointer[exchangeBody]
}

func (w *watch) fire() {
	if b := w.b.Load(); b != nil {
		b.alarm()
	}
}

// Timer phases of an exchange.
const (
	phaseHead int32 = iota
	phaseBody
)

func (x *exchange) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	if x.via != nil && req.Header.Get("Proxy-Authorization") != "" && proxy.Forwarding(req, x.via) == nil {
		req = req.Clone(req.Context())
		req.Header.Del("Proxy-Authorization")
	}
	st := stateOf(req.Context())
	if st != nil && !st.creds.Load() && carriesCreds(req.Header, st.policy.Sensitive) {
		// What a handler (auth, the Opener's Jar) added:
		// the chain's body goes to no other origin now (HOSTILE.md B9).
		st.creds.Store(true)
	}
	b := &exchangeBody{x: x, stall: x.stall, header: x.headerTimeout, start: start}
	if st == nil || x.separate {
		// Outside Open, or under handlers that may try again: a timeout
		// here must end this exchange only.
		var ctx context.Context
		ctx, b.cancel = context.WithCancelCause(req.Context())
		b.own = true
		req = req.WithContext(ctx)
	} else {
		b.cancel = st.cancel
	}
	b.ctx = req.Context()
	var tr *tracer
	if x.trace {
		tr = &tracer{}
		tr.t.Start = start
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), tr.hooks()))
	}
	if x.headerTimeout > 0 {
		if req.Body == nil || req.Body == http.NoBody {
			b.arm(x.headerTimeout)
		} else {
			// The wait for the head starts once the request has gone out,
			// as net/http's ResponseHeaderTimeout: an upload takes the
			// time it takes.
			req = sentAt(req, b)
		}
	}
	resp, err := x.base.RoundTrip(req)
	if !b.answer() && err == nil {
		// The timer fired as the response arrived: the request is cancelled.
		resp.Body.Close()
		resp, err = nil, context.Cause(b.ctx)
	}
	if err != nil {
		err = timeoutCause(b.ctx, err)
		b.release()
		if b.own {
			b.cancel(nil)
		}
		return nil, err
	}
	t := conn.TimingsOf(resp)
	if t == nil {
		if tr != nil {
			t = tr.done()
		} else {
			b.t.Start, b.t.FirstByte = start, time.Now()
			t = &b.t
		}
		b.timings = t
	}
	if st != nil {
		st.timings = t
		if err := st.checkLocation(req, resp); err != nil {
			resp.Body.Close()
			b.release()
			if b.own {
				b.cancel(nil)
			}
			return nil, err
		}
	}
	b.want = resp.ContentLength
	if req.Method == http.MethodHead {
		b.want = 0
	}
	b.rc = resp.Body
	resp.Body = b
	return resp, nil
}

// timeoutCause returns the *TimeoutError that cancelled ctx, if one did,
// in place of err (a transport reports only "context canceled").
func timeoutCause(ctx context.Context, err error) error {
	var te *TimeoutError
	if cause := context.Cause(ctx); cause != nil && errors.As(cause, &te) {
		return te
	}
	return err
}

// exchangeBody is a response body under the stall timeout: a Read that
// waits longer than stall for a byte fails with a *TimeoutError. One timer
// serves the exchange: first for the response head, then for the body,
// where only a Read that waits counts (a slow reader is not blamed on the
// server). A Read does not touch the timer: it records when it started
// waiting, and the timer, running from the first Read on, checks that
// when it fires and runs again for what is left (or for a whole stall
// when no Read waits). The timer's work is once per stall period, not
// two timer changes and two locks per Read.
type exchangeBody struct {
	x       *exchange
	rc      io.ReadCloser
	ctx     context.Context
	cancel  context.CancelCauseFunc
	own     bool   // cancel is this exchange's own: call it when done
	final   *state // the Open this exchange ends, when it is the last
	stall   time.Duration
	header  time.Duration
	start   time.Time    // the exchange's, a monotonic origin for waiting
	waiting atomic.Int64 // since start, 1 + when the Read under way began; 0: none
	mu      sync.Mutex   // guards w, armed, fired, done: Close may race a Read and the timer
	w       *watch
	armed   bool
	// answered: the response head arrived (or the exchange failed) before
	// the request's body ended, which then starts no timer
	answered bool
	done     bool // released: the timer is not used again
	fired    bool // the timer's function may be running: never reuse it
	phase    atomic.Int32
	timings  *Timings // set when fetch records them (not fetch/conn): set Done
	t        Timings  // fetch's record without Trace
	got      int64
	want     int64
	once     sync.Once
}

// sentAt returns a copy of req whose body, and those GetBody makes for a
// replay, start b's response-header timer when the transport has read them
// to their end (or to the declared length).
func sentAt(req *http.Request, b *exchangeBody) *http.Request {
	r := *req
	left := req.ContentLength
	if left <= 0 {
		left = -1 // unknown: to the end
	}
	r.Body = &sentBody{ReadCloser: req.Body, b: b, left: left}
	if get := req.GetBody; get != nil {
		r.GetBody = func() (io.ReadCloser, error) {
			rc, err := get()
			if err != nil {
				return nil, err
			}
			return &sentBody{ReadCloser: rc, b: b, left: left}, nil
		}
	}
	return &r
}

// sentBody starts the response-header timer at the request body's end.
type sentBody struct {
	io.ReadCloser
	b    *exchangeBody
	left int64 // bytes to the declared length; -1: to the end
	once sync.Once
}

func (s *sentBody) Read(p []byte) (int, error) {
	n, err := s.ReadCloser.Read(p)
	if s.left > 0 {
		s.left -= min(int64(n), s.left)
	}
	if err == io.EOF || s.left == 0 {
		s.once.Do(s.b.armHead)
	}
	return n, err
}

// alarm runs when the timer fires: in the head phase the response head
// is late; in the body phase, a Read that has waited a stall period is
// one, and otherwise the timer runs again until the waiting Read, or one
// starting now, would have waited that long.
func (b *exchangeBody) alarm() {
	if b.phase.Load() == phaseHead {
		b.cancel(&TimeoutError{Phase: "response header", Limit: b.header})
		return
	}
	next := b.stall
	if since := b.waiting.Load(); since != 0 {
		waited := time.Since(b.start) - time.Duration(since-1)
		if waited >= b.stall {
			b.cancel(&TimeoutError{Phase: "stall", Limit: b.stall})
			return
		}
		next = b.stall - waited
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.done && b.w != nil {
		b.w.t.Reset(next)
	}
}

// arm starts the timer for d.
func (b *exchangeBody) arm(d time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.armLocked(d)
}

func (b *exchangeBody) armLocked(d time.Duration) {
	if b.done || b.fired {
		return
	}
	if b.w == nil {
		w, _ := b.x.watches.Get().(*watch)
		if w == nil {
			w = &watch{}
			w.t = time.AfterFunc(time.Hour, w.fire)
			w.t.Stop()
		}
		w.b.Store(b)
		b.w = w
	}
	b.armed = true
	b.w.t.Reset(d)
}

// armHead starts the response-header timer, unless the answer is in.
func (b *exchangeBody) armHead() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.answered {
		b.armLocked(b.header)
	}
}

// answer stops the timer as the answer arrives (or the exchange fails) and
// reports whether it had not run out; a request body ending later starts
// it no more.
func (b *exchangeBody) answer() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.answered = true
	return b.disarmLocked()
}

func (b *exchangeBody) disarmLocked() bool {
	if !b.armed {
		return !b.fired
	}
	b.armed = false
	if !b.w.t.Stop() {
		b.fired = true
	}
	return !b.fired
}

// release gives the timer back for another exchange, unless its function
// may be running.
func (b *exchangeBody) release() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.done = true
	if b.w == nil {
		return
	}
	b.disarmLocked()
	if !b.fired {
		b.w.b.Store(nil)
		b.x.watches.Put(b.w)
	}
	b.w = nil
}

func (b *exchangeBody) Read(p []byte) (int, error) {
	watched := b.wait(len(p) > 0)
	n, err := b.rc.Read(p)
	return n, b.after(watched, int64(n), err)
}

// ReadFile moves up to max bytes of the body into f without copying them
// through memory where the transport can (fetch/conn's splice), as Read
// would; errors.ErrUnsupported, before anything is read, where it cannot.
func (b *exchangeBody) ReadFile(f *os.File, max int64) (int64, error) {
	fr, ok := b.rc.(fileReader)
	if !ok {
		return 0, errors.ErrUnsupported
	}
	watched := b.wait(max > 0)
	n, err := fr.ReadFile(f, max)
	if errors.Is(err, errors.ErrUnsupported) {
		b.waiting.Store(0)
		return 0, err
	}
	return n, b.after(watched, n, err)
}

// wait marks a read starting, for the stall timer, when it may wait.
func (b *exchangeBody) wait(reads bool) bool {
	watched := b.stall > 0 && reads
	if watched {
		if b.phase.Load() != phaseBody {
			// The first Read: from now on the timer watches the body.
			b.phase.Store(phaseBody)
			b.arm(b.stall)
		}
		b.waiting.Store(int64(time.Since(b.start)) + 1)
	}
	return watched
}

// after counts n bytes read with err, and ends the exchange at the
// body's end.
func (b *exchangeBody) after(watched bool, n int64, err error) error {
	if watched {
		b.waiting.Store(0)
	}
	b.got += n
	switch {
	case err == io.EOF:
		if b.timings != nil && b.timings.Done.IsZero() {
			b.timings.Done = time.Now()
		}
		b.finish()
	case err != nil:
		err = timeoutCause(b.ctx, err)
		var te *TruncatedError
		if errors.Is(err, io.ErrUnexpectedEOF) && !errors.As(err, &te) {
			err = &TruncatedError{Got: b.got, Want: b.want}
		}
	}
	return err
}

// fileReader is a body that moves its bytes into a file itself (fetch/conn's
// splice); ReadFile returns errors.ErrUnsupported, having read nothing,
// when it cannot.
type fileReader interface {
	ReadFile(f *os.File, max int64) (int64, error)
}

// readFile calls r's ReadFile, or returns errors.ErrUnsupported when r has
// none.
func readFile(r io.Reader, f *os.File, max int64) (int64, error) {
	fr, ok := r.(fileReader)
	if !ok {
		return 0, errors.ErrUnsupported
	}
	return fr.ReadFile(f, max)
}

func (b *exchangeBody) Close() error {
	err := b.rc.Close()
	b.finish()
	return err
}

// finish releases the exchange's context once, and runs done: what Open
// set for the final response.
func (b *exchangeBody) finish() {
	b.once.Do(func() {
		b.release()
		if b.own {
			b.cancel(nil)
		}
		if b.final != nil {
			b.final.end()
		}
	})
}

// tracer records an exchange's phases from net/http's httptrace hooks,
// which may run concurrently, and ignores hooks that run after done.
type tracer struct {
	mu     sync.Mutex
	t      Timings
	closed bool
}

func (tr *tracer) mark(f func(t *Timings)) {
	tr.mu.Lock()
	if !tr.closed {
		f(&tr.t)
	}
	tr.mu.Unlock()
}

func (tr *tracer) done() *Timings {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.closed = true
	if tr.t.FirstByte.IsZero() {
		tr.t.FirstByte = time.Now()
	}
	return &tr.t
}

func (tr *tracer) hooks() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		DNSStart: func(httptrace.DNSStartInfo) { tr.mark(func(t *Timings) { t.DNSStart = time.Now() }) },
		DNSDone:  func(httptrace.DNSDoneInfo) { tr.mark(func(t *Timings) { t.DNSDone = time.Now() }) },
		ConnectStart: func(string, string) {
			tr.mark(func(t *Timings) {
				if t.ConnectStart.IsZero() {
					t.ConnectStart = time.Now()
				}
			})
		},
		ConnectDone: func(_, _ string, err error) {
			if err == nil {
				tr.mark(func(t *Timings) { t.ConnectDone = time.Now() })
			}
		},
		TLSHandshakeStart: func() { tr.mark(func(t *Timings) { t.TLSStart = time.Now() }) },
		TLSHandshakeDone: func(_ tls.ConnectionState, err error) {
			if err == nil {
				tr.mark(func(t *Timings) { t.TLSDone = time.Now() })
			}
		},
		GotConn:              func(i httptrace.GotConnInfo) { tr.mark(func(t *Timings) { t.Reused = i.Reused }) },
		WroteHeaders:         func() { tr.mark(func(t *Timings) { t.HeadWritten = time.Now() }) },
		WroteRequest:         func(httptrace.WroteRequestInfo) { tr.mark(func(t *Timings) { t.BodyWritten = time.Now() }) },
		GotFirstResponseByte: func() { tr.mark(func(t *Timings) { t.FirstByte = time.Now() }) },
	}
}
