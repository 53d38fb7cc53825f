package fetch_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/grabhq/grab/fetch"
	"github.com/grabhq/grab/testserver"
)

// BenchmarkGet compares one GET of /hello through an Opener (both
// transports) with net/http's client, in process: allocations show what
// fetch adds per request. The loopback benchmark against the peers is
// bench/urlopen.sh.
func BenchmarkGet(b *testing.B) {
	srv := httptest.NewServer(testserver.New())
	b.Cleanup(srv.Close)
	u := srv.URL + "/hello"
	for _, e := range []struct {
		name   string
		engine fetch.Engine
	}{{"impl=fetch", fetch.EngineAuto}, {"impl=fetch-nethttp", fetch.EngineNetHTTP}} {
		b.Run(e.name, func(b *testing.B) {
			o := &fetch.Opener{Engine: e.engine}
			b.Cleanup(o.CloseIdleConnections)
			for b.Loop() {
				resp, err := o.Open(b.Context(), u)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp)
				resp.Close()
			}
		})
	}
	b.Run("impl=nethttp", func(b *testing.B) {
		c := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
		b.Cleanup(c.CloseIdleConnections)
		for b.Loop() {
			req, _ := http.NewRequestWithContext(b.Context(), "GET", u, nil)
			resp, err := c.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
}
