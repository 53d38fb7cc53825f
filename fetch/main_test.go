package fetch_test

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
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

	"github.com/grabhq/grab/fetch"
	"github.com/grabhq/grab/fetch/conn"
	"github.com/grabhq/grab/testserver"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// guard is the test dialer (HOSTILE.md §5.3, J6): it dials loopback only,
// maps the fake host names of a test to loopback servers, and counts the
// connections made to each target.
type guard struct {
	t     *testing.T
	mu    sync.Mutex
	hosts map[string]string // "evil.example.com:80" -> "127.0.0.1:port"
	dials map[string]int
}

func newGuard(t *testing.T) *guard {
	return &guard{t: t, hosts: map[string]string{}, dials: map[string]int{}}
}

func (g *guard) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	g.mu.Lock()
	g.dials[addr]++
	target, mapped := g.hosts[addr]
	g.mu.Unlock()
	if !mapped {
		target = addr
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			g.t.Errorf("guard: dial to non-loopback %s", addr)
			return nil, fmt.Errorf("guard: %s is not loopback", addr)
		}
	}
	var d net.Dialer
	return d.DialContext(ctx, network, target)
}

// total returns the number of dials made.
func (g *guard) total() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := 0
	for _, c := range g.dials {
		n += c
	}
	return n
}

// recorder keeps every request a test server received (HOSTILE.md §5.4):
// the canary checks scan it.
type recorder struct {
	mu   sync.Mutex
	reqs []seen
}

type seen struct {
	Server string // the name the test gave the server
	Method string
	Host   string
	URI    string
	Header http.Header
}

func (r *recorder) wrap(name string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.reqs = append(r.reqs, seen{name, req.Method, req.Host, req.RequestURI, req.Header.Clone()})
		r.mu.Unlock()
		h.ServeHTTP(w, req)
	})
}

func (r *recorder) all() []seen {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]seen(nil), r.reqs...)
}

// leaks returns where a canary token reached a server other than allowed.
func (r *recorder) leaks(token string, allowed ...string) []string {
	var out []string
	for _, s := range r.all() {
		ok := false
		for _, a := range allowed {
			ok = ok || s.Server == a
		}
		if ok {
			continue
		}
		text := s.Method + " " + s.URI + " " + s.Host + "\n"
		for k, vs := range s.Header {
			text += k + ": " + strings.Join(vs, ", ") + "\n"
		}
		if strings.Contains(text, token) {
			out = append(out, fmt.Sprintf("%s got %s", s.Server, strings.TrimSpace(text)))
		}
	}
	return out
}

// canary returns a unique secret for one test.
func canary(what string) string {
	var b [8]byte
	rand.Read(b[:])
	return what + "-" + hex.EncodeToString(b[:])
}

// world is a test's servers, recorder and guard dialer.
type world struct {
	t     *testing.T
	rec   *recorder
	g     *guard
	urls  map[string]string // name -> base URL
	certs *x509.CertPool
}

// newWorld starts one testserver (with the fault endpoints) per name on
// loopback; a name starting with "tls" gets HTTPS.
func newWorld(t *testing.T, names []string, opts ...testserver.Option) *world {
	t.Helper()
	w := &world{t: t, rec: &recorder{}, g: newGuard(t), urls: map[string]string{}, certs: x509.NewCertPool()}
	opts = append([]testserver.Option{testserver.WithFaults(), testserver.WithMaxDelay(5 * time.Second), testserver.WithRedirectHosts("evil.example.com", "a.example.com", "example.com")}, opts...)
	for _, name := range names {
		h := w.rec.wrap(name, testserver.New(opts...))
		var srv *httptest.Server
		if strings.HasPrefix(name, "tls") {
			srv = httptest.NewUnstartedServer(h)
			srv.Config.ErrorLog = log.New(io.Discard, "", 0) // TestTLS's refused handshakes
			srv.EnableHTTP2 = true
			srv.StartTLS()
			w.certs.AddCert(srv.Certificate())
		} else {
			srv = httptest.NewServer(h)
		}
		t.Cleanup(srv.Close)
		w.urls[name] = srv.URL
	}
	return w
}

// alias makes host:port (a name tests use, such as "evil.example.com:80")
// dial the server called name.
func (w *world) alias(hostport, name string) {
	u, _ := url.Parse(w.urls[name])
	w.g.mu.Lock()
	w.g.hosts[hostport] = u.Host
	w.g.mu.Unlock()
}

// transports are the two default transports the suite runs over: net/http's
// and fetch/conn's (Opener.LowLevel), both dialing through the guard.
var transports = []string{"nethttp", "conn"}

// transport returns a transport of kind made by hand, for BuildOpener.
func (w *world) transport(kind string) http.RoundTripper {
	cfg := &tls.Config{RootCAs: w.certs}
	if kind == "conn" {
		return &conn.Transport{Dialer: w.g, TLSClientConfig: cfg}
	}
	return &http.Transport{DialContext: w.g.DialContext, TLSClientConfig: cfg, ForceAttemptHTTP2: true, DisableCompression: true}
}

// opener returns o (or a zero Opener) set to run on the default transport
// of kind through the guard, closed when the test ends.
func (w *world) opener(kind string, o *fetch.Opener) *fetch.Opener {
	if o == nil {
		o = &fetch.Opener{}
	}
	o.LowLevel = kind == "conn"
	o.Dial = w.g.DialContext
	o.TLSConfig = &tls.Config{RootCAs: w.certs}
	w.t.Cleanup(o.CloseIdleConnections)
	return o
}

// each runs f once per transport.
func each(t *testing.T, f func(t *testing.T, kind string)) {
	for _, kind := range transports {
		t.Run(kind, func(t *testing.T) { f(t, kind) })
	}
}

// read opens target and returns the body text, failing the test on error.
func read(t *testing.T, o *fetch.Opener, target any) (*fetch.Response, string) {
	t.Helper()
	resp, err := o.Open(t.Context(), target)
	if err != nil {
		t.Fatalf("Open(%v): %v", target, err)
	}
	b, err := resp.Bytes()
	if err != nil {
		t.Fatalf("Open(%v): reading body: %v", target, err)
	}
	return resp, string(b)
}
