package download_test

import (
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/grabhq/grab/download"
	"github.com/grabhq/grab/fetch"
	"github.com/grabhq/grab/testserver"
)

// benchDo downloads n files of size bytes from the test server, j at once,
// into a fresh directory per iteration.
func benchDo(b *testing.B, n int, size string, bytes int64, j int) {
	srv := httptest.NewServer(testserver.New())
	defer srv.Close()
	var urls []string
	for i := range n {
		urls = append(urls, fmt.Sprintf("%s/dl/%s/%d", srv.URL, size, i))
	}
	o := new(fetch.Opener)
	defer o.CloseIdleConnections()
	c := &download.Client{Opener: o, Concurrency: j, NoSync: true}
	b.SetBytes(int64(n) * bytes)
	for b.Loop() {
		if _, err := c.Do(b.Context(), download.Into(b.TempDir(), urls...)...); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDoSmall(b *testing.B) { benchDo(b, 100, "64KiB", 64<<10, 16) }
func BenchmarkDoLarge(b *testing.B) { benchDo(b, 4, "16MiB", 16<<20, 4) }
