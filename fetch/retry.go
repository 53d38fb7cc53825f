package fetch

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/grabhq/grab/internal/retryafter"
	"github.com/grabhq/grab/internal/tlsfail"
)

// Defaults of Retry.
const (
	DefaultRetryAttempts    = 3
	DefaultRetryMaxWait     = 2 * time.Minute
	DefaultRetryMaxElapsed  = 5 * time.Minute
	DefaultRetryInitialWait = 500 * time.Millisecond
)

// Retry is a Handler (and an http.RoundTripper) that sends an idempotent
// request again after a connection error, a 429 or a 503, waiting with
// exponential backoff and jitter (cenkalti/backoff), or for as long as the
// server's Retry-After asks. The zero value retries up to 3 attempts in
// all. It gives up, returning the last response or error, when:
//
//   - the method is not idempotent (POST, PATCH, CONNECT), or the body
//     cannot be sent again (a Request.Body other than a *bytes.Reader,
//     *bytes.Buffer or *strings.Reader);
//   - the error is not worth repeating: a TLS certificate or handshake
//     failure, a host that does not exist, a cancelled context, an
//     invalid request (HOSTILE.md G6);
//   - Retry-After asks for more than MaxWait (the server means "not now",
//     and an 11-day wait is not a retry: HOSTILE.md G7);
//   - Attempts are spent, or the next wait would end past MaxElapsed.
//
// Each wait honours the request's context.
type Retry struct {
	// Attempts is the number of tries in all; 0 means DefaultRetryAttempts.
	Attempts int
	// InitialWait is the first backoff interval, before jitter; 0 means
	// DefaultRetryInitialWait.
	InitialWait time.Duration
	// MaxWait caps one wait, Retry-After included; 0 means
	// DefaultRetryMaxWait.
	MaxWait time.Duration
	// MaxElapsed bounds the time from the first try to the start of the
	// last; 0 means DefaultRetryMaxElapsed.
	MaxElapsed time.Duration
	// Statuses are the statuses retried; nil means 429 and 503.
	Statuses []int
	// Base is the transport the requests go through when Retry is used as
	// an http.RoundTripper itself; nil means http.DefaultTransport.
	Base http.RoundTripper
	// Sleep waits d or until ctx ends; nil means a timer. Tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Wrap returns r over next, for an Opener's Handlers.
func (r *Retry) Wrap(next http.RoundTripper) http.RoundTripper {
	c := *r
	c.Base = next
	return &c
}

// Order places Retry outside other handlers, so an authenticated exchange
// is retried whole.
func (r *Retry) Order() int { return 100 }

// RoundTrip sends req, and again as the policy allows.
func (r *Retry) RoundTrip(req *http.Request) (*http.Response, error) {
	base := r.Base
	if base == nil {
		base = http.DefaultTransport
	}
	if !idempotent(req.Method) || !(req.Body == nil || req.Body == http.NoBody || req.GetBody != nil) {
		return base.RoundTrip(req)
	}
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = pick(r.InitialWait, DefaultRetryInitialWait)
	maxWait := pick(r.MaxWait, DefaultRetryMaxWait)
	b.MaxInterval = maxWait
	attempts := pick(r.Attempts, DefaultRetryAttempts)
	maxElapsed := pick(r.MaxElapsed, DefaultRetryMaxElapsed)
	start := time.Now()
	ctx := req.Context()
	for attempt := 1; ; attempt++ {
		try := req
		if attempt > 1 && req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			try = req.Clone(ctx)
			try.Body = body
		}
		resp, err := base.RoundTrip(try)
		if attempt >= attempts || ctx.Err() != nil {
			return resp, err
		}
		var wait time.Duration
		switch {
		case err != nil:
			if !retryable(err) {
				return nil, err
			}
			wait = b.NextBackOff()
		case r.retryStatus(resp.StatusCode):
			wait = b.NextBackOff()
			if ra, ok := retryafter.Parse(resp.Header.Get("Retry-After"), time.Now()); ok {
				if ra > maxWait {
					return resp, nil
				}
				wait = ra
			}
		default:
			return resp, nil
		}
		wait = min(wait, maxWait)
		if maxElapsed > 0 && time.Since(start)+wait > maxElapsed {
			return resp, err
		}
		if resp != nil {
			// Drain a little so the connection can be reused, then let go.
			io.CopyN(io.Discard, resp.Body, 4<<10)
			resp.Body.Close()
		}
		sleep := r.Sleep
		if sleep == nil {
			sleep = sleepCtx
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

func (r *Retry) retryStatus(code int) bool {
	if r.Statuses == nil {
		return code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable
	}
	for _, c := range r.Statuses {
		if c == code {
			return true
		}
	}
	return false
}

func idempotent(method string) bool {
	switch method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// retryable reports whether a failed exchange is worth repeating: the
// connection was refused, reset or closed early, or a timeout ran out;
// not a TLS failure, an unknown host, an invalid request or a cancelled
// context.
func retryable(err error) bool {
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, context.Canceled),
		errors.Is(err, ErrInvalidRequest),
		tlsfail.Permanent(err):
		return false
	case errors.As(err, &dnsErr):
		return dnsErr.IsTimeout || dnsErr.IsTemporary
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	var te *TimeoutError
	return errors.As(err, &te)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
