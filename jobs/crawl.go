package jobs

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"time"

	"github.com/grabhq/grab/crawl"
	"github.com/grabhq/grab/internal/redact"
)

// discover crawls the job's crawl spec (grab's crawl package: robots.txt,
// scope, depth, per-host limits) and returns the pages it reached with a
// 2xx answer, seeds first, each once, beside the job's fixed URLs. A seed
// that fails other than by 404 or 410 is an error: the crawl could not
// look, so no page it did not find is gone. It runs
// when a new run starts; the pages found are then fetched conditionally
// and classified like fixed targets, so a crawled page costs a second,
// usually 304, request. A resumed run keeps the pages its crawl found.
func (r *Runner) discover(ctx context.Context, j *Job, sess *session) ([]string, error) {
	c := j.Targets.Crawl
	if c == nil {
		return j.Targets.URLs, nil
	}
	o := j.opener(r.Base, sess)
	defer o.CloseIdleConnections()
	o.AllowErrorStatus = false              // crawl records a non-2xx as an *HTTPError
	scope, err := crawl.ParseScope(c.Scope) // "" is ScopeHost
	if err != nil {
		return nil, fmt.Errorf("targets.crawl.scope: %w", err)
	}
	compile := func(field string, list []string) ([]*regexp.Regexp, error) {
		var out []*regexp.Regexp
		for i, s := range list {
			re, err := regexp.Compile(s)
			if err != nil {
				return nil, fmt.Errorf("targets.crawl.%s[%d]: %w", field, i, err)
			}
			out = append(out, re)
		}
		return out, nil
	}
	allow, err := compile("allow", c.Allow)
	if err != nil {
		return nil, err
	}
	deny, err := compile("deny", c.Deny)
	if err != nil {
		return nil, err
	}
	maxPages := c.MaxPages
	if maxPages == 0 {
		maxPages = j.maxItems()
	}
	urls := slices.Clone(j.Targets.URLs)
	var seedErr error // the first seed that failed
	seen := map[string]bool{}
	for _, u := range urls {
		seen[u] = true
	}
	cr := &crawl.Crawler{
		Opener:       o,
		MaxDepth:     max(c.Depth, 1),
		MaxPages:     maxPages,
		Scope:        scope,
		Allow:        allow,
		Deny:         deny,
		IgnoreRobots: c.Robots != nil && !*c.Robots,
		Delay:        time.Duration(c.Delay),
		UserAgent:    j.UserAgent,
		PageTimeout:  o.Timeouts.Total,
		OnPage: func(p crawl.Page) {
			ok := p.Err == nil && p.Status >= http.StatusOK && p.Status < 300
			if ok && !seen[p.URL] {
				seen[p.URL] = true
				urls = append(urls, p.URL)
			}
			// A seed that failed (unreachable, 5xx, robots.txt
			// unavailable) leaves the crawl blind, not the site empty: the
			// pages it did not find are not gone. A 404 or 410 seed is.
			if p.Depth == 0 && !ok && !goneStatus(p.Status) && !p.Refused() && seedErr == nil {
				seedErr = fmt.Errorf("targets.crawl: seed %s: %w", redact.Plain(p.URL), p.Err)
			}
		},
		OnWarning: func(msg string) { r.log().Warn("crawl: "+msg, "job", j.Name) },
	}
	_, err = cr.Run(ctx, c.Seeds...)
	switch {
	case ctx.Err() != nil:
		return nil, context.Cause(ctx) // timeouts.run says so
	case err != nil:
		return nil, fmt.Errorf("crawl: %w", err)
	case seedErr != nil:
		return nil, fmt.Errorf("%w; the run stops before any item is marked gone", seedErr)
	}
	return urls, nil
}

// goneStatus reports a status that says a target is gone: 404 or 410.
func goneStatus(code int) bool {
	return code == http.StatusNotFound || code == http.StatusGone
}
