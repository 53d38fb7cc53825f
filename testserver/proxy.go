package testserver

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/textproto"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Limits of the proxy [StartProxy] starts.
const (
	// ProxyRealm is the realm of the Proxy-Authenticate challenge a [Proxy]
	// sends with its 407 answers.
	ProxyRealm = "grab-test-proxy"
	// DefaultProxyMaxRecords is the number of [ProxyRecord] values a [Proxy]
	// keeps when [ProxyOptions.MaxRecords] is 0.
	DefaultProxyMaxRecords = 1000
	// ProxyMaxHeaderBytes caps the size of a request header the proxy
	// accepts; a larger one is answered 431.
	ProxyMaxHeaderBytes = 64 << 10

	proxyReadHeaderTimeout = 10 * time.Second
	proxyIdleTimeout       = 60 * time.Second
	proxyDialTimeout       = 10 * time.Second
	proxyWriteTimeout      = 10 * time.Second // for the short answer to CONNECT only
	proxyMaxUpstreamHeader = 1 << 20
	proxyCopyBuffer        = 32 << 10
)

// ProxyOptions configures [StartProxy]. The zero value is an open proxy on
// 127.0.0.1:0 that forwards to loopback targets only.
type ProxyOptions struct {
	// Addr is the listen address; "" means "127.0.0.1:0". It must be a
	// loopback address (127.0.0.0/8, ::1 or localhost) unless AllowPublic
	// is set.
	Addr string
	// AllowPublic lets Addr be a non-loopback address.
	AllowPublic bool
	// User and Password, if User is not "", are the credentials the proxy
	// requires in a Proxy-Authorization: Basic header; without them it
	// answers 407 with Proxy-Authenticate: Basic realm="grab-test-proxy".
	User, Password string
	// AllowTargets reports whether the proxy may forward to host (a host
	// name or IP address, without port or brackets). Nil means loopback
	// only: 127.0.0.0/8, ::1 and localhost, and then every address the
	// proxy dials is checked to be a loopback one, so a test never reaches
	// beyond the machine. Disallowed targets are answered 403.
	AllowTargets func(host string) bool
	// MaxRecords is the number of records kept, oldest dropped first; 0
	// means [DefaultProxyMaxRecords].
	MaxRecords int
}

// A ProxyRecord describes one request a [Proxy] received.
type ProxyRecord struct {
	// Method is the request method: GET, CONNECT, ...
	Method string
	// Target is the request target as received: an absolute-form URL, a
	// CONNECT authority (host:port), or the origin-form path of a request
	// that was not a proxy request.
	Target string
	// Header is the request header as received by the proxy, before the
	// hop-by-hop fields and Proxy-Authorization were removed, so tests can
	// assert which party saw which header.
	Header http.Header
	// Authorized reports whether proxy authentication passed, or none was
	// required.
	Authorized bool
	// Status is the status the proxy answered with, or the upstream's
	// status when it forwarded the response; 0 while not yet known.
	Status int
	// Err describes an upstream failure (dial, request or body), if any.
	Err string
}

// A Proxy is a forward HTTP proxy for client tests, listening on its own
// loopback address. It forwards absolute-form http:// requests and tunnels
// CONNECT requests, and records every request it receives. Start one with
// [StartProxy] and stop it with [Proxy.Close].
type Proxy struct {
	ln        net.Listener
	srv       *http.Server
	transport *http.Transport
	dialer    *net.Dialer
	cancel    context.CancelFunc
	closeOnce func() error

	user, password string
	allow          func(string) bool
	maxRecords     int

	wg sync.WaitGroup // the Serve loop, open connections, running handlers and tunnel copies

	mu      sync.Mutex
	closed  bool
	tunnels map[net.Conn]struct{}
	records []*ProxyRecord
}

