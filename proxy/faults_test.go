package proxy_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/url"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/grabhq/grab/internal/testkit"
	"github.com/grabhq/grab/proxy"
)

// hostileProxy starts a fake proxy that reads request heads and answers
// each with answer (called with the request count so far); it counts the
// requests.
func hostileProxy(t *testing.T, answer func(c net.Conn, n int) bool) (*fake, *atomic.Int32) {
	var reqs atomic.Int32
	f := startFake(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		for {
			if _, err := testkit.ReadHead(br); err != nil {
				return
			}
			if !answer(c, int(reqs.Add(1))) {
				return
			}
		}
	})
	return f, &reqs
}

func write(s string) func(c net.Conn, n int) bool {
	return func(c net.Conn, _ int) bool {
		_, err := io.WriteString(c, s)
		return err == nil
	}
}

func writeClose(s string) func(c net.Conn, n int) bool {
	return func(c net.Conn, _ int) bool {
		io.WriteString(c, s)
		return false
	}
}

// TestDialFaults covers C6: hostile or broken proxies give a typed error
// after one request, bounded in time and memory.
func TestDialFaults(t *testing.T) {
	big := "HTTP/1.1 200 Connection established\r\nX-Big: " + strings.Repeat("a", 1<<20) + "\r\n\r\n"
	many := "HTTP/1.1 200 Connection established\r\n" + strings.Repeat("X-Many: aaaaaaaaaaaaaaaaaaaa\r\n", 50000) + "\r\n"
	tests := []struct {
		name       string
		answer     func(c net.Conn, n int) bool
		want       error
		wantStatus int
	}{
		{"endless 407", write("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"x\"\r\nContent-Length: 0\r\n\r\n"), proxy.ErrProxyAuth, 407},
		{"403", write("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"), proxy.ErrProxyRefused, 403},
		{"502 with a body", write("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 5\r\n\r\nnope!"), proxy.ErrProxyRefused, 502},
		{"100 Continue", write("HTTP/1.1 100 Continue\r\n\r\n"), proxy.ErrProxyRefused, 100},
		{"closed before a reply", func(net.Conn, int) bool { return false }, proxy.ErrProxyClosed, 0},
		{"closed inside the head", writeClose("HTTP/1.1 200 OK\r\nX-A: b\r\n"), proxy.ErrProxyClosed, 0},
		{"closed inside the status line", writeClose("HTTP/1.1 20"), proxy.ErrProxyClosed, 0},
		{"1 MB header field", write(big), proxy.ErrProxyProtocol, 0},
		{"1 MB of header fields", write(many), proxy.ErrProxyProtocol, 0},
		{"ssh banner", write("SSH-2.0-OpenSSH_9.6\r\n"), proxy.ErrProxyProtocol, 0},
		{"binary, then close", writeClose("\x16\x03\x01\x00\xa5\x01\x00"), proxy.ErrProxyProtocol, 0},
		{"binary, then silence", func(c net.Conn, _ int) bool { c.Write([]byte{0, 1, 2, 3, 4, 5}); hang(c); return false }, proxy.ErrProxyProtocol, 0},
		{"bad header line", write("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n"), proxy.ErrProxyProtocol, 0},
		{"bad status", write("HTTP/1.1 abc OK\r\n\r\n"), proxy.ErrProxyProtocol, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, reqs := hostileProxy(t, tt.answer)
			pu := f.url("http")
			pu.User = userinfo("u", "secret-pw")
			start := time.Now()
			c, err := proxy.Dial(t.Context(), pu, "127.0.0.1:9", testkit.NewGuard(t).DialContext, nil)
			if err == nil {
				c.Close()
				t.Fatalf("Dial succeeded, want %v", tt.want)
			}
			var pe *proxy.ProxyError
			if !errors.Is(err, tt.want) || !errors.As(err, &pe) {
				t.Fatalf("Dial error = %v, want a *ProxyError matching %v", err, tt.want)
			}
			if pe.Status != tt.wantStatus || pe.Target != "127.0.0.1:9" || !strings.Contains(pe.Proxy, f.addr()) {
				t.Errorf("ProxyError = %+v, want Status %d, Target 127.0.0.1:9, the proxy's address", pe, tt.wantStatus)
			}
			if strings.Contains(err.Error(), "secret-pw") { // C7
				t.Errorf("error %q shows the password", err)
			}
			if n := reqs.Load(); n != 1 || f.count() != 1 {
				t.Errorf("proxy got %d requests on %d connections, want 1 on 1 (no retry)", n, f.count())
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("Dial took %v", d)
			}
		})
	}
}

