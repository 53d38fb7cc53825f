package fetch

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/grabhq/grab/fetch/conn"
	"github.com/grabhq/grab/internal/redact"
	"github.com/grabhq/grab/internal/webhost"
	"github.com/grabhq/grab/proxy"
)

// Defaults of the timeouts and limits, each with a field in Timeouts or
// Limits.
const (
	DefaultConnectTimeout = 30 * time.Second
	DefaultTLSTimeout     = 10 * time.Second
	DefaultHeaderTimeout  = 60 * time.Second
	DefaultStallTimeout   = 60 * time.Second
	DefaultMaxHeaderBytes = 1 << 20
	DefaultMaxBodyBytes   = 64 << 20
	DefaultMaxDecoded     = 1 << 30
	DefaultMaxEncodings   = 2
	// errorBodyBytes is how much of an error response's body an HTTPError keeps.
	errorBodyBytes = 4 << 10
)

// Timeouts bound the phases of a request. Zero means the default; a
// negative value means no limit.
type Timeouts struct {
	// Connect bounds the TCP connect (DefaultConnectTimeout).
	Connect time.Duration
	// TLS bounds the TLS handshake (DefaultTLSTimeout).
	TLS time.Duration
	// ResponseHeader bounds each exchange from the end of the request
	// (its body sent, when it has one: an upload takes the time it takes,
	// as with net/http's ResponseHeaderTimeout) to the end of the response
	// head (DefaultHeaderTimeout).
	ResponseHeader time.Duration
	// Stall fails a body read that waits this long for a byte
	// (DefaultStallTimeout): a slow but moving body is never cut.
	Stall time.Duration
	// Total bounds the whole request, redirects and retries and the body
	// included; 0 means none (a context deadline does the same).
	Total time.Duration
}

// Limits cap what a server can make a client hold. Zero means the default;
// a negative value means no limit.
type Limits struct {
	// HeaderBytes caps a response head (DefaultMaxHeaderBytes).
	HeaderBytes int64
	// BodyBytes caps a body read into memory by Response.Bytes and Text
	// (DefaultMaxBodyBytes); reading the body as a stream has no cap.
	BodyBytes int64
	// DecodedBytes caps the bytes a compressed body inflates to
	// (DefaultMaxDecoded).
	DecodedBytes int64
	// Encodings caps the Content-Encoding chain (DefaultMaxEncodings).
	Encodings int
}

// A Handler wraps the transport with a concern of its own, as urllib's
// handlers do: authentication (the auth package), retries (Retry),
// logging. Wrap returns a RoundTripper that calls next; it must not
// change next. On the hops within the first URL's origin, a handler placed
// before Order 550 sees that URL's userinfo on the request, password
// included (so a password manager can look up its login; a handler that
// logs URLs should use url.URL.Redacted); from 550 on it is gone, sent as
// Basic credentials when no handler before set Authorization.
type Handler interface {
	Wrap(next http.RoundTripper) http.RoundTripper
}

