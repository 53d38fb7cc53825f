package crawl

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gocolly/colly/v2"
	"github.com/gocolly/colly/v2/storage"

	"github.com/grabhq/grab/cookies"
	"github.com/grabhq/grab/fetch"
	"github.com/grabhq/grab/internal/retryafter"
)

// Defaults of the Crawler's fields.
const (
	DefaultMaxDepth     = 5                // wget -r's default
	DefaultParallelism  = 8                // pages fetched at once
	DefaultPerHost      = 4                // pages fetched at once from one host
	DefaultMaxBodyBytes = 10 << 20         // colly's default
	DefaultMaxURLLength = 4096             // bytes
	DefaultPageTimeout  = 2 * time.Minute  // one page, redirects and body included
	DefaultRetries      = 2                // more tries of a page answered 429 or 503
	DefaultMaxRetryWait = 30 * time.Second // cap of a Retry-After wait
	stopGrace           = 3 * time.Second  // in-flight pages may finish after a stop
	jobHeader           = "Grab-Crawl-Job" // internal: never sent
)

var (
	// ErrOutOfScope reports a redirect that leaves the crawl's scope or
	// its Allow and Deny patterns.
	ErrOutOfScope = errors.New("crawl: out of scope")
	// ErrAlreadySeen reports a redirect to a URL the crawl has already
	// fetched or queued (it is fetched from its own entry once).
	ErrAlreadySeen = errors.New("crawl: redirect to a URL already crawled or queued")
)

// Crawler crawls sites from seed URLs. Its zero value is ready to use: it
// follows links on the seeds' hosts to depth DefaultMaxDepth, honours
// robots.txt, and keeps its frontier in memory. Set the fields before Run;
// a Crawler must not be changed while it runs.
type Crawler struct {
	// Opener fetches the pages: its transport, proxy, credential
	// handlers, timeouts and limits apply; its Jar, when set, keeps the
	// cookies. Nil means a zero fetch.Opener.
	Opener *fetch.Opener
	// Store keeps the frontier, the seen set and the leases; nil means a
	// new Memory. Bolt makes a crawl resumable, Redis shares it; both
	// keep the crawl's cookies too (a jar per site) unless Opener.Jar is
	// set.
	Store Store

	// MaxDepth is the longest chain of links followed from a seed (a
	// seed is depth 0); 0 means DefaultMaxDepth, negative no limit.
	MaxDepth int
	// SeedsOnly fetches the seeds (following their redirects) and no
	// link: a depth of 0, which MaxDepth cannot say.
	SeedsOnly bool
	// MaxPages caps the pages fetched (across every process sharing
	// the Store); 0 means no cap. A link dropped after it was queued (its
	// origin's robots.txt, read only then, disallows it; its host's
	// budget is spent) counts as started.
	MaxPages int
	// MaxPagesPerHost caps the pages fetched from one host and port
	// (after Normalize: "example.com:443"); 0 means no cap. It is
	// counted by each Run (each process) on its own, not through the
	// Store: a resumed crawl, or each process sharing a Store, starts
	// from zero. Pages robots.txt refuses are not counted; links to a
	// host whose budget is spent are not queued, and those queued
	// before are dropped unrecorded (counted in Stats.Skipped; they
	// count toward MaxPages as started).
	MaxPagesPerHost int
	// Scope is where links may lead, relative to the seeds.
	Scope Scope
	// Allow, when not empty, admits only URLs matching one of them;
	// Deny refuses URLs matching any. Both see the normalized URL.
	Allow, Deny []*regexp.Regexp
	// FollowNofollow follows rel="nofollow" links and the links of pages
	// with <meta name="robots" content="nofollow">, which are skipped by
	// default.
	FollowNofollow bool
	// MaxURLLength skips longer links; 0 means DefaultMaxURLLength.
	MaxURLLength int

	// Parallelism is the number of pages fetched at once; 0 means
	// DefaultParallelism.
	Parallelism int
	// PerHost caps the pages fetched at once from one host and port; 0
	// means DefaultPerHost.
	PerHost int
	// Delay is the least time between the starts of two requests to one
	// host, and Jitter a random extra of up to Jitter. A robots.txt
	// Crawl-delay longer than Delay wins (up to MaxCrawlDelay).
	Delay, Jitter time.Duration
	// UserAgent is sent with every request, and its first product name
	// is matched against robots.txt groups; "" means the Opener's, or
	// fetch.DefaultUserAgent.
	UserAgent string

	// IgnoreRobots fetches what robots.txt disallows. Off by default.
	IgnoreRobots bool
	// MaxCrawlDelay caps a robots.txt Crawl-delay, reported through
	// OnWarning; 0 means DefaultMaxCrawlDelay, negative that Crawl-delay
	// is ignored.
	MaxCrawlDelay time.Duration
	// RobotsRetry is how long an origin whose robots.txt could not be
	// read stays disallowed before it is asked again; 0 means
	// DefaultRobotsRetry.
	RobotsRetry time.Duration
	// RobotsTimeout bounds the fetch of one robots.txt; one that does not
	// arrive in time counts as unreachable (the origin disallowed for
	// RobotsRetry). 0 means DefaultRobotsTimeout.
	RobotsTimeout time.Duration

	// Images collects each page's <img> URLs into Page.Images.
	Images bool
	// Fields names goquery (CSS) selectors whose matches are collected
	// into Page.Fields: the text of each match, or an attribute with
	// "selector@attr" ("a.next@href").
	Fields map[string]string

	// PublicOnly refuses, at dial time, every address that is not public
	// unicast (loopback, private, link-local, CGNAT, multicast, reserved;
	// IPv4 inside IPv6 included) and every port but 80, 443, the seeds'
	// ports and AllowPorts. It needs the Opener's default transport.
	PublicOnly bool
	// AllowPorts are more ports PublicOnly allows.
	AllowPorts []int
	// Resolver resolves host names for PublicOnly; nil means
	// net.DefaultResolver.
	Resolver *net.Resolver

	// MaxBodyBytes caps a page's body; a longer page is recorded with
	// fetch.ErrBodyTooLarge and not parsed. 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// PageTimeout bounds one page, redirects and body included; 0 means
	// DefaultPageTimeout.
	PageTimeout time.Duration
	// Retries is how many more times a page answered 429 or 503 is
	// asked for, after the wait its Retry-After gives (capped by
	// MaxRetryWait) during which its host gets no request; 0 means
	// DefaultRetries, negative none.
	Retries int
	// MaxRetryWait caps a Retry-After wait; 0 means DefaultMaxRetryWait.
	MaxRetryWait time.Duration

	// OnPage receives a record per page fetched (or refused), one call
	// at a time.
	OnPage func(Page)
	// Record, when set, receives each page as OnPage does (after it), and
	// its error stops the crawl: Run returns it, and the page is given
	// back to the Store rather than marked done, so a resumed crawl
	// fetches it again. It is for a record that must be out before its
	// page counts as done (a write that failed on a full disk).
	Record func(Page) error
	// OnWarning receives what a command-line tool would log: a capped
	// Crawl-delay, a host backing off.
	OnWarning func(string)
}

