package crawl_test

import (
	"io"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/grabhq/grab/crawl"
	"github.com/grabhq/grab/testserver"
)

// BenchmarkCrawlSite crawls the test server's 500-page linked site as
// bench/crawl.sh does (robots.txt read, Crawl-delay ignored, -j 8
// --per-host 8, each record encoded as JSON, as grab crawl --json does). The server runs in the same
// process: profile with -cpuprofile and -memprofile and look at crawl's
// own share.
func BenchmarkCrawlSite(b *testing.B) {
	const n = 500
	srv := httptest.NewServer(testserver.New())
	b.Cleanup(srv.Close)
	b.ReportAllocs()
	for b.Loop() {
		pages := 0
		cr := &crawl.Crawler{
			MaxDepth:      -1,
			Parallelism:   8,
			PerHost:       8,
			MaxCrawlDelay: -1,
			OnPage: func(p crawl.Page) {
				pages++
				b, _ := p.MarshalJSON()
				io.Discard.Write(b)
			},
		}
		start := time.Now()
		if _, err := cr.Run(b.Context(), srv.URL+"/site/500/page/0.html"); err != nil {
			b.Fatal(err)
		}
		if pages != n {
			b.Fatalf("crawled %d pages, want %d", pages, n)
		}
		b.ReportMetric(float64(n)/time.Since(start).Seconds(), "pages/s")
	}
	b.ReportMetric(0, "ns/op")
}