// Opener opens URLs, as urllib's OpenerDirector: it turns a Request into
// an exchange over an http.Client, follows redirects by its policy, decodes
// compressed bodies under a cap, and reports a final status outside 2xx as
// an *HTTPError. The zero value is ready to use, with the defaults below;
// an Opener is safe for concurrent use and must not be copied once used.
type Opener struct {
	// Transport makes the exchanges; nil means the default transport
	// chosen by Engine, set up with Timeouts, Limits.HeaderBytes,
	// TLSConfig, Proxy and Dial. &conn.Transport{} runs fetch on its
	// low-level layer (its own DialTimeout and MaxHeaderBytes then apply).
	Transport http.RoundTripper
	// Engine chooses the default transport: EngineAuto (the zero value)
	// runs plain http, and any request through a proxy, on fetch/conn's
	// conn.Transport and direct https on net/http's Transport;
	// EngineNetHTTP and EngineConn run everything on one of them.
	Engine Engine
	// TLSConfig is used by the default transport; nil means verified TLS
	// 1.2 or later.
	TLSConfig *tls.Config
	// ProxyTLSConfig verifies an https proxy. Nil means TLSConfig with its
	// certificate checks on, whatever its InsecureSkipVerify says: skipping
	// the server's checks (curl's --insecure) does not skip the proxy's
	// (curl's --proxy-insecure is its own). Under EngineNetHTTP, net/http
	// verifies an https proxy with TLSConfig, having one configuration for
	// both.
	ProxyTLSConfig *tls.Config
	// Proxy chooses the proxy for each request (nil, nil for none), as
	// http.Transport.Proxy; a proxy.Selector's Proxy method is one. Nil
	// means proxy.FromEnvironment (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY,
	// NO_PROXY, either case), read when the Opener is first used: never
	// for loopback targets, and HTTP_PROXY not in a CGI process (httpoxy).
	// http, https, socks5 and socks5h proxies work on both transports.
	// It may be asked more than once about one request (EngineAuto asks
	// it to choose the transport), so it must answer the same each time.
	Proxy func(*http.Request) (*url.URL, error)
	// Dial makes the default transport's connections; nil means a
	// net.Dialer with Timeouts.Connect. A guard that refuses some
	// addresses, or a test's loopback map, goes here.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Handlers wrap the transport, outermost first (a Handler with an
	// Order method is placed by it: lower is outer, default 500); a nil
	// one, a typed nil pointer included, is left out.
	Handlers []Handler
	// Jar keeps cookies; nil means none are kept. It sees every exchange,
	// as a handler of Order 700, inside Retry (100), auth's handlers
	// (500, and 600 for a proxy's): a cookie set on a 401 an auth handler
	// answers, or on a 503 Retry tries again, is kept and sent with the
	// next try, as curl and urllib keep it. A handler of a higher Order
	// sees the Cookie field the jar made. Its cookies come before the
	// request's own Cookie field, as curl sends them, each value as it
	// came (a space or a comma unquoted, as curl sends it).
	Jar http.CookieJar
	// Header holds fields sent with every request (urllib's addheaders);
	// the Request's own fields of the same name win.
	Header http.Header
	// UserAgent is sent unless a header gives one; "" means
	// DefaultUserAgent.
	UserAgent string
	// Redirects is the redirect policy.
	Redirects Redirects
	// Timeouts bound each phase.
	Timeouts Timeouts
	// Limits cap header, body and decompressed sizes.
	Limits Limits
	// DisableCompression sends no Accept-Encoding and decodes nothing.
	DisableCompression bool
	// DisableFile refuses file: URLs (ErrFileDisabled).
	DisableFile bool
	// AllowErrorStatus returns a final response of any status as a Response
	// instead of an *HTTPError, as curl does without -f.
	AllowErrorStatus bool

	// ReadBufferSize is how much the default transport reads from an
	// HTTP/1.1 connection at once (conn.Transport.ReadBufferSize,
	// http.Transport.ReadBufferSize; net/http's HTTP/2 keeps its own); 0
	// means each one's default, 32 KiB on fetch/conn and 4 KiB on net/http.
	// A response that fits, head and body, arrives in one read: download
	// sets 128 KiB.
	ReadBufferSize int

	// Trace records every phase of each exchange over net/http's transport
	// (DNS, connect, TLS, request written, with httptrace hooks, at some
	// cost per request); without it Response.Timings holds Start,
	// FirstByte (the head received) and Done. fetch/conn's transport
	// records every phase always.
	Trace bool

	once    sync.Once
	base    http.RoundTripper
	client  *http.Client
	ua      []string
	ae      []string
	buffers sync.Pool // of *[copyBufferSize]byte, for Response.WriteTo
}

