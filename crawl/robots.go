package crawl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/temoto/robotstxt"

	"github.com/grabhq/grab/fetch"
	"github.com/grabhq/grab/internal/httpsyntax"
	"github.com/grabhq/grab/internal/urlpath"
)

// Robots limits and defaults.
const (
	// MaxRobotsBytes is the part of a robots.txt read and parsed (RFC
	// 9309 §2.5 asks for at least 500 KiB); the rest is ignored.
	MaxRobotsBytes = 512 << 10
	// MaxRobotsRedirects is the longest redirect chain followed to a
	// robots.txt (RFC 9309 §2.3.1.2); a longer one counts as no file.
	MaxRobotsRedirects = 5
	// DefaultMaxCrawlDelay caps a robots.txt Crawl-delay (Crawler.MaxCrawlDelay).
	DefaultMaxCrawlDelay = 10 * time.Second
	// DefaultRobotsRetry is how long a robots.txt that could not be read
	// (5xx, 429, no answer) keeps its origin disallowed before it is asked
	// for again.
	DefaultRobotsRetry = time.Minute
	// DefaultRobotsTimeout bounds the fetch of one robots.txt, redirects
	// and body included (Crawler.RobotsTimeout).
	DefaultRobotsTimeout = 30 * time.Second
)

var (
	// ErrDisallowed reports a URL robots.txt disallows.
	ErrDisallowed = errors.New("crawl: disallowed by robots.txt")
	// ErrRobotsUnavailable reports a URL not fetched because its origin's
	// robots.txt could not be read (a 5xx or 429 answer, no answer): RFC
	// 9309 treats the whole origin as disallowed until it can be read.
	ErrRobotsUnavailable = errors.New("crawl: robots.txt unavailable, origin disallowed for now")
)

// robots fetches, caches and consults each origin's robots.txt.
type robots struct {
	open     func(ctx context.Context, req *fetch.Request) (*fetch.Response, error)
	agent    string // product token, lower case
	ua       string // User-Agent sent
	maxDelay time.Duration
	retry    time.Duration
	timeout  time.Duration
	warn     func(string)
	// stop ends a fetch in progress: the run's request context, cancelled
	// once a stopped crawl's grace is over. A page's own context does not
	// end one (others may wait on it).
	stop context.Context

	mu sync.Mutex
	m  map[string]*robotsEntry // origin -> rules
}

type robotsEntry struct {
	ready   chan struct{} // closed when the fields below are set
	rules   []rule
	delay   time.Duration
	err     error // non-nil: origin disallowed (ErrRobotsUnavailable)
	expires time.Time
}

// productToken is the User-Agent's first product name, which robots.txt
// groups are matched against: "grab" for "grab/1.2 (+https://...)".
func productToken(ua string) string {
	if i := strings.IndexAny(ua, "/ "); i >= 0 {
		ua = ua[:i]
	}
	return strings.ToLower(ua)
}

func origin(u *url.URL) string { return u.Scheme + "://" + u.Host }

// check reports whether u may be fetched, and the origin's crawl delay.
// The error is ErrDisallowed, ErrRobotsUnavailable (wrapped with the cause),
// or the context's.
func (r *robots) check(ctx context.Context, u *url.URL) (time.Duration, error) {
	e, err := r.entry(ctx, u)
	if err != nil {
		return 0, err
	}
	if e.err != nil {
		return 0, e.err
	}
	if !allowed(e.rules, robotsPath(u)) {
		return e.delay, ErrDisallowed
	}
	return e.delay, nil
}

// disallowedNow reports whether u is known to be disallowed without fetching
// anything: false when the origin's robots.txt was not read yet or could
// not be read.
func (r *robots) disallowedNow(u *url.URL) bool {
	r.mu.Lock()
	e := r.m[origin(u)]
	r.mu.Unlock()
	if e == nil {
		return false
	}
	select {
	case <-e.ready:
	default:
		return false
	}
	return e.err == nil && !allowed(e.rules, robotsPath(u))
}

