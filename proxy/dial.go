package proxy

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/grabhq/grab/urlx"
)

// Limits of a [Dialer]; each has a field to change it.
const (
	// DefaultMaxReplyBytes caps the head of a proxy's answer to CONNECT
	// (status line and header fields).
	DefaultMaxReplyBytes = 64 << 10
	// DefaultTimeout bounds a Dial as a whole: connecting to the proxy, the
	// TLS handshake with an https proxy, and the CONNECT or SOCKS5
	// exchange. net/http bounds its CONNECT by one minute too.
	DefaultTimeout = time.Minute
)

// maxSOCKSField is the longest host name, user name or password SOCKS5
// can carry (a one-byte length).
const maxSOCKSField = 255

// Dial returns a connection to addr ("host:port") through proxyURL, as a
// [Dialer] with only Proxy, Dial and TLSConfig set does:
//
//   - http and https proxies: a CONNECT tunnel; an https proxy gets TLS
//     first, verified with tlsConfig (nil means the system roots);
//   - socks5: a SOCKS5 connection to the address addr's host resolves to
//     here; socks5h: the host name goes to the proxy to resolve.
//
// Credentials in proxyURL's userinfo go to the proxy only: as
// Proxy-Authorization: Basic in the CONNECT, or as the SOCKS5 username
// and password. A nil proxyURL dials addr directly; a nil dial means a
// [net.Dialer]. The caller does its TLS with the target over the
// connection returned. Failures are [*ProxyError] values.
func Dial(ctx context.Context, proxyURL *url.URL, addr string, dial func(ctx context.Context, network, addr string) (net.Conn, error), tlsConfig *tls.Config) (net.Conn, error) {
	d := Dialer{Proxy: proxyURL, Dial: dial, TLSConfig: tlsConfig}
	return d.DialContext(ctx, "tcp", addr)
}

// A Dialer connects to addresses through one proxy. Its DialContext has
// the signature of [net.Dialer.DialContext], so it can be
// [http.Transport.DialContext] (a socks5 proxy with local name resolution,
// which net/http's own SOCKS support does not offer), fetch/conn's
// WithDialer, or a golang.org/x/net/proxy.ContextDialer. The zero value
// dials directly.
type Dialer struct {
	// Proxy is the proxy to go through: scheme http, https, socks5 or
	// socks5h (an empty scheme means http), credentials in its userinfo.
	// Nil means a direct connection.
	Proxy *url.URL
	// Dial connects to the proxy; nil means a [net.Dialer].
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// TLSConfig verifies an https proxy; nil means the system roots and
	// the proxy's host name. It is not used for the target.
	TLSConfig *tls.Config
	// Header holds extra fields for the CONNECT request (curl's
	// --proxy-header), for a proxy that wants them. Nothing else is ever
	// copied into a CONNECT: it carries Host, Proxy-Authorization (from
	// Proxy's userinfo, which wins over one given here) and these. Host is
	// ignored here.
	Header http.Header
	// MaxReplyBytes caps the head of the answer to CONNECT; 0 means
	// [DefaultMaxReplyBytes].
	MaxReplyBytes int
	// Timeout bounds each DialContext as a whole (connect, TLS with the
	// proxy, CONNECT or SOCKS5); 0 means [DefaultTimeout], a negative value
	// only the context's deadline. The connection returned has no
	// deadline.
	Timeout time.Duration
	// Resolver resolves the target's host name for a socks5 proxy; nil
	// means [net.DefaultResolver]. socks5h and CONNECT leave the name to
	// the proxy.
	Resolver *net.Resolver
}