// Page is the record of one page.
type Page struct {
	URL         string              // as queued (normalized)
	FinalURL    string              // after redirects, when different
	Status      int                 // of the final response; 0 when none
	ContentType string              // of the final response
	Depth       int                 // links from a seed
	Parent      string              // the page that linked here
	Title       string              // <title>
	Links       []string            // <a href> and <area href>, absolute, in order, once each
	Images      []string            // with Crawler.Images
	Fields      map[string][]string // with Crawler.Fields
	Size        int                 // bytes of the (decoded) body read
	Truncated   bool                // more than MaxLinksPerPage links or images: the rest ignored
	Fetched     time.Time           // when the request started
	TTFB        time.Duration       // until the final response's head
	Elapsed     time.Duration       // until the body was read
	Err         error               // *fetch.HTTPError for a non-2xx, ErrDisallowed, a *url.Error, ...
}

// Refused reports whether the page is a redirect the crawl chose not to
// follow (its 3xx, with ErrOutOfScope, ErrDisallowed or ErrAlreadySeen)
// rather than a failure: the crawl's own rules at work, as with a link it
// does not follow, so Stats counts it in Refused, not Errors. A page
// redirected to a URL already crawled or queued (/docs to /docs/, the
// common case) is fetched from that URL's own entry. A seed robots.txt
// disallows is an error: it was asked for.
func (p Page) Refused() bool {
	return p.Status >= 300 && p.Status < 400 &&
		(errors.Is(p.Err, ErrOutOfScope) || errors.Is(p.Err, ErrDisallowed) || errors.Is(p.Err, ErrAlreadySeen))
}