func userinfo(u, p string) *url.Userinfo { return url.UserPassword(u, p) }

// hang waits until the peer or the test's cleanup closes c.
func hang(c net.Conn) { io.Copy(io.Discard, c) }

// TestDialTunnelClosed: a CONNECT answered 200 and then closed gives a
// connection whose first read is ErrProxyClosed (still io.EOF), and a TLS
// handshake over it fails with ErrProxyClosed (C6).
func TestDialTunnelClosed(t *testing.T) {
	f, _ := hostileProxy(t, func(c net.Conn, _ int) bool {
		io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
		return false
	})
	g := testkit.NewGuard(t)
	c, err := proxy.Dial(t.Context(), f.url("http"), "127.0.0.1:443", g.DialContext, nil)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	_, err = c.Read(make([]byte, 10))
	c.Close()
	if !errors.Is(err, proxy.ErrProxyClosed) || !errors.Is(err, io.EOF) {
		t.Errorf("first Read error = %v, want ErrProxyClosed and io.EOF", err)
	}

	if err := handshakeThrough(t, f, g); !errors.Is(err, proxy.ErrProxyClosed) {
		t.Errorf("TLS handshake over a closed tunnel: error = %v, want ErrProxyClosed", err)
	}
}

// handshakeThrough opens a tunnel through f to 127.0.0.1:443 and returns
// the error of a TLS handshake over it.
func handshakeThrough(t *testing.T, f *fake, g *testkit.Guard) error {
	t.Helper()
	c, err := proxy.Dial(t.Context(), f.url("http"), "127.0.0.1:443", g.DialContext, nil)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	tc := tls.Client(c, &tls.Config{ServerName: "127.0.0.1"})
	defer tc.Close()
	return tc.HandshakeContext(t.Context())
}

// TestDialTunnelReset: a proxy that answers 200 and hangs up with the
// client's first bytes unread resets the connection; that reads as
// ErrProxyClosed too, still matching ECONNRESET (C6).
func TestDialTunnelReset(t *testing.T) {
	f, _ := hostileProxy(t, func(c net.Conn, _ int) bool {
		io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
		io.ReadFull(c, make([]byte, 1)) // the rest stays unread: close sends RST
		return false
	})
	g := testkit.NewGuard(t)
	c, err := proxy.Dial(t.Context(), f.url("http"), "127.0.0.1:443", g.DialContext, nil)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, strings.Repeat("x", 4096)); err != nil {
		t.Fatalf("Write: %v", err)
	}
	_, err = c.Read(make([]byte, 10))
	if !errors.Is(err, proxy.ErrProxyClosed) || !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("Read after a reset = %v, want ErrProxyClosed and ECONNRESET", err)
	}

	// What CI met: a TLS handshake whose ClientHello the proxy left unread.
	if err := handshakeThrough(t, f, g); !errors.Is(err, proxy.ErrProxyClosed) {
		t.Errorf("TLS handshake over a reset tunnel: error = %v, want ErrProxyClosed", err)
	}
}

