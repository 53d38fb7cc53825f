package crawl

import (
	"net/url"

	"github.com/grabhq/grab/fetch"
)

// logins are the seeds' userinfo by origin: the credentials the crawl
// sends to that origin. Each request to it (robots.txt, pages, redirect
// hops) goes to the Opener with them in its URL, so fetch's rules for a
// URL's user:password apply as in grab get: Basic with the first request,
// a Digest challenge answered, a handler with its own credentials for the
// origin (curl's -u) winning, a login alone looked up by a netrc handler.
// The first seed of an origin that has userinfo names them. Page URLs,
// records and Store entries never carry them: Normalize drops userinfo,
// so a page is one page whoever asks for it.
type logins map[string]*url.Userinfo

// take moves u's userinfo, if any, into l for u's origin, unless an
// earlier seed gave that origin one.
func (l *logins) take(u *url.URL) {
	if u.User == nil {
		return
	}
	if *l == nil {
		*l = logins{}
	}
	if o := origin(u); (*l)[o] == nil {
		(*l)[o] = u.User
	}
	u.User = nil
}

// userinfo returns the userinfo of the normalized URL n's origin, or nil
// when it has none or n has its own.
func (l logins) userinfo(n *url.URL) *url.Userinfo {
	if len(l) == 0 || n.User != nil {
		return nil
	}
	return l[origin(n)]
}

// of returns the normalized URL u with its origin's userinfo, or u
// itself when the origin has none or u has its own.
func (l logins) of(u *url.URL) *url.URL {
	ui := l.userinfo(u)
	if ui == nil {
		return u
	}
	c := *u
	c.User = ui
	return &c
}

// on is of for a robots.txt request, whose URL (a redirect hop) may not
// be normalized: it is sent as it is, with the userinfo added.
func (l logins) on(req *fetch.Request) *fetch.Request {
	if len(l) == 0 {
		return req
	}
	n, err := normalize(req.URL)
	if err != nil {
		return req
	}
	ui := l.userinfo(n)
	if ui == nil {
		return req
	}
	u, err := url.Parse(req.URL)
	if err != nil {
		return req
	}
	u.User = ui
	r := *req
	r.URL = u.String()
	return &r
}
