package crawl_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"
	"slices"
	"strings"

	"github.com/grabhq/grab/crawl"
	"github.com/grabhq/grab/testserver"
)

// Crawl the test server's linked site of 4 pages: robots.txt keeps the
// crawler out of /site/4/private/, rel="nofollow" links are not followed,
// and other hosts are out of scope.
func ExampleCrawler() {
	srv := httptest.NewServer(testserver.New())
	defer srv.Close()

	var pages []string
	c := &crawl.Crawler{
		MaxCrawlDelay: -1, // the test server asks for Crawl-delay: 1; ignore it here
		OnPage: func(p crawl.Page) {
			pages = append(pages, fmt.Sprintf("%s %d %q", strings.TrimPrefix(p.URL, srv.URL), p.Status, p.Title))
		},
	}
	st, err := c.Run(context.Background(), srv.URL+"/site/4/page/0.html")
	if err != nil {
		log.Fatal(err)
	}
	slices.Sort(pages)
	for _, p := range pages {
		fmt.Println(p)
	}
	fmt.Println(st.Pages, "pages,", st.Errors, "errors")
	// Output:
	// /site/4/page/0.html 200 "Site 4, page 0"
	// /site/4/page/1.html 200 "Site 4, page 1"
	// /site/4/page/2.html 200 "Site 4, page 2"
	// /site/4/page/3.html 200 "Site 4, page 3"
	// 4 pages, 0 errors
}

// A crawl kept in a bbolt file continues where it stopped when run again.
func ExampleOpenBolt() {
	srv := httptest.NewServer(testserver.New())
	defer srv.Close()
	dir, cleanup := tempDir()
	defer cleanup()

	run := func(max int) int {
		store, err := crawl.OpenBolt(dir + "/crawl.db")
		if err != nil {
			log.Fatal(err)
		}
		defer store.Close()
		c := &crawl.Crawler{Store: store, MaxPages: max, MaxCrawlDelay: -1, MaxDepth: -1}
		st, err := c.Run(context.Background(), srv.URL+"/site/10/page/0.html")
		if err != nil {
			log.Fatal(err)
		}
		return st.Pages
	}
	fmt.Println(run(4), "pages, then", run(0), "more")
	// Output: 4 pages, then 6 more
}