// TestDialEarlyBytes: bytes the proxy sends right after its head belong
// to the tunnel and are read first.
func TestDialEarlyBytes(t *testing.T) {
	f, _ := hostileProxy(t, writeClose("HTTP/1.1 200 OK\r\n\r\nearly bytes"))
	c, err := proxy.Dial(t.Context(), f.url("http"), "127.0.0.1:80", testkit.NewGuard(t).DialContext, nil)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer c.Close()
	b, err := io.ReadAll(c)
	if string(b) != "early bytes" || err != nil {
		t.Errorf("read %q, %v, want \"early bytes\", nil", b, err)
	}
}

// TestDialTimeouts: a proxy that never answers is bounded by
// Dialer.Timeout and by the context.
func TestDialTimeouts(t *testing.T) {
	f, _ := hostileProxy(t, func(c net.Conn, _ int) bool { hang(c); return false })
	g := testkit.NewGuard(t)

	start := time.Now()
	d := &proxy.Dialer{Proxy: f.url("http"), Dial: g.DialContext, Timeout: 200 * time.Millisecond}
	_, err := d.DialContext(t.Context(), "tcp", "127.0.0.1:80")
	var pe *proxy.ProxyError
	if !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &pe) {
		t.Errorf("DialContext to a silent proxy = %v, want a *ProxyError matching DeadlineExceeded", err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("DialContext took %v with a 200ms timeout", el)
	}

	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err = proxy.Dial(ctx, f.url("http"), "127.0.0.1:80", g.DialContext, nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Dial canceled = %v, want context.Canceled", err)
	}

	// SOCKS5 too.
	s := startFake(t, func(c net.Conn) { io.ReadFull(c, make([]byte, 3)); hang(c) })
	d = &proxy.Dialer{Proxy: s.url("socks5"), Dial: g.DialContext, Timeout: 200 * time.Millisecond}
	if _, err = d.DialContext(t.Context(), "tcp", "127.0.0.1:80"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("DialContext to a silent SOCKS5 proxy = %v, want DeadlineExceeded", err)
	}
}

// TestSOCKSFaults covers the SOCKS5 side of C6: a 300-byte name is refused
// before anything is sent (curl CVE-2023-38545), broken replies are typed
// errors.
func TestSOCKSFaults(t *testing.T) {
	long := strings.Repeat(strings.Repeat("a", 59)+".", 5) + "example" // 307 bytes
	tests := []struct {
		name   string
		scheme string
		addr   string
		serve  func(c net.Conn)
		want   error // nil: any error, and no connection
	}{
		{"300-byte name", "socks5h", long + ":443", nil, nil},
		{"SOCKS4 reply", "socks5", "127.0.0.1:80", func(c net.Conn) { io.ReadFull(c, make([]byte, 3)); c.Write([]byte{0, 0x5a}) }, proxy.ErrProxyProtocol},
		{"http reply", "socks5", "127.0.0.1:80", func(c net.Conn) {
			io.ReadFull(c, make([]byte, 3))
			io.WriteString(c, "HTTP/1.1 400 Bad Request\r\n\r\n")
		}, proxy.ErrProxyProtocol},
		{"closed after greeting", "socks5", "127.0.0.1:80", func(c net.Conn) { io.ReadFull(c, make([]byte, 3)) }, proxy.ErrProxyClosed},
		{"no acceptable method", "socks5", "127.0.0.1:80", func(c net.Conn) { io.ReadFull(c, make([]byte, 3)); c.Write([]byte{5, 0xff}) }, proxy.ErrProxyAuth},
		{"unoffered method", "socks5", "127.0.0.1:80", func(c net.Conn) { io.ReadFull(c, make([]byte, 3)); c.Write([]byte{5, 2}) }, proxy.ErrProxyProtocol},
		{"bad address type", "socks5", "127.0.0.1:80", func(c net.Conn) {
			io.ReadFull(c, make([]byte, 3))
			c.Write([]byte{5, 0})
			io.ReadFull(c, make([]byte, 10))
			c.Write([]byte{5, 0, 0, 9, 0, 0})
		}, proxy.ErrProxyProtocol},
		{"closed inside the reply", "socks5", "127.0.0.1:80", func(c net.Conn) {
			io.ReadFull(c, make([]byte, 3))
			c.Write([]byte{5, 0})
			io.ReadFull(c, make([]byte, 10))
			c.Write([]byte{5, 0, 0, 1, 127})
		}, proxy.ErrProxyClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			serve := tt.serve
			if serve == nil {
				serve = func(net.Conn) { t.Errorf("the proxy was contacted") }
			}
			f := startFake(t, serve)
			_, err := proxy.Dial(t.Context(), f.url(tt.scheme), tt.addr, testkit.NewGuard(t).DialContext, nil)
			var pe *proxy.ProxyError
			if err == nil || !errors.As(err, &pe) || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("Dial = %v, want a *ProxyError matching %v", err, tt.want)
			}
			if tt.serve == nil {
				if !strings.Contains(err.Error(), "255") {
					t.Errorf("error %q does not say what the limit is", err)
				}
				if n := f.count(); n != 0 {
					t.Errorf("the proxy got %d connections, want 0", n)
				}
			}
		})
	}
}