// MarshalJSON writes the record as one JSON object, the error as its
// message and the durations in milliseconds: url, final_url, status,
// content_type, depth, parent, title, links, images, fields, size,
// truncated, fetched (RFC 3339, UTC), ttfb_ms, elapsed_ms and error, the
// empty ones left out (but depth and size). Strings are escaped as
// encoding/json escapes them.
func (p Page) MarshalJSON() ([]byte, error) {
	n := 160 + len(p.URL) + len(p.FinalURL) + len(p.ContentType) + len(p.Parent) + len(p.Title)
	for _, l := range p.Links {
		n += len(l) + 3
	}
	for _, l := range p.Images {
		n += len(l) + 3
	}
	b := make([]byte, 0, n)
	b = append(b, `{"url":`...)
	b = appendJSONString(b, p.URL)
	if p.FinalURL != "" {
		b = append(b, `,"final_url":`...)
		b = appendJSONString(b, p.FinalURL)
	}
	if p.Status != 0 {
		b = append(b, `,"status":`...)
		b = strconv.AppendInt(b, int64(p.Status), 10)
	}
	if p.ContentType != "" {
		b = append(b, `,"content_type":`...)
		b = appendJSONString(b, p.ContentType)
	}
	b = append(b, `,"depth":`...)
	b = strconv.AppendInt(b, int64(p.Depth), 10)
	if p.Parent != "" {
		b = append(b, `,"parent":`...)
		b = appendJSONString(b, p.Parent)
	}
	if p.Title != "" {
		b = append(b, `,"title":`...)
		b = appendJSONString(b, p.Title)
	}
	if len(p.Links) > 0 {
		b = append(b, `,"links":`...)
		b = appendJSONStrings(b, p.Links)
	}
	if len(p.Images) > 0 {
		b = append(b, `,"images":`...)
		b = appendJSONStrings(b, p.Images)
	}
	if len(p.Fields) > 0 {
		b = append(b, `,"fields":{`...)
		for i, k := range slices.Sorted(maps.Keys(p.Fields)) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			b = appendJSONStrings(b, p.Fields[k])
		}
		b = append(b, '}')
	}
	b = append(b, `,"size":`...)
	b = strconv.AppendInt(b, int64(p.Size), 10)
	if p.Truncated {
		b = append(b, `,"truncated":true`...)
	}
	if !p.Fetched.IsZero() {
		b = append(b, `,"fetched":"`...)
		var err error
		if b, err = p.Fetched.UTC().AppendText(b); err != nil {
			return nil, fmt.Errorf("crawl: Page.MarshalJSON: fetched: %w", err)
		}
		b = append(b, '"')
	}
	if v := ms(p.TTFB); v != 0 {
		b = append(b, `,"ttfb_ms":`...)
		b = appendJSONFloat(b, v)
	}
	if v := ms(p.Elapsed); v != 0 {
		b = append(b, `,"elapsed_ms":`...)
		b = appendJSONFloat(b, v)
	}
	if p.Err != nil {
		b = append(b, `,"error":`...)
		b = appendJSONString(b, p.Err.Error())
	}
	return append(b, '}'), nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Stats counts what a Run did.
type Stats struct {
	Pages   int // records emitted
	Errors  int // records with an error, other than a redirect refused
	Refused int // records of a redirect not followed (see Page.Refused)
	Links   int // links followed (offered to the Store, which drops those seen)
	Skipped int // links not followed: scope, depth, patterns, robots.txt, nofollow, host budget
}

// run is one Run's state.
type run struct {
	cr          *Crawler
	store       Store
	c           *colly.Collector
	robots      *robots
	scope       *scope
	hosts       hosts
	maxDepth    int
	maxURL      int
	maxBody     int64
	retries     int
	retryCap    time.Duration
	redirects   int
	pageTimeout time.Duration

	budgetMu sync.Mutex
	perHost  map[string]int // pages fetched by host and port (MaxPagesPerHost)

	jobs  sync.Map // id -> *job
	jobID atomic.Uint64

	// redirectMu guards redirected: the URLs that pages in flight in this
	// process were redirected to, by the page (entry URL), until the page
	// is finished (its final URL then seen in the store) or given back.
	// A second page redirected to one of them is refused as already seen,
	// rather than fetching it again, and a link to one of them waits in
	// held for the page: pushed once it is finished, when the store drops
	// it if the redirect's fetch made it seen.
	redirectMu sync.Mutex
	redirected map[string]string
	held       map[string][]Entry // by redirect target

	emitMu sync.Mutex
	stats  Stats

	wakeMu sync.Mutex
	wake   chan struct{}

	errOnce sync.Once
	err     error
	stop    context.CancelFunc
}

// job is one fetch through colly.
type job struct {
	id          string
	page        string // the entry's URL: the owner of its redirect claims
	start       time.Time
	deadline    time.Time // start + PageTimeout
	headAt      time.Time
	status      int
	header      http.Header
	contentType []string // kept from colly while it reads the body (onHead)
	final       *url.URL
	resp        *colly.Response
	err         error
	redirectErr error
	tooLarge    bool
	notHTML     bool
}

