package conn

import (
	"cmp"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/grabhq/grab/internal/httpsyntax"
	"github.com/grabhq/grab/internal/redact"
)

// Transport is an http.RoundTripper over [Conn], so an http.Client (and
// grab's fetch) can run on the low-level layer: one HTTP/1.1 request per
// connection at a time, with a pool of idle connections per host. The zero
// value is ready to use.
//
// It sends what the request holds and no more: no Accept-Encoding is
// added and no body is decompressed (the caller decides, with its own
// limits), and redirects and cookies are left to the http.Client, as a
// RoundTripper should.
//
// With Proxy set, a plain-http request goes to an http or https proxy in
// absolute form ("GET http://host/path"), with Proxy-Authorization from the
// proxy URL's userinfo, on connections pooled per proxy; an https request
// (or any request through a socks5 proxy) goes through a tunnel that
// DialProxy opens (CONNECT, SOCKS5), then TLS to the target.
type Transport struct {
	// TLSClientConfig is used for https; nil means the defaults.
	TLSClientConfig *tls.Config
	// ProxyTLSConfig is used for the TLS with an https proxy a plain-http
	// request goes to in absolute form; nil means TLSClientConfig. (A
	// tunnel's TLS with its proxy is DialProxy's.)
	ProxyTLSConfig *tls.Config
	// Dialer dials connections; nil means net.Dialer.
	Dialer ContextDialer
	// DialTimeout bounds connecting and the TLS handshake; 0 means
	// DefaultDialTimeout.
	DialTimeout time.Duration
	// TLSHandshakeTimeout bounds the TLS handshake on its own, DialTimeout
	// then bounding the connect alone; 0 leaves it within DialTimeout.
	TLSHandshakeTimeout time.Duration
	// MaxIdlePerHost is how many idle connections are kept per host; 0
	// means 2, a negative value none.
	MaxIdlePerHost int
	// MaxIdleConns caps the idle connections of all hosts together, the
	// one idle longest closed to make room; 0 means DefaultMaxIdleConns,
	// a negative value no cap. A crawl or a download over thousands of
	// hosts keeps no more sockets than this open between requests.
	MaxIdleConns int
	// IdleTimeout closes a connection idle for longer; 0 means 90 seconds.
	IdleTimeout time.Duration
	// MaxHeaderBytes caps response heads; 0 means DefaultMaxHeaderBytes.
	MaxHeaderBytes int
	// ExpectContinueTimeout is how long a request with "Expect:
	// 100-continue" waits for a 100; 0 means DefaultExpectTimeout.
	ExpectContinueTimeout time.Duration
	// Proxy returns the proxy for a request, nil for none, as
	// http.Transport.Proxy; nil means no proxy.
	Proxy func(*http.Request) (*url.URL, error)
	// DialProxy returns a connection to addr ("host:port") through proxy
	// (grab's proxy.Dial does CONNECT and SOCKS5); needed when Proxy
	// returns a proxy for an https target or a socks5 proxy.
	DialProxy func(ctx context.Context, proxy *url.URL, addr string) (net.Conn, error)
	// SpinWait is how long the wait for a response may poll the socket
	// before sleeping in the poller, as [WithSpinWait]; 0 means
	// DefaultSpinWait, a negative value never. A connection polls only
	// while it carries the Transport's one exchange in flight: with more,
	// another goroutine has a better use for the processor.
	SpinWait time.Duration
	// ReadBufferSize is how much a connection reads at once, as
	// [WithReadBufferSize]; 0 or less means DefaultReadBufferSize.
	ReadBufferSize int

	mu     sync.Mutex
	idle   map[poolKey][]idleConn
	sweep  *time.Timer  // closes connections idle past IdleTimeout; nil when none waits
	active atomic.Int32 // exchanges between sending a request and its response head
}

