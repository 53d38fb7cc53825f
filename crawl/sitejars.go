package crawl

import (
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"sync"

	"github.com/grabhq/grab/cookies"
)

// jarStore is a Store that keeps the crawl's cookies: Bolt and Redis, for
// a crawl that resumes or is shared. A site's jar is JSON
// ([cookies.JSON]); a site that has none is empty.
type jarStore interface {
	jar(site string) ([]byte, error)
	setJar(site string, data []byte) error
}

// siteJars is the cookie jar of a crawl on a jarStore: a [cookies.Jar]
// per site (the registrable domain of the host, or the host itself when
// it is an IP address or has none), read from the Store for every request
// and written back after every response that sets cookies. Cookies follow
// RFC 6265 as those of grab get do (Domain shared by the site's hosts,
// Path, Expires and Max-Age, deletion), and a resumed crawl, or another
// process on the same Redis, sends the ones the crawl was given. Writes
// in one process are serialised; two processes setting one site's
// cookies at once keep the last write.
type siteJars struct {
	s    jarStore
	warn func(string) // a Store that failed
	mu   sync.Mutex
}

var _ http.CookieJar = (*siteJars)(nil)

// site is the key of the jar of u, a normalized URL: its registrable
// domain, as ScopeDomain reads it.
func site(u *url.URL) string { return domainOf(u.Hostname()) }

// load returns the jar of site as the Store has it, and whether the
// Store could be read: a jar that could not is empty, and must not be
// written back over the stored one.
func (j *siteJars) load(site string) (*cookies.Jar, bool) {
	jar := new(cookies.Jar)
	data, err := j.s.jar(site)
	if err != nil {
		j.warn("cookies of " + site + " not read: " + err.Error())
		return jar, false
	}
	if len(data) == 0 {
		return jar, true
	}
	err = jar.LoadFrom(bytes.NewReader(data))
	if err != nil {
		j.warn("cookies of " + site + ": " + err.Error())
	}
	// After a *cookies.LoadError the valid cookies are loaded; after
	// another error (too long) none are.
	var le *cookies.LoadError
	return jar, err == nil || errors.As(err, &le)
}

func (j *siteJars) Cookies(u *url.URL) []*http.Cookie {
	jar, _ := j.load(site(u))
	return jar.Cookies(u)
}

func (j *siteJars) SetCookies(u *url.URL, cs []*http.Cookie) {
	if len(cs) == 0 {
		return
	}
	s := site(u)
	j.mu.Lock()
	defer j.mu.Unlock()
	jar, ok := j.load(s)
	if !ok {
		return
	}
	jar.SetCookies(u, cs)
	var b bytes.Buffer
	err := jar.SaveTo(&b, &cookies.SaveOptions{Session: true, Format: cookies.JSON})
	if err == nil {
		err = j.s.setJar(s, b.Bytes())
	}
	if err != nil {
		j.warn("cookies of " + s + " not kept: " + err.Error())
	}
}