// Run crawls from the seeds until nothing is left to fetch, MaxPages is
// reached, or ctx is done, and returns what it did. Pages in flight when
// ctx ends get a short grace to finish; those that do not are given back
// to the Store unrecorded, so a resumed crawl fetches them. A bad seed, a
// bad setting or a Store failure is an error; a page that fails is a
// record, never an error of Run.
func (cr *Crawler) Run(ctx context.Context, seeds ...string) (Stats, error) {
	if len(seeds) == 0 {
		return Stats{}, errors.New("crawl: no seed URL")
	}
	var seedURLs []*url.URL
	var lg logins
	for _, s := range seeds {
		u, err := normalize(s)
		if err != nil {
			return Stats{}, fmt.Errorf("%w (seed %d)", err, len(seedURLs)+1)
		}
		lg.take(u)
		seedURLs = append(seedURLs, u)
	}
	switch {
	case cr.Parallelism < 0, cr.PerHost < 0:
		return Stats{}, errors.New("crawl: Parallelism and PerHost cannot be negative")
	case cr.MaxURLLength < 0, cr.MaxBodyBytes < 0, cr.PageTimeout < 0, cr.RobotsRetry < 0, cr.RobotsTimeout < 0, cr.MaxPages < 0, cr.MaxPagesPerHost < 0:
		return Stats{}, errors.New("crawl: MaxURLLength, MaxBodyBytes, PageTimeout, RobotsRetry, RobotsTimeout, MaxPages and MaxPagesPerHost cannot be negative")
	case cr.Delay < 0, cr.Jitter < 0:
		return Stats{}, errors.New("crawl: Delay and Jitter cannot be negative")
	}
	for name, sel := range cr.Fields {
		if err := CheckField(sel); err != nil {
			return Stats{}, fmt.Errorf("crawl: field %q: %w", name, err)
		}
	}
	r := &run{
		cr:        cr,
		store:     cr.Store,
		scope:     newScope(cr.Scope, seedURLs),
		maxDepth:  cmp.Or(cr.MaxDepth, DefaultMaxDepth),
		maxURL:    cmp.Or(cr.MaxURLLength, DefaultMaxURLLength),
		maxBody:   cmp.Or(cr.MaxBodyBytes, DefaultMaxBodyBytes),
		retries:   cmp.Or(cr.Retries, DefaultRetries),
		retryCap:  cmp.Or(cr.MaxRetryWait, DefaultMaxRetryWait),
		redirects: fetch.DefaultMaxRedirects,
		wake:      make(chan struct{}),
	}
	switch {
	case cr.SeedsOnly:
		r.maxDepth = 0
	case cr.MaxDepth < 0:
		r.maxDepth = -1
	}
	r.hosts.per = cmp.Or(cr.PerHost, DefaultPerHost)
	r.hosts.jitter = cr.Jitter
	if r.store == nil {
		r.store = &Memory{}
	}
	base := cr.Opener
	if base == nil {
		base = &fetch.Opener{}
	}
	if base.Redirects.Max > 0 {
		r.redirects = base.Redirects.Max
	}
	var dial func(context.Context, string, string) (net.Conn, error)
	if cr.PublicOnly {
		if base.Transport != nil {
			return Stats{}, errors.New("crawl: PublicOnly needs the Opener's default transport (Opener.Transport is set)")
		}
		ports := slices.Clone(cr.AllowPorts)
		for _, u := range seedURLs {
			_, port, _ := net.SplitHostPort(hostKey(u))
			if n, err := strconv.Atoi(port); err == nil {
				ports = append(ports, n)
			}
		}
		dial = PublicOnlyDial(base.Dial, cr.Resolver, ports...)
	}
	o := opener(base, dial)
	ua := cr.UserAgent
	if ua == "" {
		ua = base.UserAgent
	}
	if ua == "" {
		ua = fetch.DefaultUserAgent()
	}
	o.UserAgent = ua
	// Requests get a grace period after ctx ends.
	reqCtx, cancelReq := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelReq()
	if !cr.IgnoreRobots {
		r.robots = &robots{
			open:     func(ctx context.Context, req *fetch.Request) (*fetch.Response, error) { return o.Open(ctx, lg.on(req)) },
			agent:    productToken(ua),
			ua:       ua,
			maxDelay: max(0, cmp.Or(cr.MaxCrawlDelay, DefaultMaxCrawlDelay)),
			retry:    cmp.Or(cr.RobotsRetry, DefaultRobotsRetry),
			timeout:  cmp.Or(cr.RobotsTimeout, DefaultRobotsTimeout),
			warn:     r.warn,
			stop:     reqCtx,
		}
	}

	stopWatch := context.AfterFunc(ctx, func() { time.AfterFunc(stopGrace, cancelReq) })
	defer stopWatch()

	c := &colly.Collector{}
	c.Init()
	c.UserAgent = ua
	c.AllowURLRevisit = true // the Store deduplicates
	c.IgnoreRobotsTxt = true // the crawl reads robots.txt itself, with RFC 9309's rules
	c.ParseHTTPErrorResponse = true
	c.MaxBodySize = int(min(r.maxBody+1, int64(^uint(0)>>1)))
	c.Context = reqCtx
	// The page timeout is a deadline the transport puts on each exchange
	// of a page (its redirects and body included), not colly's client
	// Timeout, which costs a timer goroutine per request.
	r.pageTimeout = cmp.Or(cr.PageTimeout, DefaultPageTimeout)
	c.WithTransport(&transport{o: o, logins: lg, deadline: r.deadlineOf})
	c.SetRequestTimeout(0)
	js, isJarStore := r.store.(jarStore)
	cs, isStorage := r.store.(storage.Storage)
	switch {
	case base.Jar != nil:
		c.SetCookieJar(base.Jar)
	case isJarStore:
		c.SetCookieJar(&siteJars{s: js, warn: r.warn})
	case isStorage && !isMemory(r.store):
		if err := c.SetStorage(cs); err != nil { // cookies shared through the store
			return Stats{}, fmt.Errorf("crawl: store: %w", err)
		}
	default:
		c.SetCookieJar(new(cookies.Jar)) // the rules of the stores' site jars
	}
	c.SetRedirectHandler(r.checkRedirect)
	c.OnResponseHeaders(r.onHead)
	c.OnResponse(func(resp *colly.Response) {
		if j := r.jobOf(resp.Request); j != nil {
			j.resp = resp
		}
	})
	c.OnError(func(resp *colly.Response, err error) {
		if j := r.jobOf(resp.Request); j != nil {
			j.resp, j.err = resp, err
		}
	})
	r.c = c
	defer o.CloseIdleConnections()

	seedEntries := make([]Entry, len(seedURLs))
	for i, u := range seedURLs {
		seedEntries[i] = Entry{URL: u.String()}
	}
	if _, err := r.store.Push(ctx, seedEntries...); err != nil {
		return Stats{}, fmt.Errorf("crawl: store: %w", err)
	}

	wctx, stop := context.WithCancel(ctx)
	defer stop()
	r.stop = stop
	var wg sync.WaitGroup
	for range cmp.Or(cr.Parallelism, DefaultParallelism) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.worker(wctx, reqCtx)
		}()
	}
	wg.Wait()
	if r.err != nil {
		return r.stats, r.err
	}
	return r.stats, ctx.Err()
}