// DialContext returns a connection to addr ("host:port") through the
// proxy, network being "tcp", "tcp4" or "tcp6" (for socks5, the family of
// the address the name resolves to). See [Dial].
func (d *Dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, &ProxyError{Proxy: Redact(d.Proxy), Target: printable(addr, 300), Err: fmt.Errorf("network %q is not supported (want tcp, tcp4 or tcp6)", printable(network, 32))}
	}
	if timeout := d.timeout(); timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, timeout,
			fmt.Errorf("%w (the proxy dial took longer than %v)", context.DeadlineExceeded, timeout))
		defer cancel()
	}
	if d.Proxy == nil {
		return d.dial(ctx, network, addr)
	}

	p := d.Proxy
	shown := Redact(p)
	scheme := strings.ToLower(p.Scheme)
	if scheme == "" {
		scheme = "http"
	}
	host, port, err := splitTarget(addr)
	if err != nil {
		return nil, &ProxyError{Proxy: shown, Target: printable(addr, 300), Err: err}
	}
	target := net.JoinHostPort(host, port)
	fail := func(err error) error {
		return &ProxyError{Proxy: shown, Target: target, Err: err}
	}
	if _, ok := proxySchemes[scheme]; !ok {
		return nil, fail(fmt.Errorf("unsupported proxy scheme %q (want http, https, socks5 or socks5h)", printable(scheme, 32)))
	}
	if p.Hostname() == "" {
		return nil, fail(errors.New("the proxy URL has no host"))
	}

	// Everything that can be refused is refused before connecting.
	var (
		connectReq []byte
		socks      *socksRequest
	)
	switch scheme {
	case "http", "https":
		if connectReq, err = d.connectRequest(p, target); err != nil {
			return nil, fail(err)
		}
	default:
		if socks, err = newSOCKSRequest(p, scheme, host, port); err != nil {
			return nil, fail(err)
		}
		if scheme == "socks5" && !socks.ip.IsValid() {
			if socks.ip, err = d.resolve(ctx, network, host); err != nil {
				return nil, fail(err)
			}
		}
	}

	c, err := d.dial(ctx, "tcp", net.JoinHostPort(p.Hostname(), proxyPort(p)))
	if err != nil {
		if cause := context.Cause(ctx); cause != nil {
			err = cause
		}
		return nil, fail(fmt.Errorf("connecting to the proxy: %w", err))
	}
	// The context bounds the handshake through the connection's deadline.
	// (A deadline set from ctx.Deadline could fire before ctx reports it.)
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	var conn net.Conn
	switch scheme {
	case "https":
		tc := tls.Client(c, d.proxyTLSConfig(p))
		if err = tc.HandshakeContext(ctx); err != nil {
			err = fmt.Errorf("TLS handshake with the proxy: %w", err)
			break
		}
		conn, err = d.connect(tc, connectReq, shown, target)
	case "http":
		conn, err = d.connect(c, connectReq, shown, target)
	default:
		conn, err = socks.handshake(c, shown, target)
	}
	if !stop() || err != nil {
		c.Close()
		if cause := context.Cause(ctx); cause != nil {
			return nil, fail(fmt.Errorf("proxy handshake: %w", cause))
		}
		var pe *ProxyError
		if errors.As(err, &pe) {
			return nil, err
		}
		return nil, fail(err)
	}
	c.SetDeadline(time.Time{})
	return conn, nil
}

func (d *Dialer) timeout() time.Duration {
	if d.Timeout == 0 {
		return DefaultTimeout
	}
	return d.Timeout
}

func (d *Dialer) maxReply() int {
	if d.MaxReplyBytes <= 0 {
		return DefaultMaxReplyBytes
	}
	return d.MaxReplyBytes
}

func (d *Dialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	if d.Dial != nil {
		return d.Dial(ctx, network, addr)
	}
	var nd net.Dialer
	return nd.DialContext(ctx, network, addr)
}

// proxyTLSConfig is the configuration of the TLS handshake with an https
// proxy: the caller's, with the proxy's name if it sets none, and no ALPN
// (the CONNECT is HTTP/1.1).
func (d *Dialer) proxyTLSConfig(p *url.URL) *tls.Config {
	var cfg *tls.Config
	if d.TLSConfig != nil {
		cfg = d.TLSConfig.Clone()
	} else {
		cfg = &tls.Config{}
	}
	if cfg.ServerName == "" {
		cfg.ServerName = p.Hostname()
	}
	cfg.NextProtos = nil
	return cfg
}

// splitTarget checks addr ("host:port") and returns its host (IDNA ASCII
// for a name) and port. A host must be a name or an IP address without a
// zone; nothing that could bend a CONNECT line or a SOCKS5 request passes.
func splitTarget(addr string) (host, port string, err error) {
	host, port, err = net.SplitHostPort(addr)
	if err != nil {
		return "", "", fmt.Errorf("invalid target address: %w", err)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || port[0] == '+' {
		return "", "", fmt.Errorf("invalid target port %q", printable(port, 32))
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if ip.Zone() != "" {
			return "", "", errors.New("a target address with an IPv6 zone cannot go through a proxy")
		}
		return host, port, nil
	}
	host, err = urlx.DialHostname(host)
	if err != nil {
		return "", "", fmt.Errorf("invalid target host name: %w", err)
	}
	if !nameOK(host) {
		return "", "", fmt.Errorf("invalid target host %q", printable(host, 300))
	}
	return host, port, nil
}

// connectRequest returns the CONNECT request for target: Host,
// Proxy-Authorization from p's userinfo, and d.Header; never anything
// else.
func (d *Dialer) connectRequest(p *url.URL, target string) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n")
	if p.User != nil {
		pw, _ := p.User.Password()
		b.WriteString("Proxy-Authorization: Basic ")
		b.WriteString(base64.StdEncoding.EncodeToString([]byte(p.User.Username() + ":" + pw)))
		b.WriteString("\r\n")
	}
	keys := make([]string, 0, len(d.Header))
	for k := range d.Header {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !httpguts.ValidHeaderFieldName(k) {
			return nil, fmt.Errorf("invalid CONNECT header field name %q", printable(k, 64))
		}
		ck := http.CanonicalHeaderKey(k)
		if ck == "Host" || (ck == "Proxy-Authorization" && p.User != nil) {
			continue
		}
		for _, v := range d.Header[k] {
			if !httpguts.ValidHeaderFieldValue(v) {
				return nil, fmt.Errorf("invalid value for CONNECT header field %s", ck)
			}
			b.WriteString(ck + ": " + v + "\r\n")
		}
	}
	b.WriteString("\r\n")
	return b.Bytes(), nil
}