// StartProxy starts a [Proxy] configured by opts, serving on a goroutine of
// its own until [Proxy.Close].
func StartProxy(opts ProxyOptions) (*Proxy, error) {
	if opts.MaxRecords < 0 {
		return nil, fmt.Errorf("proxy MaxRecords %d is negative", opts.MaxRecords)
	}
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	if !opts.AllowPublic {
		if err := checkLoopback(addr); err != nil {
			return nil, err
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("proxy listen: %w", err)
	}
	if !opts.AllowPublic {
		if err := proxyCheckLoopback(ln.Addr().String()); err != nil {
			ln.Close()
			return nil, fmt.Errorf("proxy listen on %q: %w", addr, err)
		}
	}

	p := &Proxy{
		ln:         ln,
		user:       opts.User,
		password:   opts.Password,
		allow:      opts.AllowTargets,
		maxRecords: opts.MaxRecords,
		tunnels:    map[net.Conn]struct{}{},
	}
	if p.maxRecords == 0 {
		p.maxRecords = DefaultProxyMaxRecords
	}
	p.dialer = &net.Dialer{Timeout: proxyDialTimeout}
	if p.allow == nil {
		// Host names such as localhost are resolved before dialling: check
		// the address actually dialled too.
		p.dialer.Control = func(_, address string, _ syscall.RawConn) error {
			return proxyCheckLoopback(address)
		}
	}
	p.transport = &http.Transport{
		Proxy:                  nil, // never chain to the environment's proxy
		DialContext:            p.dialer.DialContext,
		DisableCompression:     true, // relay the body as the upstream sent it
		MaxResponseHeaderBytes: proxyMaxUpstreamHeader,
		IdleConnTimeout:        proxyIdleTimeout,
		TLSHandshakeTimeout:    proxyDialTimeout,
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	discard := discardLog()
	p.srv = &http.Server{
		Handler:                      http.HandlerFunc(p.serveHTTP),
		ReadHeaderTimeout:            proxyReadHeaderTimeout,
		IdleTimeout:                  proxyIdleTimeout,
		MaxHeaderBytes:               ProxyMaxHeaderBytes,
		DisableGeneralOptionsHandler: true, // "OPTIONS *" is not a proxy request either
		ErrorLog:                     discard,
		BaseContext:                  func(net.Listener) context.Context { return ctx },
		ConnState:                    p.connState,
	}
	p.closeOnce = sync.OnceValue(p.shutdown)
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		p.srv.Serve(ln) // returns ErrServerClosed after Close
	}()
	return p, nil
}

// URL returns the proxy's URL, http://127.0.0.1:port, for
// [http.ProxyURL]; add a User to it for an authenticating proxy.
func (p *Proxy) URL() *url.URL {
	return &url.URL{Scheme: "http", Host: p.ln.Addr().String()}
}

// Addr returns the proxy's listen address, host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Records returns a copy of the records of the requests received so far,
// oldest first, at most [ProxyOptions.MaxRecords] of them.
func (p *Proxy) Records() []ProxyRecord {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]ProxyRecord, len(p.records))
	for i, r := range p.records {
		out[i] = *r
		out[i].Header = r.Header.Clone()
	}
	return out
}

// Reset forgets the records.
func (p *Proxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.records)
	p.records = p.records[:0]
}

// Close stops the listener, closes every connection including open
// tunnels, aborts the requests being forwarded and waits for the proxy's
// goroutines to finish. Calling it again returns the first call's result.
func (p *Proxy) Close() error { return p.closeOnce() }

func (p *Proxy) shutdown() error {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.cancel()
	err := p.srv.Close()
	p.mu.Lock()
	for c := range p.tunnels {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	p.transport.CloseIdleConnections()
	if err != nil {
		return fmt.Errorf("closing proxy: %w", err)
	}
	return nil
}

// connState counts the server's connections in p.wg, so that Close waits
// for their goroutines. StateNew runs on the Serve goroutine, which is
// counted, so the counter is never zero when it is raised.
func (p *Proxy) connState(_ net.Conn, s http.ConnState) {
	switch s {
	case http.StateNew:
		p.wg.Add(1)
	case http.StateHijacked, http.StateClosed:
		p.wg.Done()
	}
}

func (p *Proxy) serveHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &ProxyRecord{
		Method:     r.Method,
		Target:     r.RequestURI,
		Header:     r.Header.Clone(),
		Authorized: p.authorized(r.Header),
	}
	if !p.begin(rec) {
		http.Error(w, "proxy is closing", http.StatusServiceUnavailable)
		return
	}
	defer p.wg.Done()
	switch {
	case r.URL.Host == "":
		p.fail(w, r, rec, http.StatusBadRequest, "", "not a proxy request: request target %q is not in absolute form", r.RequestURI)
	case !rec.Authorized:
		w.Header().Set("Proxy-Authenticate", `Basic realm="`+ProxyRealm+`"`)
		p.fail(w, r, rec, http.StatusProxyAuthRequired, "", "proxy authentication required")
	case r.Method == http.MethodConnect:
		p.tunnel(w, r, rec)
	default:
		p.forward(w, r, rec)
	}
}

