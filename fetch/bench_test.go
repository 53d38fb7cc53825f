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
	for _, low := range []bool{false, true} {
		name := map[bool]string{false: "impl=fetch", true: "impl=fetch-conn"}[low]
		b.Run(name, func(b *testing.B) {
			o := &fetch.Opener{LowLevel: low}
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
