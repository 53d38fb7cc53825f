package fetch

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"net/http/httptrace"
	"sync"
	"time"

	"github.com/grabhq/grab/fetch/conn"
)

// exchange is the innermost RoundTripper of an Opener: one request and its
// response, under the response-header and stall timeouts, with its timings
// recorded and a body that ends early reported as a *TruncatedError
// whatever the transport below.
type exchange struct {
	base          http.RoundTripper
	headerTimeout time.Duration // <= 0: none
	stall         time.Duration // <= 0: none
}

func (x *exchange) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(req.Context())
	tr := &tracer{t: &Timings{Start: time.Now()}}
	ctx = httptrace.WithClientTrace(ctx, tr.hooks())
	req = req.WithContext(ctx)
	var timer *time.Timer
	if d := x.headerTimeout; d > 0 {
		timer = time.AfterFunc(d, func() { cancel(&TimeoutError{Phase: "response header", Limit: d}) })
	}
	resp, err := x.base.RoundTrip(req)
	if timer != nil && !timer.Stop() && err == nil {
		// The timer fired as the response arrived: the request is cancelled.
		resp.Body.Close()
		resp, err = nil, context.Cause(ctx)
	}
	if err != nil {
		err = timeoutCause(ctx, err)
		cancel(nil)
		return nil, err
	}
	t := conn.TimingsOf(resp)
	own := t == nil
	if own {
		t = tr.snapshot()
	}
	if st := stateOf(req.Context()); st != nil {
		st.timings = t
		if err := st.checkLocation(req, resp); err != nil {
			resp.Body.Close()
			cancel(nil)
			return nil, err
		}
	}
	want := resp.ContentLength
	if req.Method == http.MethodHead {
		want = 0
	}
	resp.Body = &exchangeBody{rc: resp.Body, ctx: ctx, cancel: cancel, stall: x.stall, timings: t, own: own, want: want}
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
// waits longer than stall for a byte fails with a *TimeoutError. The
// timer runs only while a Read waits, so a slow reader is not blamed on
// the server.
type exchangeBody struct {
	rc      io.ReadCloser
	ctx     context.Context
	cancel  context.CancelCauseFunc
	stall   time.Duration
	timer   *time.Timer
	timings *Timings
	own     bool // the timings are fetch's (net/http transport): set Done
	got     int64
	want    int64
}

func (b *exchangeBody) Read(p []byte) (int, error) {
	if b.stall > 0 && len(p) > 0 {
		if b.timer == nil {
			d := b.stall
			b.timer = time.AfterFunc(d, func() { b.cancel(&TimeoutError{Phase: "stall", Limit: d}) })
		} else {
			b.timer.Reset(b.stall)
		}
	}
	n, err := b.rc.Read(p)
	if b.timer != nil {
		b.timer.Stop()
	}
	b.got += int64(n)
	switch {
	case err == io.EOF:
		if b.own && b.timings.Done.IsZero() {
			b.timings.Done = time.Now()
		}
		b.cancel(nil)
	case err != nil:
		err = timeoutCause(b.ctx, err)
		var te *TruncatedError
		if errors.Is(err, io.ErrUnexpectedEOF) && !errors.As(err, &te) {
			err = &TruncatedError{Got: b.got, Want: b.want}
		}
	}
	return n, err
}

func (b *exchangeBody) Close() error {
	if b.timer != nil {
		b.timer.Stop()
	}
	err := b.rc.Close()
	b.cancel(nil)
	return err
}

// tracer records an exchange's phases from net/http's httptrace hooks,
// which may run concurrently.
type tracer struct {
	mu sync.Mutex
	t  *Timings
}

func (tr *tracer) mark(f func(t *Timings)) {
	tr.mu.Lock()
	f(tr.t)
	tr.mu.Unlock()
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

// snapshot returns a copy of the timings, safe from later hooks.
func (tr *tracer) snapshot() *Timings {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	c := *tr.t
	return &c
}
