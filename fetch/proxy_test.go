package fetch_test

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grabhq/grab/auth"
	"github.com/grabhq/grab/fetch"
	"github.com/grabhq/grab/internal/testkit"
	"github.com/grabhq/grab/proxy"
	"github.com/grabhq/grab/testserver"
)

// The textbook's 2-6 (ProxyHandler + ProxyBasicAuthHandler) with fetch, on
// both transports, and HOSTILE.md B6/C1: the proxy's credentials reach the
// proxy only, in CONNECT for https, and never an origin, also across a
// redirect; a caller's own Proxy-Authorization goes nowhere.
func TestOpenerProxy(t *testing.T) {
	w := newWorld(t, []string{"a", "b", "tls"})
	secret := testkit.Canary("proxypw")
	px, err := testserver.StartProxy(testserver.ProxyOptions{User: "kim", Password: secret})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { px.Close() })
	each(t, func(t *testing.T, kind string) {
		sel, err := proxy.New(map[string]string{"all": px.URL().String()}, "")
		if err != nil {
			t.Fatal(err)
		}
		sel.SetCredentials("kim", secret)
		o, err := fetch.BuildOpener(sel)
		if err != nil {
			t.Fatal(err)
		}
		o = w.opener(kind, o)
		px.Reset()
		own := testkit.Canary("own")
		req := &fetch.Request{URL: to(w.urls["a"], w.urls["b"]+"/headers", 302), Header: http.Header{"Proxy-Authorization": {"Basic " + own}}}
		if _, body := read(t, o, req); strings.Contains(body, "Proxy-Authorization") {
			t.Errorf("origin saw: %s", body)
		}
		if _, body := read(t, o, w.urls["tls"]+"/headers"); strings.Contains(body, "Proxy-Authorization") {
			t.Errorf("https origin saw: %s", body)
		}
		recs := px.Records()
		if len(recs) != 3 || recs[0].Method != "GET" || recs[2].Method != "CONNECT" {
			t.Fatalf("proxy saw %d requests: %+v", len(recs), recs)
		}
		for _, r := range recs {
			if !r.Authorized || strings.Contains(r.Header.Get("Proxy-Authorization"), own) {
				t.Errorf("proxy record %s %s: authorized %v, %v", r.Method, r.Target, r.Authorized, r.Header)
			}
		}
		noLeaks(t, w, []string{secret, own})
		// Wrong credentials: a typed error, no loop.
		sel.SetCredentials("kim", "wrong")
		o2 := w.opener(kind, &fetch.Opener{Proxy: sel.Proxy, AllowErrorStatus: true})
		resp, err := o2.Open(t.Context(), w.urls["tls"]+"/hello")
		if !errors.Is(err, proxy.ErrProxyAuth) {
			t.Errorf("https through a proxy refusing the credentials: %v", err)
		}
		if resp, _ = read(t, o2, w.urls["a"]+"/hello"); resp.StatusCode != 407 {
			t.Errorf("http through a proxy refusing the credentials: %d", resp.StatusCode)
		}
	})
}

// auth.ProxyBasic (ProxyBasicAuthHandler) answers the proxy's 407 for a
// plain-http target, through BuildOpener, on both transports.
func TestOpenerProxyBasic(t *testing.T) {
	w := newWorld(t, []string{"a"})
	secret := testkit.Canary("pw")
	px, err := testserver.StartProxy(testserver.ProxyOptions{User: "kim", Password: secret})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { px.Close() })
	each(t, func(t *testing.T, kind string) {
		sel, err := proxy.New(map[string]string{"http": px.URL().String()}, "")
		if err != nil {
			t.Fatal(err)
		}
		o, err := fetch.BuildOpener(sel, &auth.ProxyBasic{URL: px.URL().String(), User: "kim", Password: secret, Proxy: sel.Proxy})
		if err != nil {
			t.Fatal(err)
		}
		o = w.opener(kind, o)
		if _, body := read(t, o, w.urls["a"]+"/hello"); body != "Hello World" {
			t.Errorf("through the proxy: %q", body)
		}
		// A handler whose Proxy disagrees with the Opener's, which sends
		// direct (README's old example did this): the credentials it adds
		// are dropped before the origin (B6).
		direct, err := fetch.BuildOpener(&auth.ProxyBasic{URL: px.URL().String(), User: "kim", Password: secret, Proxy: sel.Proxy})
		if err != nil {
			t.Fatal(err)
		}
		direct = w.opener(kind, direct)
		if _, body := read(t, direct, w.urls["a"]+"/headers"); strings.Contains(body, "Proxy-Authorization") {
			t.Errorf("origin reached directly saw: %s", body)
		}
		noLeaks(t, w, []string{secret})
	})
}