// DefaultUserAgent returns "grab/VERSION", the version of the grab module
// in the running binary ("grab/dev" when unknown).
var DefaultUserAgent = sync.OnceValue(func() string {
	v := "dev"
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Path == modulePath && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, d := range bi.Deps {
			if d.Path == modulePath && d.Version != "" {
				v = d.Version
			}
		}
	}
	return "grab/" + strings.TrimPrefix(v, "v")
})

const modulePath = "github.com/grabhq/grab"

// BuildOpener returns an Opener made of the given pieces, in any order, as
// urllib's build_opener: an http.RoundTripper that is not a Handler is the
// transport; a Handler is added to Handlers; an http.CookieJar is the jar;
// a proxy chooser (a func(*http.Request) (*url.URL, error), or a value with
// such a Proxy method, as grab's proxy.Selector) is the proxy;
// an http.Header the default fields; a Timeouts, Limits or Redirects value
// and a *tls.Config set those fields. What is not given keeps its default.
// A piece of another type, a nil one (a typed nil pointer or function
// included), or a second transport, jar or header, is an error.
func BuildOpener(pieces ...any) (*Opener, error) {
	o := &Opener{}
	seen := map[string]bool{}
	once := func(what string) error {
		if seen[what] {
			return fmt.Errorf("fetch: BuildOpener: two %ss given", what)
		}
		seen[what] = true
		return nil
	}
	for _, p := range pieces {
		if isNil(p) {
			return nil, fmt.Errorf("fetch: BuildOpener: a nil %T given", p)
		}
		var err error
		switch v := p.(type) {
		case Handler:
			o.Handlers = append(o.Handlers, v)
		case http.CookieJar:
			if err = once("cookie jar"); err == nil {
				o.Jar = v
			}
		case http.RoundTripper:
			if err = once("transport"); err == nil {
				o.Transport = v
			}
		case func(*http.Request) (*url.URL, error):
			if err = once("proxy"); err == nil {
				o.Proxy = v
			}
		case interface {
			Proxy(*http.Request) (*url.URL, error)
		}:
			if err = once("proxy"); err == nil {
				o.Proxy = v.Proxy
			}
		case http.Header:
			if err = once("header"); err == nil {
				o.Header = v
			}
		case Timeouts:
			o.Timeouts = v
		case Limits:
			o.Limits = v
		case Redirects:
			o.Redirects = v
		case *tls.Config:
			o.TLSConfig = v
		default:
			err = fmt.Errorf("fetch: BuildOpener: cannot use a %T", p)
		}
		if err != nil {
			return nil, err
		}
	}
	return o, nil
}

// installed is the Opener Urlopen uses: InstallOpener's, or a zero Opener.
var installed atomic.Pointer[Opener]

var defaultOpener = sync.OnceValue(func() *Opener { return new(Opener) })

// InstallOpener makes o the Opener Urlopen and Retrieve use, as urllib's
// install_opener does; nil restores the default.
func InstallOpener(o *Opener) { installed.Store(o) }

func current() *Opener {
	if o := installed.Load(); o != nil {
		return o
	}
	return defaultOpener()
}

// Urlopen opens target (a URL string, a *url.URL or a *Request) with the
// installed Opener, as urllib.request.urlopen does; data, when not nil, is
// the body and makes the request a POST.
func Urlopen(ctx context.Context, target any, data []byte) (*Response, error) {
	req, err := asRequest(target)
	if err != nil {
		return nil, err
	}
	if data != nil {
		req.SetData(data)
	}
	return current().open(ctx, req)
}

// Open opens target: a URL string, a *url.URL, or a *Request. It returns
// the response with its body unread, or an *HTTPError for a final status
// outside 2xx, or the *url.Error of a request that got no response (its
// Err wraps ErrInvalidRequest, ErrTooManyRedirects, ErrRedirectRefused, a
// *TimeoutError, or the transport's error). The caller closes the
// Response.
func (o *Opener) Open(ctx context.Context, target any) (*Response, error) {
	req, err := asRequest(target)
	if err != nil {
		return nil, err
	}
	return o.open(ctx, req)
}

