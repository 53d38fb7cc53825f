package conn

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Transport is an http.RoundTripper over [Conn], so an http.Client (and
// grab's fetch) can run on the low-level layer: one HTTP/1.1 request per
// connection at a time, with a pool of idle connections per host. The zero
// value is ready to use.
//
// It sends what the request holds and no more: no Accept-Encoding is
// added and no body is decompressed (the caller decides, with its own
// limits), no proxy is used, and redirects and cookies are left to the
// http.Client, as a RoundTripper should.
type Transport struct {
	// TLSClientConfig is used for https; nil means the defaults.
	TLSClientConfig *tls.Config
	// Dialer dials connections; nil means net.Dialer.
	Dialer ContextDialer
	// DialTimeout bounds connecting and the TLS handshake; 0 means
	// DefaultDialTimeout.
	DialTimeout time.Duration
	// MaxIdlePerHost is how many idle connections are kept per host; 0
	// means 2, a negative value none.
	MaxIdlePerHost int
	// IdleTimeout closes a connection idle for longer; 0 means 90 seconds.
	IdleTimeout time.Duration
	// MaxHeaderBytes caps response heads; 0 means DefaultMaxHeaderBytes.
	MaxHeaderBytes int
	// ExpectContinueTimeout is how long a request with "Expect:
	// 100-continue" waits for a 100; 0 means DefaultExpectTimeout.
	ExpectContinueTimeout time.Duration

	mu   sync.Mutex
	idle map[string][]idleConn
}

type idleConn struct {
	c     *Conn
	since time.Time
}

func (t *Transport) maxIdle() int {
	switch {
	case t.MaxIdlePerHost == 0:
		return 2
	case t.MaxIdlePerHost < 0:
		return 0
	}
	return t.MaxIdlePerHost
}

func (t *Transport) idleTimeout() time.Duration {
	if t.IdleTimeout == 0 {
		return 90 * time.Second
	}
	return t.IdleTimeout
}

// poolKey and dial address of a request URL.
func target(req *http.Request) (key, addr string, useTLS bool, err error) {
	u := req.URL
	switch u.Scheme {
	case "http":
	case "https":
		useTLS = true
	default:
		return "", "", false, fmt.Errorf("conn: unsupported scheme %q", u.Scheme)
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		return "", "", false, fmt.Errorf("conn: no host in %q", u.Redacted())
	}
	if port == "" {
		port = "80"
		if useTLS {
			port = "443"
		}
	}
	addr = net.JoinHostPort(host, port)
	return u.Scheme + "://" + addr, addr, useTLS, nil
}

// RoundTrip sends req on an idle connection to its host, or a new one, and
// returns the response with its body streaming from the connection; the
// connection goes back to the pool when the body has been read to its end.
// A request that fails on a reused connection before any response byte
// arrived (the server closed it while idle) is sent once more on a new
// connection when it is replayable: no body, or a GetBody.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	key, addr, useTLS, err := target(req)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		c, reused, err := t.get(req.Context(), key, addr, useTLS)
		if err != nil {
			closeBody(req)
			return nil, err
		}
		resp, err := t.exchange(req, c)
		if err == nil {
			return resp, nil
		}
		if !reused || attempt > 0 || !replayable(req) || c.timings == nil || !c.timings.firstByteSeen.IsZero() || req.Context().Err() != nil {
			closeBody(req)
			return nil, err
		}
		if req.Body != nil && req.Body != http.NoBody {
			body, gerr := req.GetBody()
			if gerr != nil {
				closeBody(req)
				return nil, err
			}
			req = req.Clone(req.Context())
			req.Body = body
		}
	}
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

func replayable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

