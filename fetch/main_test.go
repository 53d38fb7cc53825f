package fetch_test

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/grabhq/grab/fetch"
	"github.com/grabhq/grab/fetch/conn"
	"github.com/grabhq/grab/internal/testkit"
	"github.com/grabhq/grab/testserver"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// world is a test's servers, recorder and guard dialer.
type world struct {
	t     *testing.T
	rec   *testkit.Recorder
	g     *testkit.Guard
	urls  map[string]string // name -> base URL
	certs *x509.CertPool
}

// newWorld starts one testserver (with the fault endpoints) per name on
// loopback; a name starting with "tls" gets HTTPS.
func newWorld(t *testing.T, names []string, opts ...testserver.Option) *world {
	t.Helper()
	w := &world{t: t, rec: &testkit.Recorder{}, g: testkit.NewGuard(t), urls: map[string]string{}, certs: x509.NewCertPool()}
	opts = append([]testserver.Option{testserver.WithFaults(), testserver.WithMaxDelay(5 * time.Second), testserver.WithRedirectHosts("evil.example.com", "a.example.com", "example.com")}, opts...)
	for _, name := range names {
		h := w.rec.Wrap(name, testserver.New(opts...))
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
	w.g.Alias(hostport, u.Host)
}

// transports are the two default transports the suite runs over: net/http's
// and fetch/conn's (EngineNetHTTP and EngineConn), both dialing through
// the guard. EngineAuto, which splits by scheme, has TestEngineAuto.
var transports = []string{"nethttp", "conn"}

// engineOf returns the Opener Engine of a transport kind.
func engineOf(kind string) fetch.Engine {
	if kind == "conn" {
		return fetch.EngineConn
	}
	return fetch.EngineNetHTTP
}

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
	o.Engine = engineOf(kind)
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