func isMemory(s Store) bool { _, ok := s.(*Memory); return ok }

func (r *run) warn(msg string) {
	if r.cr.OnWarning != nil {
		r.emitMu.Lock()
		r.cr.OnWarning(msg)
		r.emitMu.Unlock()
	}
}

// fail stops the crawl on the Store's error.
func (r *run) fail(err error) { r.stopWith(fmt.Errorf("crawl: store: %w", err)) }

// stopWith stops the crawl, which Run ends with err (the first one given).
func (r *run) stopWith(err error) {
	r.errOnce.Do(func() {
		r.err = err
		r.stop()
	})
}

// signal wakes the workers waiting for work.
func (r *run) signal() {
	r.wakeMu.Lock()
	close(r.wake)
	r.wake = make(chan struct{})
	r.wakeMu.Unlock()
}

func (r *run) waiter() <-chan struct{} {
	r.wakeMu.Lock()
	defer r.wakeMu.Unlock()
	return r.wake
}

// worker leases pages from the store and crawls them until none is left
// anywhere, the page budget is spent, or ctx ends.
func (r *run) worker(ctx, reqCtx context.Context) {
	poll := 5 * time.Millisecond
	for ctx.Err() == nil {
		w := r.waiter()
		e, st, err := r.store.Pop(ctx, r.cr.MaxPages)
		if err != nil {
			if ctx.Err() == nil {
				r.fail(err)
			}
			return
		}
		switch st {
		case Limit:
			return
		case Empty:
			q, l, err := r.store.Pending(ctx)
			if err != nil {
				if ctx.Err() == nil {
					r.fail(err)
				}
				return
			}
			if q == 0 && l == 0 {
				r.signal()
				return
			}
			if q > 0 {
				continue
			}
			t := time.NewTimer(poll) // other processes may add work
			select {
			case <-w:
			case <-t.C:
				poll = min(poll*2, 200*time.Millisecond)
			case <-ctx.Done():
			}
			t.Stop()
			continue
		}
		poll = 5 * time.Millisecond
		r.process(ctx, reqCtx, e)
		r.signal()
	}
}