// CloseIdleConnections closes the idle connections of the Opener's
// transport.
func (o *Opener) CloseIdleConnections() {
	o.setup()
	if c, ok := o.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

func (o *Opener) open(ctx context.Context, req *Request) (*Response, error) {
	u, err := parseURL(req.URL)
	if err != nil {
		return nil, urlError(req.GetMethod(), req.URL, err)
	}
	switch u.Scheme {
	case "file":
		if o.DisableFile {
			return nil, urlError(req.GetMethod(), req.URL, ErrFileDisabled)
		}
		return openFile(req, u, o.maxBody())
	case "data":
		return openData(req, u, o.maxBody())
	}
	return o.openHTTP(ctx, req, u)
}

func (o *Opener) setup() {
	o.once.Do(func() {
		via := o.via()
		o.base = o.Transport
		if o.base == nil {
			o.base = o.defaultTransport(via)
		}
		_, isConn := o.base.(*conn.Transport)
		var rt http.RoundTripper = &exchange{
			base:          o.base,
			headerTimeout: pick(o.Timeouts.ResponseHeader, DefaultHeaderTimeout),
			stall:         pick(o.Timeouts.Stall, DefaultStallTimeout),
			trace:         o.Trace && !isConn,
			separate:      len(o.Handlers) > 0,
			via:           via,
		}
		hs := slices.DeleteFunc(slices.Clone(o.Handlers), func(h Handler) bool { return h == nil || isNil(h) })
		handlers := len(hs) > 0
		if handlers {
			hs = append(hs, userinfoBasic{})
		}
		if o.Jar != nil {
			hs = append(hs, jarHandler{o.Jar})
		}
		slices.SortStableFunc(hs, func(a, b Handler) int { return cmp.Compare(order(a), order(b)) })
		for i := len(hs) - 1; i >= 0; i-- {
			rt = hs[i].Wrap(rt)
		}
		if handlers {
			rt = withUserinfo{rt}
		}
		o.client = &http.Client{Transport: rt, CheckRedirect: checkRedirect}
		o.ua = []string{cmp.Or(o.UserAgent, DefaultUserAgent())}
		o.ae = []string{acceptEncoding}
	})
}

// isNil reports a typed nil pointer, function or channel in v (a nil map,
// as an http.Header, is an empty one; nil itself is no piece at all).
func isNil(v any) bool {
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Pointer, reflect.Func, reflect.Chan:
		return rv.IsNil()
	}
	return false
}

func order(h Handler) int {
	if o, ok := h.(interface{ Order() int }); ok {
		return o.Order()
	}
	return 500
}

// pick returns v, or def when v is zero; a negative v means none (0).
func pick[T int | int64 | time.Duration](v, def T) T {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}

// proxyFunc is the default transport's choice of proxy: o.Proxy, or the
// environment's.
func (o *Opener) proxyFunc() func(*http.Request) (*url.URL, error) {
	if o.Proxy != nil {
		return o.Proxy
	}
	sel, err := proxy.FromEnvironment(nil)
	if err != nil {
		return func(*http.Request) (*url.URL, error) { return nil, err }
	}
	return sel.Proxy
}

// via returns the function o.base chooses a request's proxy with, when
// fetch knows it: the default transport's, or that of an *http.Transport
// or a *conn.Transport given as o.Transport (nil, no proxy, for either
// without one); nil for any other transport.
func (o *Opener) via() func(*http.Request) (*url.URL, error) {
	direct := func(*http.Request) (*url.URL, error) { return nil, nil }
	var f func(*http.Request) (*url.URL, error)
	switch t := o.Transport.(type) {
	case nil:
		return o.proxyFunc()
	case *http.Transport:
		f = t.Proxy
	case *conn.Transport:
		f = t.Proxy
	default:
		return nil
	}
	if f == nil {
		return direct
	}
	return f
}

