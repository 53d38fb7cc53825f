package fetch_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grabhq/grab/fetch"
	"github.com/grabhq/grab/internal/testkit"
)

// testCA signs leaf certificates for the TLS tests.
type testCA struct {
	key  *ecdsa.PrivateKey
	cert *x509.Certificate
	pool *x509.CertPool
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "grab test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{key: key, cert: cert, pool: pool}
}

// leaf returns a server certificate for names (DNS names and IPs), valid
// from notBefore to notAfter, signed by the CA.
func (ca *testCA) leaf(t *testing.T, names []string, notBefore, notAfter time.Time) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: names[0]},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// tlsServer serves "ok" over TLS with cfg (httptest's own certificate
// when cfg has none), counting the connections made to it and the
// requests that got through.
func tlsServer(t *testing.T, cfg *tls.Config) (srv *httptest.Server, conns, requests *atomic.Int32) {
	t.Helper()
	conns, requests = new(atomic.Int32), new(atomic.Int32)
	srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		io.WriteString(w, "ok")
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.TLS = cfg
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, conns, requests
}

func certConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{cert}}
}

// HOSTILE.md H1: an expired certificate, one for another name, one for
// an IP it does not list, and one from an unknown CA each fail with their
// x509 kind, on both engines, and no request reaches the server (no
// fallback to anything).
func TestTLSCertificates(t *testing.T) {
	ca := newTestCA(t)
	now := time.Now()
	tests := []struct {
		name  string
		cert  tls.Certificate
		host  string // the URL's host, dialled at the server
		roots *x509.CertPool
		check func(error) bool
		text  string // in the message
	}{
		{"expired", ca.leaf(t, []string{"good.test"}, now.Add(-48*time.Hour), now.Add(-24*time.Hour)), "good.test", ca.pool,
			func(err error) bool {
				var ce x509.CertificateInvalidError
				return errors.As(err, &ce) && ce.Reason == x509.Expired
			}, "expired"},
		{"wrong name", ca.leaf(t, []string{"other.test"}, now.Add(-time.Hour), now.Add(time.Hour)), "good.test", ca.pool,
			func(err error) bool { var he x509.HostnameError; return errors.As(err, &he) }, "good.test"},
		{"IP without SAN", ca.leaf(t, []string{"good.test"}, now.Add(-time.Hour), now.Add(time.Hour)), "127.0.0.1", ca.pool,
			func(err error) bool { var he x509.HostnameError; return errors.As(err, &he) }, "IP SANs"},
		{"unknown CA", ca.leaf(t, []string{"good.test"}, now.Add(-time.Hour), now.Add(time.Hour)), "good.test", nil,
			func(err error) bool { var ue x509.UnknownAuthorityError; return errors.As(err, &ue) }, "unknown authority"},
	}
	each(t, func(t *testing.T, kind string) {
		engine := engineOf(kind)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				srv, conns, requests := tlsServer(t, certConfig(tt.cert))
				_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
				g := testkit.NewGuard(t)
				g.Alias("good.test:"+port, srv.Listener.Addr().String())
				o := &fetch.Opener{Engine: engine, Dial: g.DialContext, TLSConfig: &tls.Config{RootCAs: tt.roots}}
				t.Cleanup(o.CloseIdleConnections)
				resp, err := o.Open(t.Context(), "https://"+net.JoinHostPort(tt.host, port)+"/")
				if err == nil {
					resp.Close()
					t.Fatal("the request went through")
				}
				if !tt.check(err) || !strings.Contains(err.Error(), tt.text) {
					t.Errorf("%v: not the x509 error expected (with %q)", err, tt.text)
				}
				if conns.Load() != 1 || requests.Load() != 0 {
					t.Errorf("%d connections, %d requests served; want 1 and 0", conns.Load(), requests.Load())
				}
			})
		}
	})
}

// HOSTILE.md H2: an Opener that skips verification keeps its connections
// to itself: a verifying Opener to the same host dials anew and refuses
// the certificate, even right after the insecure one succeeded.
func TestTLSInsecureThenVerified(t *testing.T) {
	ca := newTestCA(t)
	srv, conns, requests := tlsServer(t, certConfig(ca.leaf(t, []string{"127.0.0.1"}, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))))
	each(t, func(t *testing.T, kind string) {
		engine := engineOf(kind)
		conns.Store(0)
		requests.Store(0)
		insecure := &fetch.Opener{Engine: engine, TLSConfig: &tls.Config{InsecureSkipVerify: true}}
		t.Cleanup(insecure.CloseIdleConnections)
		resp, body := read(t, insecure, srv.URL+"/")
		if resp.StatusCode != 200 || body != "ok" {
			t.Fatalf("insecure: %d %q", resp.StatusCode, body)
		}
		verified := &fetch.Opener{Engine: engine}
		t.Cleanup(verified.CloseIdleConnections)
		if resp, err := verified.Open(t.Context(), srv.URL+"/"); err == nil {
			resp.Close()
			t.Fatal("the verifying Opener accepted an unknown CA's certificate")
		} else if ue := (x509.UnknownAuthorityError{}); !errors.As(err, &ue) {
			t.Errorf("verified: %v, want x509.UnknownAuthorityError", err)
		}
		if conns.Load() != 2 || requests.Load() != 1 {
			t.Errorf("%d connections, %d requests; want 2 (a new one to verify) and 1", conns.Load(), requests.Load())
		}
	})
}

// HOSTILE.md H3: an IDN host's SNI (and the name verified) is its IDNA
// ASCII form, on both engines.
func TestTLSIDNServerName(t *testing.T) {
	ca := newTestCA(t)
	var sni atomic.Value
	srv, _, _ := tlsServer(t, certConfig(ca.leaf(t, []string{"xn--bcher-kva.test"}, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))))
	srv.TLS.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		sni.Store(hello.ServerName)
		return nil, nil
	}
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	each(t, func(t *testing.T, kind string) {
		engine := engineOf(kind)
		sni.Store("")
		g := testkit.NewGuard(t)
		g.Alias("xn--bcher-kva.test:"+port, srv.Listener.Addr().String())
		o := &fetch.Opener{Engine: engine, Dial: g.DialContext, TLSConfig: &tls.Config{RootCAs: ca.pool}}
		t.Cleanup(o.CloseIdleConnections)
		resp, body := read(t, o, "https://bücher.test:"+port+"/")
		if body != "ok" || resp.URL != "https://xn--bcher-kva.test:"+port+"/" {
			t.Errorf("%s %q", resp.URL, body)
		}
		if got := sni.Load(); got != "xn--bcher-kva.test" {
			t.Errorf("SNI %q, want xn--bcher-kva.test", got)
		}
	})
}

// TestTLSTimeout: Timeouts.TLS bounds the handshake on its own on either
// engine (HOSTILE.md G1), not within the connect timeout.
func TestTLSTimeout(t *testing.T) {
	ln := silentListener(t) // never answers the ClientHello
	for _, tc := range []struct {
		engine fetch.Engine
		says   string
	}{
		{fetch.EngineConn, "no answer within 100ms"},
		{fetch.EngineNetHTTP, "TLS handshake timeout"},
	} {
		o := &fetch.Opener{Engine: tc.engine, Timeouts: fetch.Timeouts{TLS: 100 * time.Millisecond, Connect: 5 * time.Second}}
		_, err := o.Open(t.Context(), "https://"+ln.Addr().String()+"/")
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("engine %d: %v; want a timeout saying %q", tc.engine, err, tc.says)
		}
		o.CloseIdleConnections()
	}
}