// The zero Opener (EngineAuto) sends https through a proxy on fetch/conn,
// whose CONNECT caps the proxy's answer and types its failures (HOSTILE.md
// C6); net/http would read a CONNECT answer of any size. A good proxy
// still carries the request, over HTTP/1.1.
func TestEngineAutoProxy(t *testing.T) {
	w := newWorld(t, []string{"tls", "tls2"})
	px, err := testserver.StartProxy(testserver.ProxyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { px.Close() })
	// tls2 through the proxy, tls direct, on one Opener: net/http's use of
	// the TLS config (it adds h2) does not reach fetch/conn's handshakes.
	via, _ := url.Parse(w.urls["tls2"])
	o := &fetch.Opener{Dial: w.g.DialContext, TLSConfig: w.opener("conn", nil).TLSConfig,
		Proxy: func(r *http.Request) (*url.URL, error) {
			if r.URL.Host == via.Host {
				return px.URL(), nil
			}
			return nil, nil
		}}
	t.Cleanup(o.CloseIdleConnections)
	if resp, body := read(t, o, w.urls["tls"]+"/hello"); body != "Hello World" || resp.Proto != "HTTP/2.0" {
		t.Errorf("direct: %s %q, want Hello World over HTTP/2", resp.Proto, body)
	}
	resp, body := read(t, o, w.urls["tls2"]+"/hello")
	if body != "Hello World" || resp.Proto != "HTTP/1.1" {
		t.Errorf("through a proxy: %s %q, want Hello World over HTTP/1.1", resp.Proto, body)
	}
	if recs := px.Records(); len(recs) != 1 || recs[0].Method != "CONNECT" {
		t.Errorf("proxy saw %+v, want one CONNECT", recs)
	}
	for _, tt := range []struct {
		name, answer string
		want         error
	}{
		{"1 MB header field", "HTTP/1.1 200 Connection established\r\nX-Big: " + strings.Repeat("a", 1<<20) + "\r\n\r\n", proxy.ErrProxyProtocol},
		{"closed inside the head", "HTTP/1.1 200 OK\r\nX-A: b\r\n", proxy.ErrProxyClosed},
		{"ssh banner", "SSH-2.0-OpenSSH_9.6\r\n", proxy.ErrProxyProtocol},
	} {
		t.Run(tt.name, func(t *testing.T) {
			addr := answerEach(t, tt.answer)
			o := &fetch.Opener{Proxy: http.ProxyURL(&url.URL{Scheme: "http", Host: addr}), Dial: w.g.DialContext}
			t.Cleanup(o.CloseIdleConnections)
			start := time.Now()
			_, err := o.Open(t.Context(), w.urls["tls"]+"/hello")
			var pe *proxy.ProxyError
			if !errors.Is(err, tt.want) || !errors.As(err, &pe) {
				t.Errorf("https through the proxy: %v, want a *proxy.ProxyError matching %v", err, tt.want)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

// answerEach starts a fake proxy on loopback that reads one request head
// per connection, writes answer and closes; it stops with the test.
func answerEach(t *testing.T, answer string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serveEach(t, ln, func(c net.Conn) {
		c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := testkit.ReadHead(bufio.NewReader(c)); err == nil {
			io.WriteString(c, answer)
		}
	})
	return ln.Addr().String()
}

// serveEach runs serve on each connection ln accepts, in a goroutine of
// its own, and closes the connection after; all stop with the test.
func serveEach(t *testing.T, ln net.Listener, serve func(c net.Conn)) {
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				serve(c)
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
}

// TestProxyTLS: skipping the server's certificate checks (TLSConfig's
// InsecureSkipVerify, grab's -k) does not skip an https proxy's, as curl's
// --insecure and --proxy-insecure are two; ProxyTLSConfig verifies it.
func TestProxyTLS(t *testing.T) {
	w := newWorld(t, []string{"a", "tls"})
	px, err := testserver.StartProxy(testserver.ProxyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { px.Close() })
	borrow := httptest.NewTLSServer(http.NotFoundHandler()) // for its certificate
	t.Cleanup(borrow.Close)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: borrow.TLS.Certificates})
	if err != nil {
		t.Fatal(err)
	}
	serveEach(t, ln, func(c net.Conn) { // the TLS in front of the proxy
		up, err := net.Dial("tcp", px.URL().Host)
		if err != nil {
			return
		}
		done := make(chan struct{})
		go func() {
			io.Copy(up, c)
			up.Close()
			close(done)
		}()
		io.Copy(c, up)
		c.Close()
		<-done
	})
	https := &url.URL{Scheme: "https", Host: ln.Addr().String()}
	pool := x509.NewCertPool()
	pool.AddCert(borrow.Certificate())
	for _, tt := range []struct {
		name string
		cfg  *tls.Config
		ok   bool
	}{
		{"-k alone", nil, false},
		{"the proxy's root", &tls.Config{RootCAs: pool}, true},
		{"--proxy-insecure", &tls.Config{InsecureSkipVerify: true}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := &fetch.Opener{Engine: fetch.EngineConn, Dial: w.g.DialContext, TLSConfig: &tls.Config{InsecureSkipVerify: true},
				ProxyTLSConfig: tt.cfg, Proxy: http.ProxyURL(https)}
			t.Cleanup(o.CloseIdleConnections)
			for _, target := range []string{w.urls["a"], w.urls["tls"]} { // absolute form, CONNECT
				resp, err := o.Open(t.Context(), target+"/hello")
				var cve *tls.CertificateVerificationError
				switch {
				case tt.ok && err != nil:
					t.Errorf("%s through the https proxy: %v", target, err)
				case tt.ok:
					resp.Close()
				case !errors.As(err, &cve):
					t.Errorf("%s through an unverified https proxy: %v, want a certificate error", target, err)
				}
			}
		})
	}
}
