package proxy_test

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/grabhq/grab/internal/testkit"
	"github.com/grabhq/grab/proxy"
	"github.com/grabhq/grab/testserver"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// originLeaks returns the requests to an origin that carried token
// anywhere, or a Proxy-Authorization field (never meant for an origin, B6).
func originLeaks(r *testkit.Recorder, token string) []string {
	var out []string
	for _, s := range r.All() {
		if text := s.Text(); strings.Contains(text, token) || s.Header.Get("Proxy-Authorization") != "" {
			out = append(out, fmt.Sprintf("%s got %s", s.Server, strings.TrimSpace(text)))
		}
	}
	return out
}

// headerText returns h's fields as text, Basic credentials decoded and
// appended, so that a canary inside one is found too.
func headerText(h http.Header) string { return testkit.Seen{Header: h}.Text() }

// proxyLeaks returns the records of p that carry token, in the target or
// in any field (Basic credentials decoded).
func proxyLeaks(p *testserver.Proxy, token string) []string {
	var out []string
	for _, r := range p.Records() {
		text := r.Method + " " + r.Target + "\n" + headerText(r.Header)
		if strings.Contains(text, token) {
			out = append(out, strings.TrimSpace(text))
		}
	}
	return out
}

// env returns a getenv reading m.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// startProxy starts a recording forward proxy on loopback, closed when the
// test ends.
func startProxy(t testing.TB, opts testserver.ProxyOptions) *testserver.Proxy {
	t.Helper()
	p, err := testserver.StartProxy(opts)
	if err != nil {
		t.Fatalf("StartProxy: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// origins starts one testserver per name on loopback, recording into rec;
// a name starting with "tls" gets HTTPS. It returns the base URLs and a
// pool trusting the TLS ones.
func origins(t testing.TB, rec *testkit.Recorder, names ...string) (map[string]string, *x509.CertPool) {
	t.Helper()
	urls := map[string]string{}
	pool := x509.NewCertPool()
	for _, name := range names {
		h := rec.Wrap(name, testserver.New())
		var srv *httptest.Server
		if strings.HasPrefix(name, "tls") {
			srv = httptest.NewUnstartedServer(h)
			srv.Config.ErrorLog = log.New(io.Discard, "", 0)
			srv.StartTLS()
			pool.AddCert(srv.Certificate())
		} else {
			srv = httptest.NewServer(h)
		}
		t.Cleanup(srv.Close)
		urls[name] = srv.URL
	}
	return urls, pool
}

// client returns an http.Client whose transport asks proxyFunc, dials
// through g, trusts pool, and turns CONNECT failures into ProxyErrors.
func client(t testing.TB, g *testkit.Guard, pool *x509.CertPool, proxyFunc func(*http.Request) (*url.URL, error)) (*http.Client, *http.Transport) {
	tr := &http.Transport{
		Proxy:                  proxyFunc,
		DialContext:            g.DialContext,
		TLSClientConfig:        &tls.Config{RootCAs: pool},
		OnProxyConnectResponse: proxy.CheckConnect,
		DisableCompression:     true,
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 20 * time.Second}, tr
}

// fake is a loopback listener running serve on each connection it
// accepts: the hostile proxies of the C6 tests and the SOCKS5 server.
type fake struct {
	ln      net.Listener
	wg      sync.WaitGroup
	mu      sync.Mutex
	conns   []net.Conn
	accepts int
}

func startFake(t testing.TB, serve func(c net.Conn)) *fake {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fake{ln: ln}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			f.mu.Lock()
			f.accepts++
			f.conns = append(f.conns, c)
			f.mu.Unlock()
			f.wg.Add(1)
			go func() {
				defer f.wg.Done()
				defer c.Close()
				c.SetDeadline(time.Now().Add(20 * time.Second))
				serve(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		f.mu.Lock()
		for _, c := range f.conns {
			c.Close()
		}
		f.mu.Unlock()
		f.wg.Wait()
	})
	return f
}

func (f *fake) addr() string { return f.ln.Addr().String() }

func (f *fake) url(scheme string) *url.URL {
	return &url.URL{Scheme: scheme, Host: f.addr()}
}

func (f *fake) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.accepts
}
