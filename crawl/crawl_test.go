package crawl_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/grabhq/grab/testserver"
)

// TestSiteWhole crawls the testserver's linked site: every page once, no
// private page (robots.txt, M1), no nofollow page, nothing off the host.
func TestSiteWhole(t *testing.T) {
	s := newSite(t)
	cr, rec := s.crawler()
	cr.MaxDepth = -1
	cr.Images = true
	st, err := cr.Run(t.Context(), s.url+"/site/30/page/0.html")
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	want := testserver.SitePages(30)
	slices.Sort(want)
	if got := rec.urls(s.url); !slices.Equal(got, want) {
		t.Errorf("pages crawled:\n%v\nwant\n%v", got, want)
	}
	if st.Pages != 30 || st.Errors != 0 {
		t.Errorf("Stats = %+v, want 30 pages, 0 errors", st)
	}
	counts := map[string]int{}
	for _, p := range s.paths() {
		counts[p]++
		if strings.Contains(p, "/private/") || strings.Contains(p, "/nofollow/") {
			t.Errorf("fetched %s", p)
		}
	}
	for p, n := range counts {
		if n > 1 {
			t.Errorf("%s fetched %d times", p, n)
		}
	}
	if counts["/robots.txt"] != 1 {
		t.Errorf("robots.txt fetched %d times, want 1", counts["/robots.txt"])
	}
	p, ok := rec.find(s.url + "/site/30/page/3.html")
	if !ok {
		t.Fatal("no record of page 3")
	}
	if p.Title != "Site 30, page 3" || p.Status != 200 || p.Depth == 0 || p.Parent == "" || len(p.Images) != 2 || len(p.Links) == 0 {
		t.Errorf("record of page 3 = %+v", p)
	}
}