// exchange sends req on c and wraps the response.
func (t *Transport) exchange(req *http.Request, c *Conn) (*http.Response, error) {
	h := Header{}
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	h.Add("Host", host)
	keys := make([]string, 0, len(req.Header))
	for k := range req.Header {
		if k != "Host" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range req.Header[k] {
			if v == "" && k == "User-Agent" {
				continue // net/http's way to ask for no User-Agent
			}
			h.Add(k, v)
		}
	}
	var body io.Reader
	if req.Body != nil && req.Body != http.NoBody {
		body = req.Body
		if req.ContentLength > 0 && !h.Has("Content-Length") && !h.Has("Transfer-Encoding") {
			h.Add("Content-Length", fmt.Sprint(req.ContentLength))
			body = io.LimitReader(req.Body, req.ContentLength)
		}
	} else if req.ContentLength == 0 && (req.Method == "POST" || req.Method == "PUT" || req.Method == "PATCH") {
		h.Add("Content-Length", "0")
	}
	method := req.Method
	if method == "" {
		method = "GET"
	}
	// Abort the exchange when the request's context ends, also a body
	// being read from the request (as net/http does, closing it).
	stop := context.AfterFunc(req.Context(), func() {
		c.Close()
		closeBody(req)
	})
	fail := func(err error) (*http.Response, error) {
		stop()
		c.Close()
		if cerr := req.Context().Err(); cerr != nil {
			return nil, fmt.Errorf("%w (%v)", cerr, err)
		}
		return nil, err
	}
	if err := c.Request(method, req.URL.RequestURI(), body, h); err != nil {
		return fail(err)
	}
	r, err := c.GetResponse()
	if err != nil {
		return fail(err)
	}
	if req.Body != nil {
		req.Body.Close()
	}
	resp := &http.Response{
		Status:        r.Status,
		StatusCode:    r.StatusCode,
		Proto:         r.Proto,
		ProtoMajor:    r.ProtoMajor,
		ProtoMinor:    r.ProtoMinor,
		Header:        r.Header.HTTP(),
		ContentLength: r.ContentLength,
		Close:         r.Close,
		Request:       req,
		TLS:           c.TLS(),
	}
	if r.Chunked {
		resp.TransferEncoding = []string{"chunked"}
	}
	resp.Body = &pooledBody{t: t, c: c, r: r, resp: resp, stop: stop}
	if c.state == stIdle || c.state == stClosed { // no body: done already
		resp.Body.(*pooledBody).release()
	}
	return resp, nil
}

// get returns an idle connection for key or dials one.
func (t *Transport) get(ctx context.Context, key, addr string, useTLS bool) (*Conn, bool, error) {
	t.mu.Lock()
	for list := t.idle[key]; len(list) > 0; list = t.idle[key] {
		ic := list[len(list)-1]
		t.idle[key] = list[:len(list)-1]
		if time.Since(ic.since) > t.idleTimeout() {
			ic.c.Close()
			continue
		}
		t.mu.Unlock()
		return ic.c, true, nil
	}
	t.mu.Unlock()
	opts := []Option{WithDialTimeout(t.DialTimeout), WithMaxHeaderBytes(t.MaxHeaderBytes), WithExpectTimeout(t.ExpectContinueTimeout)}
	if t.Dialer != nil {
		opts = append(opts, WithDialer(t.Dialer))
	}
	if useTLS {
		opts = append(opts, WithTLS(t.TLSClientConfig))
	}
	c, err := Dial(ctx, addr, opts...)
	return c, false, err
}

// put returns c to the pool if it can carry another request.
func (t *Transport) put(key string, c *Conn) {
	if c.state != stIdle {
		c.Close()
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.idle == nil {
		t.idle = map[string][]idleConn{}
	}
	if len(t.idle[key]) >= t.maxIdle() {
		c.Close()
		return
	}
	t.idle[key] = append(t.idle[key], idleConn{c, time.Now()})
}

// CloseIdleConnections closes the pooled connections.
func (t *Transport) CloseIdleConnections() {
	t.mu.Lock()
	idle := t.idle
	t.idle = nil
	t.mu.Unlock()
	for _, list := range idle {
		for _, ic := range list {
			ic.c.Close()
		}
	}
}

// pooledBody returns the connection to the pool at the end of the body.
type pooledBody struct {
	t        *Transport
	c        *Conn
	r        *Response
	resp     *http.Response
	stop     func() bool
	once     sync.Once
	mu       sync.Mutex
	released atomic.Bool // the connection went back to the pool or was closed
}

func (b *pooledBody) Read(p []byte) (int, error) {
	n, err := b.r.Body.Read(p)
	if err == io.EOF {
		if len(b.r.Trailer.fields) > 0 {
			b.resp.Trailer = b.r.Trailer.HTTP()
		}
		b.release()
	} else if err != nil {
		b.stop()
		if cerr := b.resp.Request.Context().Err(); cerr != nil && !errors.Is(err, cerr) {
			err = fmt.Errorf("%w (%v)", cerr, err)
		}
	}
	return n, err
}

func (b *pooledBody) release() {
	b.once.Do(func() {
		b.released.Store(true)
		b.stop()
		key, _, _, err := target(b.resp.Request)
		if err != nil || b.resp.Request.Context().Err() != nil {
			b.c.Close()
			return
		}
		b.t.put(key, b.c)
	})
}

func (b *pooledBody) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	// Once released, the connection may be carrying another request.
	if !b.released.Load() && b.c.state == stResponse {
		b.r.Body.Close() // closes the connection: the rest is unread
	}
	b.release()
	return nil
}

var _ http.RoundTripper = (*Transport)(nil)

// TimingsOf returns the timings of an exchange made by [Transport], given
// the response it returned (Done is set once the body has been read to its
// end), or nil for a response from another transport or one whose Body a
// wrapper replaced.
func TimingsOf(resp *http.Response) *Timings {
	if b, ok := resp.Body.(*pooledBody); ok {
		return b.r.Timings
	}
	return nil
}