// process fetches e, records it and finishes its lease.
func (r *run) process(ctx, reqCtx context.Context, e Entry) {
	bg := context.WithoutCancel(ctx)
	defer r.unclaimRedirects(bg, e.URL) // after Done or Release
	u, err := url.Parse(e.URL)
	page := Page{URL: e.URL, Depth: e.Depth, Parent: e.Parent}
	if err != nil {
		page.Err = err
		r.finish(bg, e, page, "", nil)
		return
	}
	var delay time.Duration
	if r.robots != nil {
		delay, err = r.robots.check(reqCtx, u)
		if err != nil {
			if reqCtx.Err() != nil {
				r.release(bg, e)
				return
			}
			if errors.Is(err, ErrDisallowed) && e.Parent != "" {
				// A link its host's robots.txt, read only now, disallows:
				// not followed, as one whose robots.txt was read already
				// (which the parent counted in Links). It counts toward
				// MaxPages as started.
				r.skip(bg, e, func(s *Stats) { s.Skipped++; s.Links-- })
				return
			}
			page.Err = err
			r.finish(bg, e, page, "", nil)
			return
		}
	}
	delay = max(delay, r.cr.Delay)
	hk := hostKey(u)
	if !r.takeBudget(hk) { // queued before the host's budget was spent
		r.skip(bg, e, func(s *Stats) { s.Skipped++ })
		return
	}
	var j *job
	for attempt := 0; ; attempt++ {
		release, err := r.hosts.acquire(ctx, hk, delay)
		if err != nil { // stopped while waiting for the host
			r.giveBudget(hk)
			r.release(bg, e)
			return
		}
		j = r.fetch(u, e.URL)
		release()
		if reqCtx.Err() != nil {
			r.giveBudget(hk)
			r.release(bg, e)
			return
		}
		if (j.status == http.StatusTooManyRequests || j.status == http.StatusServiceUnavailable) && attempt < r.retries {
			wait := retryAfter(j.header, attempt, r.retryCap)
			r.warn(fmt.Sprintf("%s answered %d: no request to %s for %v", e.URL, j.status, hk, wait))
			r.hosts.backoff(hk, wait)
			continue
		}
		break
	}
	page.Fetched = j.start
	if !j.headAt.IsZero() {
		page.TTFB = j.headAt.Sub(j.start)
	}
	page.Elapsed = time.Since(j.start)
	page.Status = j.status
	page.ContentType = j.header.Get("Content-Type")
	final := ""
	base := u
	if j.final != nil {
		// e.URL is normalized: only another URL needs normalizing.
		if fs := j.final.String(); fs != e.URL {
			if n, err := Normalize(fs); err == nil && n.String() != e.URL {
				page.FinalURL = n.String()
				final = n.String()
				base = j.final
			}
		}
	}
	var body []byte
	if j.resp != nil {
		body = j.resp.Body
	}
	page.Size = len(body)
	switch {
	case j.redirectErr != nil:
		page.Err = j.redirectErr
	case j.tooLarge || int64(len(body)) > r.maxBody:
		page.Err = fmt.Errorf("%w: over %d bytes", fetch.ErrBodyTooLarge, r.maxBody)
		page.Size = int(min(int64(len(body)), r.maxBody))
	case j.status != 0 && (j.status < 200 || j.status > 299):
		page.Err = &fetch.HTTPError{Method: http.MethodGet, URL: base.String(), StatusCode: j.status,
			Status: strconv.Itoa(j.status) + " " + http.StatusText(j.status), Header: j.header, Body: body[:min(len(body), 4096)]}
	case j.err != nil && !errors.Is(j.err, colly.ErrAbortedAfterHeaders):
		page.Err = j.err
	}
	var children []Entry
	if page.Err == nil && !j.notHTML && len(body) > 0 {
		x, decoded := extract(body, page.ContentType, base.String(), r.cr.Images)
		page.Title = x.title
		page.Truncated = x.truncated
		page.Images = x.images
		for _, l := range x.links {
			if l.Tag == "a" || l.Tag == "area" {
				page.Links = append(page.Links, l.URL)
			}
		}
		if len(r.cr.Fields) > 0 {
			if f, err := selectFields(decoded, r.cr.Fields); err == nil {
				page.Fields = f
			}
		}
		children = r.follow(e, x)
	}
	r.finish(bg, e, page, final, children)
}

// follow returns the links of a page the crawl should queue.
func (r *run) follow(e Entry, x extracted) []Entry {
	if r.maxDepth >= 0 && e.Depth+1 > r.maxDepth || x.nofollow && !r.cr.FollowNofollow {
		r.count(func(s *Stats) { s.Skipped += len(x.links) })
		return nil
	}
	out := make([]Entry, 0, len(x.links))
	skipped := 0
	for _, l := range x.links {
		switch l.Tag {
		case "a", "area", "frame", "iframe":
		default:
			continue // <link>: stylesheets, icons, feeds
		}
		if l.NoFollow && !r.cr.FollowNofollow {
			skipped++
			continue
		}
		n, err := Normalize(l.URL)
		if err != nil {
			skipped++
			continue
		}
		s := n.String()
		if len(s) > r.maxURL || !r.inScope(n, s) || r.robots != nil && r.robots.disallowedNow(n) || r.budgetSpent(hostKey(n)) {
			skipped++
			continue
		}
		out = append(out, Entry{URL: s, Depth: e.Depth + 1, Parent: e.URL})
	}
	r.count(func(st *Stats) { st.Skipped += skipped })
	return out
}

// takeBudget counts one page fetched from hk, unless its MaxPagesPerHost
// budget is spent.
func (r *run) takeBudget(hk string) bool {
	if r.cr.MaxPagesPerHost <= 0 {
		return true
	}
	r.budgetMu.Lock()
	defer r.budgetMu.Unlock()
	if r.perHost == nil {
		r.perHost = map[string]int{}
	}
	if r.perHost[hk] >= r.cr.MaxPagesPerHost {
		return false
	}
	r.perHost[hk]++
	return true
}

// giveBudget uncounts a page of hk that was not fetched after all.
func (r *run) giveBudget(hk string) {
	if r.cr.MaxPagesPerHost <= 0 {
		return
	}
	r.budgetMu.Lock()
	r.perHost[hk]--
	r.budgetMu.Unlock()
}

// budgetSpent reports whether hk has had its MaxPagesPerHost pages.
func (r *run) budgetSpent(hk string) bool {
	if r.cr.MaxPagesPerHost <= 0 {
		return false
	}
	r.budgetMu.Lock()
	defer r.budgetMu.Unlock()
	return r.perHost[hk] >= r.cr.MaxPagesPerHost
}

