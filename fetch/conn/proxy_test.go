package conn

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/grabhq/grab/testserver"
)

// connectDial is a minimal CONNECT tunnel for the tests (grab's proxy.Dial
// is the real one).
func connectDial(ctx context.Context, p *url.URL, addr string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", p.Host)
	if err != nil {
		return nil, err
	}
	auth := ""
	if p.User != nil {
		pw, _ := p.User.Password()
		auth = "Proxy-Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(p.User.Username()+":"+pw)) + "\r\n"
	}
	fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n%s\r\n", addr, addr, auth)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, &http.Request{Method: "CONNECT"})
	if err != nil || resp.StatusCode != 200 || br.Buffered() > 0 {
		c.Close()
		return nil, fmt.Errorf("CONNECT %s: %v %v", addr, resp, err)
	}
	return c, nil
}

// TestTransportProxy: plain http goes in absolute form with the proxy's
// credentials, pooled per proxy; https goes through a tunnel, and the
// proxy's credentials never reach the origin.
func TestTransportProxy(t *testing.T) {
	origin := httptest.NewServer(testserver.New())
	t.Cleanup(origin.Close)
	tlsOrigin := httptest.NewTLSServer(testserver.New())
	t.Cleanup(tlsOrigin.Close)
	px, err := testserver.StartProxy(testserver.ProxyOptions{User: "u", Password: "secret-p"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { px.Close() })
	pu := px.URL()
	pu.User = url.UserPassword("u", "secret-p")
	pool := x509.NewCertPool()
	pool.AddCert(tlsOrigin.Certificate())
	tr := &Transport{
		Proxy:           func(*http.Request) (*url.URL, error) { return pu, nil },
		DialProxy:       connectDial,
		TLSClientConfig: &tls.Config{RootCAs: pool},
	}
	t.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr}
	for range 2 {
		if _, body := get(t, client, origin.URL+"/headers"); strings.Contains(body, "Proxy-Authorization") || strings.Contains(body, "secret") {
			t.Errorf("origin saw the proxy's credentials: %s", body)
		}
	}
	recs := px.Records()
	if len(recs) != 2 || recs[0].Method != "GET" || recs[0].Target != origin.URL+"/headers" || !recs[0].Authorized {
		t.Fatalf("proxy records: %+v", recs)
	}
	if n := len(tr.idle[poolKey{proxy: "proxy " + pu.String()}]); n != 1 {
		t.Errorf("%d idle connections to the proxy, want 1 (reused)", n)
	}
	// https: CONNECT, then TLS to the origin inside the tunnel.
	_, body := get(t, client, tlsOrigin.URL+"/headers")
	if strings.Contains(body, "secret") {
		t.Errorf("tunnelled origin saw: %s", body)
	}
	recs = px.Records()
	if last := recs[len(recs)-1]; last.Method != "CONNECT" || last.Target != strings.TrimPrefix(tlsOrigin.URL, "https://") {
		t.Errorf("last proxy record: %+v", last)
	}
	// A proxy that cannot be reached is named, its password masked, with
	// the cause kept for errors.As.
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := &url.URL{Scheme: "http", User: url.UserPassword("u", "secret-p"), Host: closed.Addr().String()}
	closed.Close()
	tr3 := &Transport{Proxy: func(*http.Request) (*url.URL, error) { return dead, nil }}
	_, err = (&http.Client{Transport: tr3}).Get(origin.URL + "/hello")
	var oe *net.OpError
	if want := "conn: proxy http://u:xxxxx@" + dead.Host + " to " + strings.TrimPrefix(origin.URL, "http://") + ": connecting to the proxy: dial tcp"; err == nil ||
		!strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "secret") || !errors.As(err, &oe) {
		t.Errorf("unreachable proxy: %v, want it to contain %q", err, want)
	}
	// Without DialProxy, an https target through a proxy is an error.
	tr2 := &Transport{Proxy: tr.Proxy}
	if _, err := (&http.Client{Transport: tr2}).Get(tlsOrigin.URL); err == nil || !strings.Contains(err.Error(), "DialProxy") {
		t.Errorf("no DialProxy: %v", err)
	}
}
