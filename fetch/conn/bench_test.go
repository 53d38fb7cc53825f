package conn

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkSequentialGET sends small GETs one after another on one
// connection: impl=conn on a Conn, impl=transport through an http.Client
// on Transport, impl=nethttp through net/http's default client, all
// against the same in-process server.
func BenchmarkSequentialGET(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "Hello World")
	}))
	defer srv.Close()
	b.Run("impl=conn", func(b *testing.B) {
		c, err := Dial(b.Context(), srv.Listener.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		buf := make([]byte, 512)
		b.ReportAllocs()
		for b.Loop() {
			if err := c.Request("GET", "/hello", nil, Header{}); err != nil {
				b.Fatal(err)
			}
			r, err := c.GetResponse()
			if err != nil {
				b.Fatal(err)
			}
			for {
				_, err := r.Body.Read(buf)
				if err == io.EOF {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	get := func(b *testing.B, client *http.Client) {
		buf := make([]byte, 512)
		b.ReportAllocs()
		for b.Loop() {
			resp, err := client.Get(srv.URL + "/hello")
			if err != nil {
				b.Fatal(err)
			}
			for {
				_, err := resp.Body.Read(buf)
				if err == io.EOF {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			resp.Body.Close()
		}
	}
	b.Run("impl=transport", func(b *testing.B) {
		tr := &Transport{}
		defer tr.CloseIdleConnections()
		get(b, &http.Client{Transport: tr})
	})
	b.Run("impl=nethttp", func(b *testing.B) {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		defer tr.CloseIdleConnections()
		get(b, &http.Client{Transport: tr})
	})
}