func (r *run) inScope(n *url.URL, s string) bool {
	if !r.scope.allows(n) {
		return false
	}
	for _, re := range r.cr.Deny {
		if re.MatchString(s) {
			return false
		}
	}
	if len(r.cr.Allow) == 0 {
		return true
	}
	for _, re := range r.cr.Allow {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

func (r *run) count(f func(*Stats)) {
	r.emitMu.Lock()
	f(&r.stats)
	r.emitMu.Unlock()
}

// finish emits the record and finishes the lease.
func (r *run) finish(ctx context.Context, e Entry, page Page, final string, children []Entry) {
	r.emitMu.Lock()
	r.stats.Pages++
	r.stats.Links += len(children)
	switch {
	case page.Refused():
		r.stats.Refused++
	case page.Err != nil:
		r.stats.Errors++
	}
	if r.cr.OnPage != nil {
		r.cr.OnPage(page)
	}
	var rerr error
	if r.cr.Record != nil {
		rerr = r.cr.Record(page)
	}
	r.emitMu.Unlock()
	if rerr != nil {
		r.release(ctx, e) // owed still
		r.stopWith(fmt.Errorf("crawl: recording %s: %w", page.URL, rerr))
		return
	}
	if err := r.store.Done(ctx, e, final, r.hold(children)); err != nil {
		r.fail(err)
	}
}

// skip drops a queued page unfetched and unrecorded: counted by count,
// and done in the store.
func (r *run) skip(ctx context.Context, e Entry, count func(*Stats)) {
	r.count(count)
	if err := r.store.Done(ctx, e, "", nil); err != nil {
		r.fail(err)
	}
}

// release gives an unfinished page back to the store.
func (r *run) release(ctx context.Context, e Entry) {
	if err := r.store.Release(ctx, e); err != nil {
		r.fail(err)
	}
}

// fetch gets u through colly for the entry whose URL is page.
func (r *run) fetch(u *url.URL, page string) *job {
	j := &job{id: strconv.FormatUint(r.jobID.Add(1), 10), page: page, start: time.Now()}
	j.deadline = j.start.Add(r.pageTimeout)
	r.jobs.Store(j.id, j)
	defer r.jobs.Delete(j.id)
	err := r.c.Request(http.MethodGet, u.String(), nil, nil, http.Header{jobHeader: {j.id}, "User-Agent": {r.c.UserAgent}})
	if err != nil && j.err == nil && j.resp == nil {
		j.err = err
	}
	if j.header == nil {
		j.header = http.Header{}
	}
	if j.contentType != nil {
		j.header["Content-Type"] = j.contentType
	}
	return j
}

func (r *run) jobOf(req *colly.Request) *job {
	if req == nil || req.Headers == nil {
		return nil
	}
	v, ok := r.jobs.Load(req.Headers.Get(jobHeader))
	if !ok {
		return nil
	}
	return v.(*job)
}

// onHead records the final response's head and stops reading a body that
// is not HTML or is declared too large.
func (r *run) onHead(resp *colly.Response) {
	j := r.jobOf(resp.Request)
	if j == nil {
		return
	}
	j.headAt = time.Now()
	j.status = resp.StatusCode
	if resp.Headers != nil && *resp.Headers != nil {
		j.header = *resp.Headers // the response's own: colly keeps no other use of it
	} else {
		j.header = http.Header{}
	}
	j.final = resp.Request.URL
	// Keep colly from decoding the body (fixCharset): without a
	// Content-Type it leaves the bytes alone, and the crawl decodes them
	// once, with parse.Decode. (Forcing its ResponseCharacterEncoding to
	// utf-8 instead copies every body and turns the bytes of a Latin-1
	// page into U+FFFD before they are decoded.) fetch puts the header
	// back when colly is done.
	j.contentType = j.header["Content-Type"]
	delete(j.header, "Content-Type")
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		ct := ""
		if len(j.contentType) > 0 {
			ct = strings.ToLower(j.contentType[0])
		}
		if ct != "" && !strings.Contains(ct, "html") {
			j.notHTML = true
			resp.Request.Abort()
			return
		}
	}
	if n, err := strconv.ParseInt(j.header.Get("Content-Length"), 10, 64); err == nil && n > r.maxBody {
		j.tooLarge = true
		resp.Request.Abort()
	}
}

// checkRedirect is colly's redirect handler: every hop is normalized and
// checked against the limit, the scope, the patterns and robots.txt; a
// refused hop ends the chain with its 3xx response, recorded with the
// reason.
func (r *run) checkRedirect(req *http.Request, via []*http.Request) error {
	j := r.jobOfHeader(via[0].Header)
	refuse := func(err error) error {
		if j != nil {
			j.redirectErr = err
			return http.ErrUseLastResponse
		}
		return err
	}
	if len(via) > r.redirects {
		// The page keeps its last 3xx, and the error names the hop's
		// absolute URL (net/http's would name the raw Location).
		return refuse(fmt.Errorf("redirect to %s: %w: more than %d", req.URL.Redacted(), fetch.ErrTooManyRedirects, r.redirects))
	}
	n, err := Normalize(req.URL.String())
	if err != nil {
		return refuse(fmt.Errorf("redirect: %w", err))
	}
	s := n.String()
	if !r.inScope(n, s) {
		return refuse(fmt.Errorf("redirect to %s: %w", s, ErrOutOfScope))
	}
	if r.robots != nil {
		if _, err := r.robots.check(req.Context(), n); err != nil {
			return refuse(fmt.Errorf("redirect to %s: %w", s, err))
		}
	}
	first, _ := Normalize(via[0].URL.String())
	if first == nil || s != first.String() {
		if seen, err := r.store.Seen(req.Context(), s); err != nil {
			return err
		} else if seen || j != nil && !r.claimRedirect(s, j.page) {
			return refuse(fmt.Errorf("redirect to %s: %w", s, ErrAlreadySeen))
		}
	}
	req.URL = n
	req.Host = ""
	return nil
}

// claimRedirect records that the page page was redirected to target and
// reports whether no other page in flight was.
func (r *run) claimRedirect(target, page string) bool {
	r.redirectMu.Lock()
	defer r.redirectMu.Unlock()
	if owner, ok := r.redirected[target]; ok {
		return owner == page // a retry of the same page
	}
	if r.redirected == nil {
		r.redirected, r.held = map[string]string{}, map[string][]Entry{}
	}
	r.redirected[target] = page
	return true
}

// hold returns the children to push now: those to a redirect target of
// a page in flight wait for that page (in held).
func (r *run) hold(children []Entry) []Entry {
	r.redirectMu.Lock()
	defer r.redirectMu.Unlock()
	if len(r.redirected) == 0 {
		return children
	}
	return slices.DeleteFunc(children, func(c Entry) bool {
		if _, ok := r.redirected[c.URL]; ok {
			r.held[c.URL] = append(r.held[c.URL], c)
			return true
		}
		return false
	})
}

// unclaimRedirects forgets the redirect targets of page, and pushes the
// links that waited for them: the store drops those the page's fetch
// made seen, and queues those it did not (the fetch failed, or the page
// was given back).
func (r *run) unclaimRedirects(ctx context.Context, page string) {
	r.redirectMu.Lock()
	var waited []Entry
	for target, owner := range r.redirected {
		if owner == page {
			delete(r.redirected, target)
			waited = append(waited, r.held[target]...)
			delete(r.held, target)
		}
	}
	r.redirectMu.Unlock()
	if len(waited) > 0 {
		if _, err := r.store.Push(ctx, waited...); err != nil {
			r.fail(err)
		}
	}
}

// deadlineOf returns the deadline of the page a request belongs to.
func (r *run) deadlineOf(h http.Header) time.Time {
	if j := r.jobOfHeader(h); j != nil {
		return j.deadline
	}
	return time.Time{}
}

func (r *run) jobOfHeader(h http.Header) *job {
	v, ok := r.jobs.Load(h.Get(jobHeader))
	if !ok {
		return nil
	}
	return v.(*job)
}

// retryAfter is the wait a 429 or 503 asks for (Retry-After in seconds or
// as a date), or 1s doubling with each attempt, capped.
func retryAfter(h http.Header, attempt int, limit time.Duration) time.Duration {
	d := time.Second << attempt
	if ra, ok := retryafter.Parse(h.Get("Retry-After"), time.Now()); ok {
		d = ra
	}
	return max(0, min(d, limit))
}

// hosts spaces and bounds the requests to each host.
type hosts struct {
	per    int
	jitter time.Duration
	mu     sync.Mutex
	m      map[string]*hostState
}

type hostState struct {
	sem  chan struct{}
	next time.Time
}

func (h *hosts) state(key string) *hostState {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.m == nil {
		h.m = map[string]*hostState{}
	}
	st := h.m[key]
	if st == nil {
		st = &hostState{sem: make(chan struct{}, h.per)}
		h.m[key] = st
	}
	return st
}

// acquire takes one of key's slots and waits for its turn, delay after
// the previous request's start (plus jitter).
func (h *hosts) acquire(ctx context.Context, key string, delay time.Duration) (func(), error) {
	st := h.state(key)
	select {
	case st.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	release := func() { <-st.sem }
	h.mu.Lock()
	now := time.Now()
	at := st.next
	if at.Before(now) {
		at = now
	}
	gap := delay
	if h.jitter > 0 {
		gap += rand.N(h.jitter)
	}
	if gap > 0 || st.next.After(now) {
		st.next = at.Add(gap)
	}
	h.mu.Unlock()
	if wait := time.Until(at); wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			release()
			return nil, ctx.Err()
		}
	}
	return release, nil
}

// backoff keeps key idle for d.
func (h *hosts) backoff(key string, d time.Duration) {
	st := h.state(key)
	h.mu.Lock()
	if t := time.Now().Add(d); t.After(st.next) {
		st.next = t
	}
	h.mu.Unlock()
}
