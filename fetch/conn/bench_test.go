package conn

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkSequentialGET sends GETs one after another on one connection:
// impl=conn on a Conn, impl=transport through an http.Client on
// Transport, impl=nethttp through net/http's default client, all against
// the same in-process server; path=hello is an 11-byte body, path=64KiB a
// download-sized one.
func BenchmarkSequentialGET(b *testing.B) {
	big := make([]byte, 64<<10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/64KiB" {
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Write(big)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "Hello World")
	}))
	defer srv.Close()
	buf := make([]byte, 32<<10)
	drain := func(b *testing.B, r io.Reader) {
		for {
			_, err := r.Read(buf)
			if err == io.EOF {
				return
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	for _, path := range []string{"hello", "64KiB"} {
		b.Run("path="+path+"/impl=conn", func(b *testing.B) {
			c, err := Dial(b.Context(), srv.Listener.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			b.ReportAllocs()
			for b.Loop() {
				if err := c.Request("GET", "/"+path, nil, Header{}); err != nil {
					b.Fatal(err)
				}
				r, err := c.GetResponse()
				if err != nil {
					b.Fatal(err)
				}
				drain(b, r.Body)
			}
		})
		get := func(b *testing.B, client *http.Client) {
			b.ReportAllocs()
			for b.Loop() {
				resp, err := client.Get(srv.URL + "/" + path)
				if err != nil {
					b.Fatal(err)
				}
				drain(b, resp.Body)
				resp.Body.Close()
			}
		}
		b.Run("path="+path+"/impl=transport", func(b *testing.B) {
			tr := &Transport{}
			defer tr.CloseIdleConnections()
			get(b, &http.Client{Transport: tr})
		})
		b.Run("path="+path+"/impl=nethttp", func(b *testing.B) {
			tr := http.DefaultTransport.(*http.Transport).Clone()
			defer tr.CloseIdleConnections()
			get(b, &http.Client{Transport: tr})
		})
	}
}
