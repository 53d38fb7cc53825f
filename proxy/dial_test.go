package proxy_test

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/grabhq/grab/internal/testkit"
	"github.com/grabhq/grab/proxy"
	"github.com/grabhq/grab/testserver"
)

// roundTrip sends a GET for path over c by hand (HTTP/1.1, Connection:
// close) and returns the status and body.
func roundTrip(t *testing.T, c net.Conn, host, path string) (int, string) {
	t.Helper()
	if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", path, host); err != nil {
		t.Fatalf("writing the request: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("reading the response: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the body: %v", err)
	}
	return resp.StatusCode, string(b)
}

func hostOf(rawURL string) string {
	u, _ := url.Parse(rawURL)
	return u.Host
}

// TestDialConnect: Dial through StartProxy's CONNECT, credentials from the
// proxy URL in the CONNECT only (C1), then plain HTTP or TLS over the
// tunnel.
func TestDialConnect(t *testing.T) {
	secret := testkit.Canary("pw")
	p := startProxy(t, testserver.ProxyOptions{User: "u", Password: secret})
	rec := &testkit.Recorder{}
	urls, pool := origins(t, rec, "origin", "tlsorigin")
	pu := p.URL()
	pu.User = url.UserPassword("u", secret)
	g := testkit.NewGuard(t)

	t.Run("http", func(t *testing.T) {
		addr := hostOf(urls["origin"])
		c, err := proxy.Dial(t.Context(), pu, addr, g.DialContext, nil)
		if err != nil {
			t.Fatalf("Dial(%s): %v", addr, err)
		}
		defer c.Close()
		if code, body := roundTrip(t, c, addr, "/hello"); code != 200 || body != "Hello World" {
			t.Errorf("GET /hello through the tunnel = %d %q, want 200 \"Hello World\"", code, body)
		}
	})
	t.Run("tls", func(t *testing.T) {
		addr := hostOf(urls["tlsorigin"])
		c, err := proxy.Dial(t.Context(), pu, addr, g.DialContext, nil)
		if err != nil {
			t.Fatalf("Dial(%s): %v", addr, err)
		}
		tc := tls.Client(c, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
		defer tc.Close()
		if code, body := roundTrip(t, tc, addr, "/hello"); code != 200 || body != "Hello World" {
			t.Errorf("GET /hello through the TLS tunnel = %d %q, want 200 \"Hello World\"", code, body)
		}
	})

	t.Run("half-close", func(t *testing.T) {
		addr := hostOf(urls["origin"])
		c, err := proxy.Dial(t.Context(), pu, addr, g.DialContext, nil)
		if err != nil {
			t.Fatalf("Dial(%s): %v", addr, err)
		}
		defer c.Close()
		fmt.Fprintf(c, "GET /hello HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
		if err := c.(interface{ CloseWrite() error }).CloseWrite(); err != nil {
			t.Fatalf("CloseWrite: %v", err)
		}
		if _, ok := c.(interface{ NetConn() net.Conn }).NetConn().(*net.TCPConn); !ok {
			t.Errorf("NetConn is not the TCP connection to the proxy")
		}
		b, err := io.ReadAll(c)
		if err != nil || !strings.Contains(string(b), "Hello World") {
			t.Errorf("read %q, %v after CloseWrite, want the response", b, err)
		}
	})

	recs := p.Records()
	if len(recs) != 3 {
		t.Fatalf("proxy got %d requests, want 3 CONNECTs: %+v", len(recs), recs)
	}
	for _, r := range recs {
		if r.Method != "CONNECT" || !r.Authorized || !strings.Contains(headerText(r.Header), "u:"+secret) {
			t.Errorf("proxy record %s %s authorized=%t %v, want an authorized CONNECT", r.Method, r.Target, r.Authorized, r.Header)
		}
		for k := range r.Header {
			if k != "Proxy-Authorization" && k != "Host" {
				t.Errorf("CONNECT carried %s (C2: only Host and Proxy-Authorization)", k)
			}
		}
	}
	if leaks := originLeaks(rec, secret); len(leaks) > 0 {
		t.Errorf("proxy credentials reached the origin (C1): %v", leaks)
	}
}

// TestDialHeader: Dialer.Header adds fields to the CONNECT, and nothing
// else does (C2).
func TestDialHeader(t *testing.T) {
	p := startProxy(t, testserver.ProxyOptions{})
	rec := &testkit.Recorder{}
	urls, _ := origins(t, rec, "origin")
	addr := hostOf(urls["origin"])
	token := testkit.Canary("token")
	d := &proxy.Dialer{
		Proxy:  p.URL(),
		Dial:   testkit.NewGuard(t).DialContext,
		Header: http.Header{"X-Proxy-Token": {token}, "Host": {"evil.example"}},
	}
	c, err := d.DialContext(t.Context(), "tcp", addr)
	if err != nil {
		t.Fatalf("DialContext: %v", err)
	}
	defer c.Close()
	roundTrip(t, c, addr, "/get")
	r := p.Records()[0]
	if r.Header.Get("X-Proxy-Token") != token || r.Target != addr {
		t.Errorf("CONNECT = %s %v, want %s with X-Proxy-Token", r.Target, r.Header, addr)
	}
	if leaks := originLeaks(rec, token); len(leaks) > 0 {
		t.Errorf("the proxy header reached the origin: %v", leaks)
	}

	bad := &proxy.Dialer{Proxy: p.URL(), Header: http.Header{"X-A": {"a\r\nInjected: 1"}}}
	if _, err := bad.DialContext(t.Context(), "tcp", addr); err == nil {
		t.Errorf("DialContext with a CR LF in a header value succeeded")
	}
	if n := len(p.Records()); n != 1 {
		t.Errorf("proxy got %d requests, want 1 (the bad header refused before dialing)", n)
	}
}

// tlsFront starts a TLS listener in front of addr (StartProxy's), so the
// test has an https proxy; the certificate is httptest's, for 127.0.0.1.
func tlsFront(t *testing.T, addr string) (*url.URL, *x509.CertPool) {
	borrow := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(borrow.Close)
	cfg := &tls.Config{Certificates: borrow.TLS.Certificates}
	pool := x509.NewCertPool()
	pool.AddCert(borrow.Certificate())
	f := startFake(t, func(c net.Conn) {
		tc := tls.Server(c, cfg)
		if err := tc.Handshake(); err != nil {
			return
		}
		up, err := net.Dial("tcp", addr)
		if err != nil {
			return
		}
		pipe(tc, up)
	})
	return f.url("https"), pool
}

// pipe copies both ways until either side ends, then closes both.
func pipe(a, b net.Conn) {
	var once sync.Once
	done := make(chan struct{})
	closeBoth := func() { once.Do(func() { a.Close(); b.Close() }) }
	go func() {
		defer close(done)
		io.Copy(a, b)
		closeBoth()
	}()
	io.Copy(b, a)
	closeBoth()
	<-done
}

// TestDialHTTPSProxy: TLS to the proxy first, verified (H3); the
// credentials travel inside that TLS.
func TestDialHTTPSProxy(t *testing.T) {
	secret := testkit.Canary("pw")
	p := startProxy(t, testserver.ProxyOptions{User: "u", Password: secret})
	front, frontPool := tlsFront(t, p.Addr())
	front.User = url.UserPassword("u", secret)
	rec := &testkit.Recorder{}
	urls, pool := origins(t, rec, "origin", "tlsorigin")
	g := testkit.NewGuard(t)
	addr := hostOf(urls["origin"])

	c, err := proxy.Dial(t.Context(), front, addr, g.DialContext, &tls.Config{RootCAs: frontPool})
	if err != nil {
		t.Fatalf("Dial through the https proxy: %v", err)
	}
	if code, _ := roundTrip(t, c, addr, "/get"); code != 200 {
		t.Errorf("GET through the https proxy = %d, want 200", code)
	}
	c.Close()
	if r := p.Records(); len(r) != 1 || r[0].Method != "CONNECT" || !r[0].Authorized {
		t.Errorf("proxy records = %+v, want one authorized CONNECT", r)
	}

	// nil tlsConfig: the system roots, which do not know the test
	// certificate.
	p.Reset()
	_, err = proxy.Dial(t.Context(), front, addr, g.DialContext, nil)
	var pe *proxy.ProxyError
	var ua x509.UnknownAuthorityError
	if !errors.As(err, &pe) || !errors.As(err, &ua) || strings.Contains(err.Error(), secret) {
		t.Errorf("Dial through an https proxy with an unknown certificate: error = %v, want a *ProxyError with x509.UnknownAuthorityError", err)
	}
	if n := len(p.Records()); n != 0 {
		t.Errorf("the unverified proxy got %d requests, want 0", n)
	}

	// net/http's transport with the Selector: the same through an https
	// proxy.
	sel, _ := proxy.New(map[string]string{"all": front.String()}, "")
	// pool trusts the front: httptest's servers share one certificate.
	cl, _ := client(t, g, pool, sel.Proxy)
	for _, o := range []string{"origin", "tlsorigin"} {
		if code, _ := get(t, cl, urls[o]+"/get", nil); code != 200 {
			t.Errorf("GET %s through the https proxy with net/http = %d, want 200", o, code)
		}
	}
	if leaks := originLeaks(rec, secret); len(leaks) > 0 {
		t.Errorf("proxy credentials reached an origin: %v", leaks)
	}
}

// TestDialRefusedTarget: the proxy's 403 for a target it will not reach is
// ErrProxyRefused; a non-ASCII name goes in its IDNA form. (StartProxy
// answers without dialing: nothing leaves loopback.)
func TestDialRefusedTarget(t *testing.T) {
	p := startProxy(t, testserver.ProxyOptions{})
	_, err := proxy.Dial(t.Context(), p.URL(), "bücher.example:443", testkit.NewGuard(t).DialContext, nil)
	var pe *proxy.ProxyError
	if !errors.Is(err, proxy.ErrProxyRefused) || !errors.As(err, &pe) || pe.Status != 403 {
		t.Fatalf("Dial to a refused target = %v, want ErrProxyRefused with status 403", err)
	}
	if r := p.Records(); len(r) != 1 || r[0].Target != "xn--bcher-kva.example:443" {
		t.Errorf("proxy records = %+v, want one CONNECT xn--bcher-kva.example:443", r)
	}
}