// A poolKey names the connections that can carry a request: to one
// scheme, host and port, directly or through one proxy. Its fields are
// substrings of the request's URL, so finding a pooled connection
// allocates nothing.
type poolKey struct {
	proxy      string // "proxy URL" for absolute form, "via URL" for a tunnel, "" for none
	scheme     string // of the target; "" for absolute form, pooled per proxy
	host, port string
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

// DefaultMaxIdleConns is Transport.MaxIdleConns's default, net/http's
// DefaultTransport's figure.
const DefaultMaxIdleConns = 100

func (t *Transport) idleTimeout() time.Duration {
	if t.IdleTimeout == 0 {
		return 90 * time.Second
	}
	return t.IdleTimeout
}

// A route is how a request reaches its server: the pool key, the address
// dialed, whether the connection is TLS, and the proxy arrangement.
type route struct {
	key       poolKey
	host      string // dialed with port: the target, or an http(s) proxy for absolute form
	port      string
	tls       bool     // TLS on the connection (to the target, or to an https proxy)
	tunnel    *url.URL // dial addr through this proxy with DialProxy
	absolute  bool     // send the request in absolute form (plain http through a proxy)
	proxyAuth string   // Proxy-Authorization for absolute form
	proxyURL  *url.URL // for absolute form, the proxy, named in errors with the target
	thost     string   // for absolute form, the target's host and port, for errors
	tport     string
}

// route finds the route of req.
func (t *Transport) route(req *http.Request) (route, error) {
	u := req.URL
	var r route
	switch u.Scheme {
	case "http":
	case "https":
		r.tls = true
	default:
		return r, fmt.Errorf("conn: unsupported scheme %q", u.Scheme)
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		return r, fmt.Errorf("conn: no host in %q", redact.URL(u))
	}
	if port == "" {
		port = "80"
		if r.tls {
			port = "443"
		}
	}
	r.host, r.port = host, port
	r.key = poolKey{scheme: u.Scheme, host: host, port: port}
	if t.Proxy == nil {
		return r, nil
	}
	p, err := t.Proxy(req)
	if err != nil || p == nil {
		return r, err
	}
	switch {
	case u.Scheme == "http" && (p.Scheme == "http" || p.Scheme == "https"):
		pport := p.Port()
		if pport == "" {
			pport = map[string]string{"http": "80", "https": "443"}[p.Scheme]
		}
		r.proxyURL, r.thost, r.tport = p, r.host, r.port
		r.host, r.port = p.Hostname(), pport
		r.tls = p.Scheme == "https"
		r.absolute = true
		if p.User != nil {
			pw, _ := p.User.Password()
			r.proxyAuth = "Basic " + base64.StdEncoding.EncodeToString([]byte(p.User.Username()+":"+pw))
		}
		r.key = poolKey{proxy: "proxy " + p.String()}
	case t.DialProxy == nil:
		return r, fmt.Errorf("conn: proxy %s for %s needs Transport.DialProxy", redact.URL(p), u.Scheme)
	default:
		r.tunnel = p
		r.key.proxy = "via " + p.String()
	}
	return r, nil
}

// tunnelDialer dials through a proxy with DialProxy.
type tunnelDialer struct {
	t     *Transport
	proxy *url.URL
}

func (d tunnelDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return d.t.DialProxy(ctx, d.proxy, addr)
}

// RoundTrip sends req on an idle connection to its host, or a new one, and
// returns the response with its body streaming from the connection; the
// connection goes back to the pool when the body has been read to its end.
// A request that fails on a reused connection before any response byte
// arrived (the server closed it while idle) is sent once more on a new
// connection when it can be replayed (no body, or a GetBody) and the
// server cannot have acted on it: an idempotent request (GET, HEAD,
// OPTIONS, TRACE, or one with an Idempotency-Key field, as net/http), or
// one whose head had not all gone out. A request that is not idempotent
// takes a pooled connection only once a peek at its socket finds it still
// open, so that the usual case, a connection the server closed while it
// was idle, is left for a new one rather than failing. Of the
// httptrace.ClientTrace hooks in req's context, GotConn is called.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := httpsyntax.CheckRequest(req); err != nil {
		return nil, err
	}
	r, err := t.route(req)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	safe := idempotent(req)
	for attempt := 0; ; attempt++ {
		c, reused, err := t.get(req.Context(), r, !safe)
		if err != nil {
			closeBody(req)
			return nil, err
		}
		if trace := httptrace.ContextClientTrace(req.Context()); trace != nil && trace.GotConn != nil {
			trace.GotConn(httptrace.GotConnInfo{Conn: c.nc, Reused: reused})
		}
		t.active.Add(1)
		resp, err := t.exchange(req, c, r)
		t.active.Add(-1)
		if err == nil {
			return resp, nil
		}
		if !reused || attempt > 0 || !replayable(req) || c.timings == nil || !c.timings.firstByteSeen.IsZero() || req.Context().Err() != nil ||
			!safe && !c.timings.HeadWritten.IsZero() {
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

// idempotent reports whether sending req twice does what sending it once
// does, as net/http decides it may retry one.
func idempotent(req *http.Request) bool {
	switch req.Method {
	case "", "GET", "HEAD", "OPTIONS", "TRACE":
		return true
	}
	return req.Header.Get("Idempotency-Key") != "" || req.Header.Get("X-Idempotency-Key") != ""
}

// removeZone returns host ("[addr%zone]:port" or another) without an
// IPv6 zone.
func removeZone(host string) string {
	if !strings.HasPrefix(host, "[") {
		return host
	}
	end := strings.IndexByte(host, ']')
	if pct := strings.IndexByte(host, '%'); pct >= 0 && pct < end {
		return host[:pct] + host[end:]
	}
	return host
}

// exchange sends req on c and wraps the response.
func (t *Transport) exchange(req *http.Request, c *Conn, rt route) (*http.Response, error) {
	// Room for every field, Host and one more (Proxy-Authorization or
	// Content-Length): the head is built in one allocation.
	h := Header{fields: make([]Field, 0, len(req.Header)+2)}
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	// An IPv6 zone names an interface of this machine: never sent (RFC
	// 6874 section 4), in Host or a proxy's request line, as net/http and
	// curl leave it out.
	host = removeZone(host)
	h.Add("Host", host)
	reqTarget := req.URL.RequestURI()
	if rt.absolute {
		reqTarget = req.URL.Scheme + "://" + removeZone(req.URL.Host) + reqTarget
		if rt.proxyAuth != "" {
			h.Add("Proxy-Authorization", rt.proxyAuth)
		}
	}
	var buf [16]string // the usual request's names, sorted on the stack
	keys := buf[:0]
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
			// A body of another length is an error of Request's, as of
			// net/http's ("ContentLength=2 with Body length 6"), never cut.
			h.Add("Content-Length", strconv.FormatInt(req.ContentLength, 10))
		}
	}
	method := req.Method
	if method == "" {
		method = "GET"
	}
	// Abort the exchange when the request's context ends, also a body
	// being read from the request (as net/http does, closing it).
	stop := neverStarted    // a context that cannot end needs no watch
	var aborted atomic.Bool // not c's own closed: a head of Connection: close closes c too
	if req.Context().Done() != nil {
		stop = context.AfterFunc(req.Context(), func() {
			aborted.Store(true)
			c.Close()
			closeBody(req)
		})
	}
	fail := func(err error) (*http.Response, error) {
		stop()
		c.Close()
		if cerr := req.Context().Err(); cerr != nil {
			return nil, fmt.Errorf("%w (%v)", cerr, err)
		}
		return nil, err
	}
	if err := c.Request(method, reqTarget, body, h); err != nil {
		return fail(err)
	}
	r, err := c.GetResponse()
	if err != nil {
		return fail(err)
	}
	if aborted.Load() {
		// A head read after the abort may be the server's answer to the
		// close itself (TLS sends close_notify first): a 502 of a proxy
		// whose client went away is not the answer to the request.
		return fail(errors.New("conn: the request was aborted"))
	}
	if f, _ := req.Context().Value(headHookKey{}).(func(Header)); f != nil {
		f(r.Header.Clone()) // the response's own is made from r.Header below
	}
	if req.Body != nil {
		req.Body.Close()
	}
	// The response and its body are made in one allocation.
	x := &struct {
		resp http.Response
		body pooledBody
	}{}
	resp := &x.resp
	*resp = http.Response{
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
	b := &x.body
	b.t, b.c, b.r, b.resp, b.stop, b.key = t, c, r, resp, stop, rt.key
	resp.Body = b
	if c.state == stIdle || c.state == stClosed { // no body: done already
		b.release()
	}
	return resp, nil
}

// headHookKey is the context key of WithHeadHook.
type headHookKey struct{}

// WithHeadHook returns a copy of ctx under which Transport calls f with the
// header fields of each response it returns, in the order and case
// received, which the http.Response's http.Header cannot keep: for a
// client that shows them as they came, as grab get -i and -v do. f runs on
// the goroutine of RoundTrip, before it returns.
func WithHeadHook(ctx context.Context, f func(Header)) context.Context {
	return context.WithValue(ctx, headHookKey{}, f)
}

// neverStarted is the stop function of a watch never set up.
func neverStarted() bool { return true }

// get returns an idle connection for the route, or dials one; with check,
// an idle one the server has closed is passed over (RoundTrip).
func (t *Transport) get(ctx context.Context, r route, check bool) (*Conn, bool, error) {
	key := r.key
	t.mu.Lock()
	for list := t.idle[key]; len(list) > 0; list = t.idle[key] {
		ic := list[len(list)-1]
		if t.idle[key] = list[:len(list)-1]; len(list) == 1 {
			delete(t.idle, key) // pool's scan of the keys stays within MaxIdleConns
		}
		if time.Since(ic.since) > t.idleTimeout() {
			ic.c.Close()
			continue
		}
		t.mu.Unlock()
		if check && (ic.c.br.Buffered() > 0 || peerClosed(ic.c.nc)) {
			ic.c.Close()
			t.mu.Lock()
			continue
		}
		return ic.c, true, nil
	}
	t.mu.Unlock()
	opts := []Option{WithDialTimeout(t.DialTimeout), WithTLSTimeout(t.TLSHandshakeTimeout), WithMaxHeaderBytes(t.MaxHeaderBytes),
		WithExpectTimeout(t.ExpectContinueTimeout), WithSpinWait(t.SpinWait), WithReadBufferSize(t.ReadBufferSize)}
	switch {
	case r.tunnel != nil:
		opts = append(opts, WithDialer(tunnelDialer{t, r.tunnel}))
	case t.Dialer != nil:
		opts = append(opts, WithDialer(t.Dialer))
	}
	switch {
	case r.tls && r.absolute && t.ProxyTLSConfig != nil:
		opts = append(opts, WithTLS(t.ProxyTLSConfig))
	case r.tls:
		opts = append(opts, WithTLS(t.TLSClientConfig))
	}
	c, err := Dial(ctx, net.JoinHostPort(r.host, r.port), opts...)
	if err != nil {
		if r.absolute {
			err = &proxyDialError{proxy: r.proxyURL, host: r.thost, port: r.tport, err: err}
		}
		return nil, false, err
	}
	c.gate = &t.active
	return c, false, nil
}

// proxyDialError is a failure to reach the http(s) proxy a plain-http
// request goes to, named as proxy.Dial names one for a tunnel.
type proxyDialError struct {
	proxy      *url.URL
	host, port string // the target's
	err        error
}

func (e *proxyDialError) Error() string {
	return "conn: proxy " + redact.URL(e.proxy) + " to " + net.JoinHostPort(e.host, e.port) + ": connecting to the proxy: " + strings.TrimPrefix(e.err.Error(), "conn: ")
}

func (e *proxyDialError) Unwrap() error { return e.err }

// put returns c to the pool if it can carry another request.
func (t *Transport) put(key poolKey, c *Conn) {
	if c.state != stIdle {
		c.Close()
		return
	}
	if evicted := t.pool(key, c); evicted != nil {
		evicted.Close()
	}
}

// pool adds c to the idle connections of key, or returns it to be closed
// when key has its MaxIdlePerHost; when all keys together have
// MaxIdleConns, the connection idle longest makes room and is returned.
func (t *Transport) pool(key poolKey, c *Conn) (evicted *Conn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.idle == nil {
		t.idle = map[poolKey][]idleConn{}
	}
	if len(t.idle[key]) >= t.maxIdle() {
		return c
	}
	if max := cmp.Or(t.MaxIdleConns, DefaultMaxIdleConns); max > 0 {
		total, oldest := 0, poolKey{}
		var since time.Time
		for k, list := range t.idle {
			total += len(list)
			if len(list) > 0 && (since.IsZero() || list[0].since.Before(since)) {
				oldest, since = k, list[0].since // each list is in the order put
			}
		}
		if total >= max {
			evicted = t.idle[oldest][0].c
			if t.idle[oldest] = t.idle[oldest][1:]; len(t.idle[oldest]) == 0 {
				delete(t.idle, oldest)
			}
		}
	}
	t.idle[key] = append(t.idle[key], idleConn{c, time.Now()})
	if t.sweep == nil {
		t.sweep = time.AfterFunc(t.idleTimeout(), t.sweepIdle)
	}
	return evicted
}

// sweepIdle closes the connections idle past IdleTimeout, so that a
// server's closed end is not held open until the pool is next used, and
// runs again when the next one will be.
func (t *Transport) sweepIdle() {
	var old []*Conn
	t.mu.Lock()
	now, limit, next := time.Now(), t.idleTimeout(), time.Duration(0)
	for key, list := range t.idle {
		kept := list[:0]
		for _, ic := range list {
			if idle := now.Sub(ic.since); idle >= limit {
				old = append(old, ic.c)
			} else {
				kept = append(kept, ic)
				if next == 0 || limit-idle < next {
					next = limit - idle
				}
			}
		}
		if len(kept) == 0 {
			delete(t.idle, key)
		} else {
			t.idle[key] = kept
		}
	}
	switch {
	case t.sweep == nil:
	case next > 0:
		t.sweep.Reset(next)
	default:
		t.sweep = nil
	}
	t.mu.Unlock()
	for _, c := range old {
		c.Close()
	}
}

// CloseIdleConnections closes the pooled connections.
func (t *Transport) CloseIdleConnections() {
	t.mu.Lock()
	idle := t.idle
	t.idle = nil
	if t.sweep != nil {
		t.sweep.Stop()
		t.sweep = nil
	}
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
	key      poolKey // the pool the connection goes back to
	once     sync.Once
	mu       sync.Mutex
	released atomic.Bool // the connection went back to the pool or was closed
}

func (b *pooledBody) Read(p []byte) (int, error) {
	n, err := b.r.Body.Read(p)
	return n, b.after(err)
}

// ReadFile moves up to max bytes of the body into f, as [Conn]'s body
// does: by splice(2) from the socket where it can, else
// errors.ErrUnsupported before anything is read.
func (b *pooledBody) ReadFile(f *os.File, max int64) (int64, error) {
	rb, ok := b.r.Body.(*body)
	if !ok {
		return 0, errors.ErrUnsupported
	}
	n, err := rb.ReadFile(f, max)
	if errors.Is(err, errors.ErrUnsupported) {
		return 0, err
	}
	return n, b.after(err)
}

// after returns the connection to the pool at the body's end, and stops
// watching the request's context on an error.
func (b *pooledBody) after(err error) error {
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
	return err
}

func (b *pooledBody) release() {
	b.once.Do(func() {
		b.released.Store(true)
		b.stop()
		if b.resp.Request.Context().Err() != nil {
			b.c.Close()
			return
		}
		b.t.put(b.key, b.c)
	})
}

func (b *pooledBody) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	// Once released, the connection may be carrying another request.
	if !b.released.Load() {
		// Before the end the connection is closed: the rest is unread. A
		// Read under way on another goroutine returns at once and ends
		// the body itself; the connection is then never pooled.
		if rb, ok := b.r.Body.(*body); ok && rb.shut() {
			b.stop()
			return nil
		}
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