// TestDialInvalid: targets and proxy URLs that cannot be right are
// refused before any connection.
func TestDialInvalid(t *testing.T) {
	f := startFake(t, func(net.Conn) { t.Errorf("the proxy was contacted") })
	tests := []struct {
		scheme, addr string
	}{
		{"http", "no-port"},
		{"http", "a b:80"},
		{"http", "evil\r\nX-Injected: 1:80"},
		{"http", "[fe80::1%eth0]:80"},
		{"http", "host:0"},
		{"http", "host:99999"},
		{"http", "host:+80"},
		{"http", ":80"},
		{"socks5h", "a/b:80"},
		{"ftp", "example.com:80"},
	}
	for _, tt := range tests {
		_, err := proxy.Dial(t.Context(), f.url(tt.scheme), tt.addr, testkit.NewGuard(t).DialContext, nil)
		var pe *proxy.ProxyError
		if !errors.As(err, &pe) {
			t.Errorf("Dial(%s, %q) = %v, want a *ProxyError", tt.scheme, tt.addr, err)
		}
	}
	d := &proxy.Dialer{Proxy: f.url("http")}
	if _, err := d.DialContext(t.Context(), "udp", "127.0.0.1:53"); err == nil {
		t.Errorf("DialContext(udp) succeeded")
	}
	socksUser := f.url("socks5")
	socksUser.User = userinfo(strings.Repeat("u", 256), "pw")
	if _, err := proxy.Dial(t.Context(), socksUser, "127.0.0.1:80", nil, nil); err == nil {
		t.Errorf("Dial with a 256-byte SOCKS5 user name succeeded")
	}
	if n := f.count(); n != 0 {
		t.Errorf("the proxy got %d connections, want 0", n)
	}
}

// TestTransportEndless407: net/http's own CONNECT against a proxy that
// answers 407 forever: one CONNECT, and with CheckConnect, ErrProxyAuth.
func TestTransportEndless407(t *testing.T) {
	f, reqs := hostileProxy(t, write("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"x\"\r\nContent-Length: 0\r\n\r\n"))
	sel := &proxy.Selector{All: f.url("http")}
	sel.SetCredentials("u", "secret-pw")
	c, _ := client(t, testkit.NewGuard(t), nil, sel.Proxy)
	_, err := c.Get("https://127.0.0.1:1/")
	var pe *proxy.ProxyError
	if !errors.Is(err, proxy.ErrProxyAuth) || !errors.As(err, &pe) || pe.Status != 407 || strings.Contains(err.Error(), "secret-pw") {
		t.Errorf("GET through an endless-407 proxy = %v, want ErrProxyAuth, status 407, no password", err)
	}
	if n := reqs.Load(); n != 1 {
		t.Errorf("proxy got %d CONNECTs, want 1", n)
	}
}
