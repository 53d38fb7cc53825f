package fetch_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"

	"github.com/grabhq/grab/fetch"
	"github.com/grabhq/grab/internal/testkit"
	"github.com/grabhq/grab/testserver"
)

// BenchmarkGet compares one GET through an Opener (both transports) with
// net/http's client, in process: allocations show what fetch adds per
// request. path=hello is a tiny body, path=64KiB a download-sized one;
// mode=parallel shares one client between 32 goroutines (b.SetParallelism
// on GOMAXPROCS), as the concurrent rows of bench/urlopen.sh do. The
// loopback benchmark against the peers is bench/urlopen.sh.
//
// cpu-ns/op is the process's CPU time (user and system, client and
// server) per GET: on a busy machine it moves far less than sec/op,
// which counts waiting for a core.
func BenchmarkGet(b *testing.B) {
	// The 64 KiB body is written from memory, so the server's share of
	// the time and allocations stays small and fixed.
	body := make([]byte, 64<<10)
	mux := http.NewServeMux()
	mux.Handle("/", testserver.New())
	mux.HandleFunc("/64KiB", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", "65536")
		w.Write(body)
	})
	srv := httptest.NewServer(mux)
	b.Cleanup(srv.Close)
	impls := []struct {
		name string
		get  func(b *testing.B) (get func(u string) (io.ReadCloser, error), done func())
	}{
		{"fetch", opener(fetch.EngineAuto)},
		{"fetch-nethttp", opener(fetch.EngineNetHTTP)},
		{"nethttp", func(b *testing.B) (func(string) (io.ReadCloser, error), func()) {
			tr := http.DefaultTransport.(*http.Transport).Clone()
			tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 64, 64 // tuned, as bench/urlopen.sh's nethttp-tuned
			c := &http.Client{Transport: tr}
			return func(u string) (io.ReadCloser, error) {
				req, _ := http.NewRequestWithContext(b.Context(), "GET", u, nil)
				resp, err := c.Do(req)
				if err != nil {
					return nil, err
				}
				return resp.Body, nil
			}, c.CloseIdleConnections
		}},
	}
	for _, path := range []string{"hello", "64KiB"} {
		u := srv.URL + "/" + path
		for _, mode := range []string{"serial", "parallel"} {
			for _, impl := range impls {
				b.Run("path="+path+"/mode="+mode+"/impl="+impl.name, func(b *testing.B) {
					get, done := impl.get(b)
					b.Cleanup(done)
					b.ReportAllocs()
					one := func(buf []byte) {
						body, err := get(u)
						if err != nil {
							b.Fatal(err)
						}
						for {
							_, err := body.Read(buf)
							if err == io.EOF {
								break
							}
							if err != nil {
								b.Fatal(err)
							}
						}
						body.Close()
					}
					cpu0 := testkit.CPUTime()
					if mode == "serial" {
						buf := make([]byte, 32<<10)
						for b.Loop() {
							one(buf)
						}
					} else {
						b.SetParallelism(max(1, 32/runtime.GOMAXPROCS(0)))
						b.RunParallel(func(pb *testing.PB) {
							buf := make([]byte, 32<<10)
							for pb.Next() {
								one(buf)
							}
						})
					}
					if cpu := testkit.CPUTime() - cpu0; cpu > 0 {
						b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
					}
				})
			}
		}
	}
}

func opener(e fetch.Engine) func(b *testing.B) (func(string) (io.ReadCloser, error), func()) {
	return func(b *testing.B) (func(string) (io.ReadCloser, error), func()) {
		o := &fetch.Opener{Engine: e}
		return func(u string) (io.ReadCloser, error) {
			resp, err := o.Open(b.Context(), u)
			if err != nil {
				return nil, err
			}
			return resp, nil
		}, o.CloseIdleConnections
	}
}