// connect sends the CONNECT request on c and reads the answer's head, at
// most MaxReplyBytes of it. Any 2xx opens the tunnel.
func (d *Dialer) connect(c net.Conn, req []byte, shown, target string) (net.Conn, error) {
	fail := func(err error) error { return &ProxyError{Proxy: shown, Target: target, Err: err} }
	if _, err := c.Write(req); err != nil {
		return nil, fail(fmt.Errorf("sending CONNECT: %w", err))
	}
	max := d.maxReply()
	eof := &eofReader{r: c}
	lr := &io.LimitedReader{R: eof, N: int64(max)}
	br := bufio.NewReaderSize(lr, 4096)
	// Anything but "HTTP/" is refused at once, without waiting for a line
	// end that may never come.
	if got, err := br.Peek(5); !bytes.HasPrefix([]byte("HTTP/"), got) {
		return nil, fail(fmt.Errorf("%w: %q is not the start of an HTTP response", ErrProxyProtocol, got))
	} else if err != nil && len(got) == 0 && (err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF)) {
		return nil, fail(fmt.Errorf("%w without answering CONNECT", ErrProxyClosed))
	}
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect, URL: &url.URL{Opaque: target}, Host: target})
	switch {
	case err == nil:
	case lr.N <= 0:
		return nil, fail(fmt.Errorf("%w: the reply head is longer than %d bytes", ErrProxyProtocol, max))
	case eof.eof || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return nil, fail(fmt.Errorf("%w before its reply to CONNECT was complete", ErrProxyClosed))
	default:
		var ne net.Error
		if errors.As(err, &ne) {
			return nil, fail(fmt.Errorf("reading the reply to CONNECT: %w", err))
		}
		return nil, fail(fmt.Errorf("%w: %s", ErrProxyProtocol, printable(err.Error(), 200)))
	}
	if resp.StatusCode/100 != 2 {
		return nil, statusError(shown, target, resp)
	}
	t := &tunnelConn{Conn: c, proxy: shown, target: target}
	if n := br.Buffered(); n > 0 {
		// Bytes the proxy sent after its head belong to the tunnel.
		b, _ := br.Peek(n)
		t.pending = bytes.Clone(b)
	}
	return t, nil
}

// eofReader records whether its reader reached the end of the stream, so
// a reply cut short is told from a malformed one.
type eofReader struct {
	r   io.Reader
	eof bool
}

func (e *eofReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF {
		e.eof = true
	}
	return n, err
}

// tunnelConn is a connection through a proxy. Bytes read with the reply
// head come first; an end of the stream before the target sent a single
// byte, or a reset then, is reported as ErrProxyClosed (the proxy
// accepted, then hung up), still matching io.EOF or syscall.ECONNRESET.
type tunnelConn struct {
	net.Conn
	pending       []byte
	got           bool
	proxy, target string
}

func (t *tunnelConn) Read(p []byte) (int, error) {
	if len(t.pending) > 0 {
		n := copy(p, t.pending)
		t.pending = t.pending[n:]
		t.got = true
		return n, nil
	}
	n, err := t.Conn.Read(p)
	if n > 0 {
		t.got = true
	}
	if t.got || err == nil {
		return n, err
	}
	// A proxy that hangs up while our first bytes (a TLS ClientHello, a
	// request) sit unread in its socket resets the connection instead of
	// closing it: the same fault, seen as ECONNRESET.
	if err == io.EOF || errors.Is(err, syscall.ECONNRESET) {
		return n, &ProxyError{Proxy: t.proxy, Target: t.target,
			Err: fmt.Errorf("%w: the tunnel ended before the target sent anything (%w)", ErrProxyClosed, err)}
	}
	return n, err
}

// CloseWrite half-closes the tunnel when the connection to the proxy
// supports it (TCP does).
func (t *tunnelConn) CloseWrite() error {
	if cw, ok := t.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.New("proxy: the connection to the proxy cannot half-close")
}

// NetConn returns the connection to the proxy underneath, as
// [tls.Conn.NetConn] does.
func (t *tunnelConn) NetConn() net.Conn { return t.Conn }