// robotsPath is what robots.txt rules match: the path and query as they
// will be requested, their escapes normalized as the rules' are
// (normPattern), so that %c3%a9 matches %C3%A9 and %7E matches ~ (RFC
// 9309 2.2.2) in the query too.
func robotsPath(u *url.URL) string {
	p := u.EscapedPath()
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	return urlpath.NormEscapes(p)
}

func (r *robots) entry(ctx context.Context, u *url.URL) (*robotsEntry, error) {
	o := origin(u)
	for {
		r.mu.Lock()
		if r.m == nil {
			r.m = map[string]*robotsEntry{}
		}
		e := r.m[o]
		if e != nil {
			select {
			case <-e.ready:
				if !e.expires.IsZero() && time.Now().After(e.expires) {
					delete(r.m, o)
					r.mu.Unlock()
					continue
				}
			default:
			}
			r.mu.Unlock()
			select {
			case <-e.ready:
				return e, nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		e = &robotsEntry{ready: make(chan struct{})}
		r.m[o] = e
		r.mu.Unlock()
		r.load(o, e)
		close(e.ready)
		return e, nil
	}
}

// load fetches o's robots.txt into e, mapping answers as RFC 9309 §2.3.1
// does: 2xx rules; 4xx (but 429) no rules; 429, 5xx and no answer the
// whole origin disallowed for r.retry; more than MaxRobotsRedirects
// redirects no rules.
func (r *robots) load(o string, e *robotsEntry) {
	ctx, cancel := context.WithTimeout(r.stop, r.timeout)
	defer cancel()
	target := o + "/robots.txt"
	// unavailable keeps the origin disallowed for r.retry; the error
	// wraps the cause too (a blocked address, a deadline). A fetch the
	// stop ended says nothing of the origin: it is asked again next time.
	unavailable := func(cause error) {
		e.err = fmt.Errorf("%w (%w)", ErrRobotsUnavailable, cause)
		e.expires = time.Now()
		if r.stop.Err() == nil {
			e.expires = e.expires.Add(r.retry)
		}
	}
	for hop := 0; ; hop++ {
		resp, err := r.open(ctx, &fetch.Request{URL: target, Header: http.Header{"User-Agent": {r.ua}}, NoRedirect: true})
		if err != nil {
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err // the URL is the page's origin: no need to repeat it
			}
			unavailable(err)
			return
		}
		code := resp.StatusCode
		if code >= 300 && code < 400 && resp.Header.Get("Location") != "" {
			resp.Close()
			if hop >= MaxRobotsRedirects {
				return // no rules
			}
			next, err := url.Parse(resp.Header.Get("Location"))
			if err != nil {
				return
			}
			cur, _ := url.Parse(target)
			n := cur.ResolveReference(next)
			if n.Scheme != "http" && n.Scheme != "https" {
				return
			}
			target = n.String()
			continue
		}
		switch {
		case code == http.StatusTooManyRequests || code >= 500:
			resp.Close()
			unavailable(errors.New(httpsyntax.Status(resp.Status)))
			return
		case code >= 400:
			resp.Close()
			return // no rules
		case code < 200 || code >= 300:
			resp.Close()
			return
		}
		body, err := io.ReadAll(io.LimitReader(resp, MaxRobotsBytes))
		resp.Close()
		if err != nil {
			unavailable(err)
			return
		}
		// The group is the one named by the crawler's product token
		// (case-insensitive, RFC 9309 §2.2.1), else "*"; its rules are
		// matched by rulesFor and allowed, and temoto reads its
		// Crawl-delay.
		agent := groupFor(body, r.agent)
		e.rules = rulesFor(body, agent)
		if data, err := robotstxt.FromBytes(body); err == nil && data != nil {
			e.delay = data.FindGroup(agent).CrawlDelay
			if e.delay < 0 { // temoto refuses a negative one: seconds*1e9 overflowed
				e.delay = math.MaxInt64
			}
			if e.delay > r.maxDelay {
				if r.warn != nil && r.maxDelay > 0 {
					r.warn(fmt.Sprintf("%s/robots.txt asks for Crawl-delay %v; waiting %v (the cap)", o, e.delay, r.maxDelay))
				}
				e.delay = r.maxDelay
			}
		}
		return
	}
}
