package download_test

import (
	"crypto/tls"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/grabhq/grab/download"
	"github.com/grabhq/grab/fetch"
	"github.com/grabhq/grab/proxy"
	"github.com/grabhq/grab/testserver"
)

// TestProxyRefusalFinal: a proxy refusing the credentials, or refusing a
// CONNECT for good (403), fails the file at once: another attempt would
// send the same request (and the wrong credentials again).
func TestProxyRefusalFinal(t *testing.T) {
	srv := httptest.NewTLSServer(testserver.New())
	t.Cleanup(srv.Close)
	for _, tt := range []struct {
		name string
		opts testserver.ProxyOptions
		user *url.Userinfo
		want error
	}{
		{"407", testserver.ProxyOptions{User: "kim", Password: "pw"}, url.UserPassword("kim", "wrong"), proxy.ErrProxyAuth},
		{"403", testserver.ProxyOptions{AllowTargets: func(string) bool { return false }}, nil, proxy.ErrProxyRefused},
	} {
		t.Run(tt.name, func(t *testing.T) {
			px, err := testserver.StartProxy(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { px.Close() })
			pu := px.URL()
			pu.User = tt.user
			o := &fetch.Opener{TLSConfig: &tls.Config{InsecureSkipVerify: true}, Proxy: http.ProxyURL(pu)}
			t.Cleanup(o.CloseIdleConnections)
			c := &download.Client{Opener: o, Retries: 5, RetryWait: 10 * time.Millisecond}
			res, _ := c.Do(t.Context(), download.Request{URL: srv.URL + "/hello", Dir: t.TempDir()})
			if r := res[0]; r.Outcome != download.Failed || r.Attempts != 1 || !errors.Is(r.Err, tt.want) {
				t.Errorf("Do = %v after %d attempts (%v), want failed after 1 with %v", r.Outcome, r.Attempts, r.Err, tt.want)
			}
			if n := len(px.Records()); n != 1 {
				t.Errorf("the proxy saw %d CONNECTs, want 1", n)
			}
		})
	}
}
