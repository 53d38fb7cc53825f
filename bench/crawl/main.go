// Command crawl is bench/crawl.sh's peer: bare colly v2 tuned as its users
// tune it for one host (Async, a LimitRule of Parallelism P, a transport
// keeping P idle connections to the host), crawling the pages of grab
// serve's /site/N/ and nothing else (a URLFilter keeps it on
// /site/N/page/, the pages grab crawl and wget -r --no-parent fetch), each
// once (see visits). It prints "colly PAGES SECONDS" and fails if a
// request failed.
package main

import (
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gocolly/colly/v2"
	"github.com/gocolly/colly/v2/storage"
)

func main() {
	par := flag.Int("p", 8, "LimitRule Parallelism")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: crawl [-p N] http://127.0.0.1:PORT/site/N/page/0.html")
		os.Exit(2)
	}
	start := flag.Arg(0)
	u, err := url.Parse(start)
	if err != nil || (u.Hostname() != "127.0.0.1" && u.Hostname() != "localhost") {
		fmt.Fprintln(os.Stderr, "crawl: a loopback URL only")
		os.Exit(2)
	}
	dir := start[:strings.LastIndexByte(start, '/')+1]
	c := colly.NewCollector(colly.Async(true), colly.URLFilters(regexp.MustCompile("^"+regexp.QuoteMeta(dir)+`\d+\.html$`)))
	if err := c.Limit(&colly.LimitRule{DomainGlob: "*", Parallelism: *par}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 2 * *par
	tr.MaxIdleConnsPerHost = *par
	c.WithTransport(tr)
	var pages, errs atomic.Int64
	if err := c.SetStorage(&visits{seen: map[uint64]bool{}}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	c.OnHTML("a[href]", func(e *colly.HTMLElement) { e.Request.Visit(e.Attr("href")) })
	c.OnResponse(func(*colly.Response) { pages.Add(1) })
	c.OnError(func(r *colly.Response, err error) {
		if errs.Add(1) == 1 {
			fmt.Fprintf(os.Stderr, "crawl: %s: %v\n", r.Request.URL, err)
		}
	})
	t0 := time.Now()
	if err := c.Visit(start); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	c.Wait()
	fmt.Printf("colly %d %.3f\n", pages.Load(), time.Since(t0).Seconds())
	if errs.Load() > 0 {
		os.Exit(1)
	}
}

// visits is colly's in-memory storage with an atomic revisit check. colly
// asks IsVisited and then calls Visited, so with Async two goroutines can
// both fetch a page linked from two pages (bench/crawl.sh then fails: a
// page fetched twice); here IsVisited marks the request as it answers.
type visits struct {
	storage.InMemoryStorage
	mu   sync.Mutex
	seen map[uint64]bool
}

func (v *visits) IsVisited(id uint64) (bool, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.seen[id] {
		return true, nil
	}
	v.seen[id] = true
	return false, nil
}

func (v *visits) Visited(id uint64) error {
	v.mu.Lock()
	v.seen[id] = true
	v.mu.Unlock()
	return nil
}