// defaultTransport is the transport fetch makes when o.Transport is nil;
// proxyFor is o.proxyFunc().
func (o *Opener) defaultTransport(proxyFor func(*http.Request) (*url.URL, error)) http.RoundTripper {
	connect := pick(o.Timeouts.Connect, DefaultConnectTimeout)
	dial := o.Dial
	if dial == nil {
		dial = (&net.Dialer{Timeout: connect, KeepAlive: 30 * time.Second}).DialContext
	}
	dial = numericHosts(dial)
	cfg := o.TLSConfig.Clone()
	if cfg == nil {
		cfg = &tls.Config{}
	}
	if cfg.MinVersion == 0 {
		cfg.MinVersion = tls.VersionTLS12
	}
	handshake := pick(o.Timeouts.TLS, DefaultTLSTimeout)
	var plain *conn.Transport
	if o.Engine != EngineNetHTTP {
		// Each its own bound, as net/http's; "none" is a day (conn reads 0
		// as its default).
		dialTimeout, tlsTimeout := connect, handshake
		if connect == 0 {
			dialTimeout = 24 * time.Hour
		}
		if handshake == 0 {
			tlsTimeout = 24 * time.Hour
		}
		headerBytes := int(pick(o.Limits.HeaderBytes, DefaultMaxHeaderBytes))
		if headerBytes == 0 {
			headerBytes = 1 << 40
		}
		proxyCfg := o.ProxyTLSConfig.Clone()
		if proxyCfg == nil {
			proxyCfg = cfg.Clone()
			proxyCfg.InsecureSkipVerify = false
		}
		plain = &conn.Transport{
			Proxy: proxyFor,
			DialProxy: func(ctx context.Context, p *url.URL, addr string) (net.Conn, error) {
				return proxy.Dial(ctx, p, addr, dial, proxyCfg)
			},
			TLSClientConfig:     cfg,
			ProxyTLSConfig:      proxyCfg,
			Dialer:              dialFunc(dial),
			DialTimeout:         dialTimeout,
			TLSHandshakeTimeout: tlsTimeout,
			MaxIdlePerHost:      64,
			MaxIdleConns:        256, // as the net/http side's
			MaxHeaderBytes:      headerBytes,
			ReadBufferSize:      o.ReadBufferSize,
		}
		if o.Engine == EngineConn {
			return plain
		}
	}
	std := &http.Transport{
		DialContext:            dial,
		TLSClientConfig:        cfg.Clone(), // net/http adds h2 to its NextProtos in place
		TLSHandshakeTimeout:    handshake,
		DisableCompression:     true, // fetch decodes, under its caps
		MaxResponseHeaderBytes: pick(o.Limits.HeaderBytes, DefaultMaxHeaderBytes),
		MaxIdleConns:           256,
		MaxIdleConnsPerHost:    64,
		IdleConnTimeout:        90 * time.Second,
		ExpectContinueTimeout:  time.Second,
		ForceAttemptHTTP2:      true,
		ReadBufferSize:         o.ReadBufferSize,
	}
	if plain == nil {
		// EngineNetHTTP: net/http chooses proxies itself. Otherwise split
		// sends every request through a proxy on plain, whose CONNECT
		// (proxy.Dial) bounds the proxy's answer and types its failures;
		// net/http reads a CONNECT answer of any size.
		std.Proxy, std.OnProxyConnectResponse = proxyFor, proxy.CheckConnect
		return std
	}
	return &split{plain: plain, std: std}
}

// Engine names the transports an Opener's default transport runs on.
type Engine int

const (
	// EngineAuto runs plain http, and any request through a proxy, on
	// fetch/conn's conn.Transport, and direct https on net/http's
	// Transport. Plain http is HTTP/1.1 on either, and conn answers a
	// sequential request with fewer goroutine hand-offs and polls for a
	// fast server's answer (about 1.5x the rate on loopback,
	// bench/urlopen.sh); direct https keeps net/http's HTTP/2. Through a
	// proxy, conn's tunnel (proxy.Dial) caps the proxy's answer to CONNECT
	// and types its failures (HOSTILE.md C6), where net/http reads an
	// answer of any size; https through a proxy is HTTP/1.1, as in urllib
	// and requests.
	EngineAuto Engine = iota
	// EngineNetHTTP runs every request on net/http's Transport.
	EngineNetHTTP
	// EngineConn runs every request on conn.Transport (HTTP/1.1 only).
	EngineConn
)

