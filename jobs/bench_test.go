package jobs_test

import (
	"fmt"
	"testing"

	"github.com/grabhq/grab/jobs"
	"github.com/grabhq/grab/testserver"
)

// BenchmarkRun measures a run of one page with 200 images, all
// downloaded: "first" fetches everything, "unchanged" gets 304 for each
// (the cost of a daily job whose site did not change: a conditional
// request and a state commit per item).
func BenchmarkRun(b *testing.B) {
	const n = 200
	s := newSite(b)
	var imgs []string
	for i := range n {
		p := fmt.Sprintf("/img/%d.png", i)
		imgs = append(imgs, p)
		s.Set(p, "image/png", imgBody(p, 1), testserver.ETag|testserver.LastModified)
	}
	s.page("/g.html", testserver.ETag, imgs, nil)
	text := fmt.Sprintf("name: bench\ntargets: {urls: [%s/g.html]}\nextract: {images: true}\ndownload: {concurrency: 8}\n", s.URL)
	for _, mode := range []string{"first", "unchanged"} {
		b.Run(mode, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				dir := b.TempDir()
				j := jobFile(b, dir, text)
				r := new(jobs.Runner)
				if mode == "unchanged" {
					if _, err := r.Run(b.Context(), j); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				rep, err := r.Run(b.Context(), j)
				if err != nil || rep.Run.Counts.Total() != n+1 {
					b.Fatalf("run: %v %+v", err, rep.Run.Counts)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*(n+1)), "µs/item")
		})
	}
}