// begin records rec and counts the handler in p.wg, unless the proxy is
// closing.
func (p *Proxy) begin(rec *ProxyRecord) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.wg.Add(1)
	if len(p.records) >= p.maxRecords {
		n := copy(p.records, p.records[len(p.records)-p.maxRecords+1:])
		clear(p.records[n:])
		p.records = p.records[:n]
	}
	p.records = append(p.records, rec)
	return true
}

// update changes rec under the lock that Records takes.
func (p *Proxy) update(rec *ProxyRecord, status int, upstreamErr string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if status != 0 {
		rec.Status = status
	}
	if upstreamErr != "" {
		rec.Err = upstreamErr
	}
}

// fail answers the request with code and a plain-text message, recording
// both and upstreamErr.
func (p *Proxy) fail(w http.ResponseWriter, r *http.Request, rec *ProxyRecord, code int, upstreamErr, format string, args ...any) {
	p.update(rec, code, upstreamErr)
	if r.Method == http.MethodConnect {
		w.Header().Set("Connection", "close")
	}
	http.Error(w, ProxyRealm+": "+fmt.Sprintf(format, args...), code)
}

// authorized reports whether h carries the proxy's credentials, or none are
// required.
func (p *Proxy) authorized(h http.Header) bool {
	if p.user == "" {
		return true
	}
	scheme, cred, ok := strings.Cut(strings.TrimSpace(h.Get("Proxy-Authorization")), " ")
	if !ok || !strings.EqualFold(scheme, "Basic") {
		return false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
	if err != nil {
		return false
	}
	user, password, ok := strings.Cut(string(raw), ":")
	if !ok {
		return false
	}
	u := subtle.ConstantTimeCompare([]byte(user), []byte(p.user))
	pw := subtle.ConstantTimeCompare([]byte(password), []byte(p.password))
	return u&pw == 1
}

// allowed reports whether the proxy may forward to host.
func (p *Proxy) allowed(host string) bool {
	if p.allow != nil {
		return p.allow(host)
	}
	return loopbackHost(host)
}

// forward relays an absolute-form request to its target and streams the
// answer back.
func (p *Proxy) forward(w http.ResponseWriter, r *http.Request, rec *ProxyRecord) {
	if r.URL.Scheme != "http" {
		p.fail(w, r, rec, http.StatusBadRequest, "", "cannot forward %q: only http:// targets are forwarded (use CONNECT for https)", r.RequestURI)
		return
	}
	if host := r.URL.Hostname(); !p.allowed(host) {
		p.fail(w, r, rec, http.StatusForbidden, "", "target host %q is not allowed", host)
		return
	}
	out := r.Clone(r.Context()) // canceled by Close through BaseContext
	out.RequestURI = ""
	out.Host = "" // the absolute URI's authority wins over the Host header
	out.Close = false
	proxyRemoveHopByHop(out.Header)
	if _, ok := out.Header["User-Agent"]; !ok {
		out.Header["User-Agent"] = []string{""} // forwarded as sent: none, not Go's
	}
	resp, err := p.transport.RoundTrip(out)
	if err != nil {
		p.fail(w, r, rec, http.StatusBadGateway, err.Error(), "upstream request failed: %v", err)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusSwitchingProtocols {
		msg := "upstream switched protocols without being asked"
		p.fail(w, r, rec, http.StatusBadGateway, msg, "%s", msg)
		return
	}
	proxyRemoveHopByHop(resp.Header)
	h := w.Header()
	for k, vv := range resp.Header {
		h[k] = vv
	}
	// Add nothing the upstream did not send.
	for _, k := range []string{"Content-Type", "Date"} {
		if _, ok := h[k]; !ok {
			h[k] = nil
		}
	}
	p.update(rec, resp.StatusCode, "")
	w.WriteHeader(resp.StatusCode)

	rc := http.NewResponseController(w)
	buf := make([]byte, proxyCopyBuffer)
	for {
		n, rerr := resp.Body.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return // the client went away
			}
			rc.Flush()
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			p.update(rec, 0, "reading upstream body: "+rerr.Error())
			// Abort the response, so the client sees it cut short
			// rather than a clean end; net/http recovers this value
			// silently and closes the connection.
			panic(http.ErrAbortHandler)
		}
	}
	for k, vv := range resp.Trailer {
		h[http.TrailerPrefix+k] = vv
	}
}