// OnConn reports whether the Opener's transport sends req on fetch/conn's
// conn.Transport (whose only httptrace hook is GotConn, and which sends no
// User-Agent of its own) rather than on net/http's or another: by its
// Engine and the request's scheme and proxy for the default transport. As
// the first Open does, it fixes the Opener's settings.
func (o *Opener) OnConn(req *http.Request) bool {
	o.setup()
	switch t := o.base.(type) {
	case *conn.Transport:
		return true
	case *split:
		return t.onPlain(req)
	}
	return false
}

// split is EngineAuto's transport.
type split struct {
	plain *conn.Transport
	std   *http.Transport
}

func (s *split) RoundTrip(req *http.Request) (*http.Response, error) {
	if s.onPlain(req) {
		return s.plain.RoundTrip(req)
	}
	return s.std.RoundTrip(req)
}

// onPlain reports whether req goes on s.plain: plain http, and any request
// through a proxy (or whose choice of proxy fails, which plain reports).
func (s *split) onPlain(req *http.Request) bool {
	if req.URL.Scheme == "http" {
		return true
	}
	if s.plain.Proxy == nil {
		return false
	}
	p, err := s.plain.Proxy(req)
	return p != nil || err != nil
}

func (s *split) CloseIdleConnections() {
	s.plain.CloseIdleConnections()
	s.std.CloseIdleConnections()
}

// numericHosts returns dial with a host that ends in a number dialed as
// the IPv4 address it spells: "127.1", "0x7f.1", "2130706433" and
// "127.0.0.1." are 127.0.0.1, as curl, wget and CPython reach them
// (getaddrinfo reads them so; Go's resolver would ask DNS for the name).
// The request's Host field keeps the URL's spelling, as theirs do.
func numericHosts(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		// Canon gives other names and dotted quads back as they are; an
		// IPv6 address stays out of it (it would add brackets).
		if host, port, err := net.SplitHostPort(addr); err == nil && !strings.Contains(host, ":") {
			if ip, ok := webhost.Canon(host); ok {
				addr = net.JoinHostPort(ip, port)
			}
		}
		return dial(ctx, network, addr)
	}
}

// dialFunc adapts a dial function to conn.ContextDialer.
type dialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

func (f dialFunc) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return f(ctx, network, addr)
}