// tunnel answers a CONNECT request: it dials the target, hijacks the client
// connection and relays bytes both ways until both directions end or the
// proxy closes.
func (p *Proxy) tunnel(w http.ResponseWriter, r *http.Request, rec *ProxyRecord) {
	host, port, err := net.SplitHostPort(r.URL.Host)
	if err != nil || port == "" {
		p.fail(w, r, rec, http.StatusBadRequest, "", "CONNECT target %q is not host:port", r.URL.Host)
		return
	}
	if !p.allowed(host) {
		p.fail(w, r, rec, http.StatusForbidden, "", "target host %q is not allowed", host)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), proxyDialTimeout)
	up, err := p.dialer.DialContext(ctx, "tcp", r.URL.Host)
	cancel()
	if err != nil {
		p.fail(w, r, rec, http.StatusBadGateway, err.Error(), "cannot reach %s: %v", r.URL.Host, err)
		return
	}
	client, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		up.Close()
		p.fail(w, r, rec, http.StatusInternalServerError, "", "cannot take over the connection: %v", err)
		return
	}
	if !p.track(client, up) {
		client.Close()
		up.Close()
		return
	}
	defer p.untrack(client, up)

	p.update(rec, http.StatusOK, "")
	client.SetDeadline(time.Now().Add(proxyWriteTimeout))
	if _, err := io.WriteString(client, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		return
	}
	client.SetDeadline(time.Time{})
	// Bytes the client sent right after its request (a TLS ClientHello)
	// may already sit in the server's buffer.
	if n := brw.Reader.Buffered(); n > 0 {
		b, _ := brw.Reader.Peek(n)
		if _, err := up.Write(b); err != nil {
			return
		}
	}

	done := make(chan struct{})
	p.wg.Add(1) // the handler is counted, so the counter is not zero
	go func() {
		defer p.wg.Done()
		defer close(done)
		proxyPipe(up, client)
	}()
	proxyPipe(client, up)
	<-done
}

// track registers a tunnel's connections for Close, unless the proxy is
// closing.
func (p *Proxy) track(conns ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	for _, c := range conns {
		p.tunnels[c] = struct{}{}
	}
	return true
}

// untrack closes a tunnel's connections and forgets them.
func (p *Proxy) untrack(conns ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range conns {
		c.Close()
		delete(p.tunnels, c)
	}
}

// proxyPipe copies src to dst. At the end of src it half-closes dst, so the
// other direction can finish; on an error it closes both, which ends the
// other direction too.
func proxyPipe(dst, src net.Conn) {
	_, err := io.Copy(dst, src)
	if err == nil {
		if cw, ok := dst.(interface{ CloseWrite() error }); ok && cw.CloseWrite() == nil {
			return
		}
	}
	dst.Close()
	src.Close()
}

// proxyHopHeaders are the hop-by-hop header fields (RFC 9110 section 7.6.1)
// a proxy must not forward, plus Proxy-Authorization, which is meant for
// this proxy alone.
var proxyHopHeaders = []string{
	"Connection",
	"Proxy-Connection",
	"Keep-Alive",
	"Proxy-Authenticate",
	"Proxy-Authorization",
	"Te",
	"Trailer",
	"Transfer-Encoding",
	"Upgrade",
}

// proxyRemoveHopByHop deletes the hop-by-hop fields from h, including those
// named in its Connection field.
func proxyRemoveHopByHop(h http.Header) {
	for _, v := range h.Values("Connection") {
		for f := range strings.SplitSeq(v, ",") {
			if f = textproto.TrimString(f); f != "" {
				h.Del(f)
			}
		}
	}
	for _, k := range proxyHopHeaders {
		h.Del(k)
	}
}

// loopbackHost reports whether host (no port, no brackets) is
// localhost or a loopback IP address. Server and the proxy bind only such
// hosts unless told otherwise.
func loopbackHost(host string) bool {
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.WithZone("").Unmap().IsLoopback()
}

// proxyCheckLoopback returns an error unless address (ip:port) is on a
// loopback IP address.
func proxyCheckLoopback(address string) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("address %q: %w", address, err)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.WithZone("").Unmap().IsLoopback() {
		return fmt.Errorf("address %q is not a loopback address", address)
	}
	return nil
}