// openHTTP makes an http or https request through the http.Client.
func (o *Opener) openHTTP(ctx context.Context, req *Request, u *url.URL) (*Response, error) {
	o.setup()
	method := req.GetMethod()
	fail := func(err error) (*Response, error) { return nil, urlError(method, req.URL, err) }
	if err := checkMethod(method); err != nil {
		return fail(err)
	}
	h := make(http.Header, len(o.Header)+len(req.Header)+3)
	for k, v := range o.Header {
		h[http.CanonicalHeaderKey(k)] = slices.Clone(v)
	}
	for k, v := range req.Header {
		h[http.CanonicalHeaderKey(k)] = slices.Clone(v)
	}
	if err := checkHeader(h); err != nil {
		return fail(err)
	}
	// A field given empty suppresses it, fetch's default included, as
	// net/http does for User-Agent and curl for -H 'Name:'.
	suppressed := map[string]bool{}
	for k, v := range h {
		if len(v) == 1 && v[0] == "" {
			suppressed[k] = true
			delete(h, k)
		}
	}
	host := h.Get("Host")
	h.Del("Host")
	if host != "" && (!validHost(host)) {
		return fail(invalid("Host %q is not a valid authority", host))
	}
	// Proxy credentials are for a proxy, set up in the transport; never
	// for an origin (HOSTILE.md B6).
	h.Del("Proxy-Authorization")
	// Several Cookie fields go as one, joined with "; ", as RFC 6265 §5.4
	// asks (the jar's cookies are added to the first field only).
	if cs := h["Cookie"]; len(cs) > 1 {
		h["Cookie"] = []string{strings.Join(slices.DeleteFunc(cs, func(c string) bool { return strings.TrimSpace(c) == "" }), "; ")}
	}
	// URL userinfo: Basic credentials for the first origin, unless a
	// handler sends its own; the handlers see it (see withUserinfo).
	user := u.User
	u.User = nil // none in the http.Client's request or a relative redirect
	if user != nil && len(o.Handlers) == 0 {
		if h.Get("Authorization") == "" {
			h.Set("Authorization", basicAuth(user))
		}
		user = nil // no handler to show it to (state.user)
	}
	if suppressed["User-Agent"] {
		h["User-Agent"] = []string{""} // net/http's way to send none
	} else if h.Get("User-Agent") == "" {
		h["User-Agent"] = o.ua // shared, never changed
	}
	body, n := req.body()
	if body != nil && h.Get("Content-Type") == "" && !suppressed["Content-Type"] {
		h.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	decode := !o.DisableCompression && h.Get("Accept-Encoding") == "" && !suppressed["Accept-Encoding"] && h.Get("Range") == ""
	if decode {
		h["Accept-Encoding"] = o.ae // shared, never changed
	}
	st := &state{first: u, user: user, policy: o.Redirects, noFollow: req.NoRedirect, referer: h.Get("Referer") != ""}
	st.creds.Store(user != nil) // the fields: the exchange sees them, with the handlers' and the jar's

	ctx, st.cancel = context.WithCancelCause(ctx)
	if total := pick(cmp.Or(req.Timeout, o.Timeouts.Total), 0); total > 0 {
		ctx, st.stop = context.WithTimeoutCause(ctx, total, &TimeoutError{Phase: "total", Limit: total})
	}
	st.Context = ctx
	var hreq *http.Request
	if body == nil {
		// What NewRequestWithContext makes of a URL set below and no
		// body, without parsing a URL and making a Header to drop
		// (checkMethod has checked the method as it would).
		hreq = (&http.Request{Method: method, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}).WithContext(st)
	} else {
		var err error
		if hreq, err = http.NewRequestWithContext(st, method, "", body); err != nil { // the URL is u, set below
			st.end()
			return fail(err)
		}
	}
	ctx = st
	hreq.URL, hreq.Host, hreq.Header = u, host, h
	if n > 0 {
		hreq.ContentLength = n
	} else if body != nil && hreq.ContentLength == 0 && req.Data == nil {
		hreq.ContentLength = -1 // unknown: chunked
	}
	resp, err := o.client.Do(hreq)
	if err != nil {
		st.end()
		var ue *url.Error
		if errors.As(err, &ue) {
			ue.Err = timeoutCause(ctx, ue.Err)
			ue.URL = redact.String(ue.URL)
			var re *RedirectError
			if errors.As(ue.Err, &re) {
				// net/http names the raw Location; the hops list the chain.
				ue.URL = redact.String(req.URL)
			}
			return nil, ue
		}
		return fail(timeoutCause(ctx, err))
	}
	r := o.response(resp, st)
	codings := contentCodings(resp.Header)
	if len(codings) > 0 && decode && hasBody(resp) {
		if max := pick(o.Limits.Encodings, DefaultMaxEncodings); max > 0 && len(codings) > max {
			resp.Body.Close()
			st.end()
			return fail(fmt.Errorf("%w: %d (%s), at most %d", ErrTooManyEncodings, len(codings), strings.Join(codings, ", "), max))
		}
		if known(codings) {
			r.Body = newDecoded(r.Body, codings, pick(o.Limits.DecodedBytes, DefaultMaxDecoded))
			r.Decoded = codings
			r.ContentLength = -1
			r.Header.Del("Content-Encoding")
			r.Header.Del("Content-Length")
		}
	}
	if b, ok := resp.Body.(*exchangeBody); ok {
		b.final = st // no handler wrapped it: the exchange ends the Open
	} else {
		r.Body = &doneBody{rc: r.Body, st: st}
	}
	if r.StatusCode/100 != 2 && !o.AllowErrorStatus {
		return nil, httpError(r)
	}
	return r, nil
}

func (o *Opener) response(resp *http.Response, st *state) *Response {
	r := &Response{
		URL:           resp.Request.URL.String(),
		Method:        resp.Request.Method,
		StatusCode:    resp.StatusCode,
		Status:        resp.Status,
		Reason:        reason(resp.Status, resp.StatusCode),
		Proto:         resp.Proto,
		Header:        resp.Header,
		History:       st.hops,
		Timings:       st.timings,
		ContentLength: resp.ContentLength,
		TLS:           resp.TLS,
		Body:          resp.Body,
		maxBody:       o.maxBody(),
		buffers:       &o.buffers,
	}
	r.LengthUnknown = resp.ProtoMajor == 1 && resp.ContentLength < 0 && len(resp.TransferEncoding) == 0 && hasBody(resp)
	return r
}

// reason is status ("200 OK") without its code and spaces.
func reason(status string, code int) string {
	var buf [20]byte // the code's digits, without an allocation
	return strings.TrimSpace(strings.TrimPrefix(status, string(strconv.AppendInt(buf[:0], int64(code), 10))))
}

func (o *Opener) maxBody() int64 {
	if m := pick(o.Limits.BodyBytes, DefaultMaxBodyBytes); m > 0 {
		return m
	}
	return math.MaxInt64 - 1 // no cap, and Bytes' max+1 still positive
}

// hasBody reports whether a response carries a body at all.
func hasBody(resp *http.Response) bool {
	return resp.StatusCode >= 200 && !bodyless(resp.Request.Method, resp.StatusCode)
}

// bodyless reports whether a final response to method with status code
// has no body, whatever its Content-Length says: a HEAD's, a 204's, a
// 304's.
func bodyless(method string, code int) bool {
	return method == http.MethodHead || code == http.StatusNoContent || code == http.StatusNotModified
}

// httpError reads the first bytes of r's body, closes it, and describes r.
func httpError(r *Response) *HTTPError {
	prefix, _ := io.ReadAll(io.LimitReader(r.Body, errorBodyBytes))
	r.Body.Close()
	u, _ := url.Parse(r.URL)
	return &HTTPError{
		Method:     r.Method,
		URL:        u.Redacted(), // a URL to use: only the password masked
		StatusCode: r.StatusCode,
		Status:     r.Status,
		Header:     r.Header,
		Body:       prefix,
		History:    r.History,
	}
}

// doneBody ends the Open once the body has been read to its end or
// closed.
type doneBody struct {
	rc   io.ReadCloser
	st   *state
	once sync.Once
}

func (b *doneBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if err == io.EOF {
		b.once.Do(b.st.end)
	}
	return n, err
}

func (b *doneBody) ReadFile(f *os.File, max int64) (int64, error) {
	n, err := readFile(b.rc, f, max)
	if err == io.EOF {
		b.once.Do(b.st.end)
	}
	return n, err
}

func (b *doneBody) Close() error {
	err := b.rc.Close()
	b.once.Do(b.st.end)
	return err
}

// validHost reports whether a Host field is a host[:port] with nothing
// else: no userinfo, path, space or control (HOSTILE.md A2).
func validHost(h string) bool {
	if strings.ContainsAny(h, "/\\@?# \t\r\n") {
		return false
	}
	u, err := url.Parse("http://" + h + "/")
	return err == nil && u.Host == h && u.User == nil
}
