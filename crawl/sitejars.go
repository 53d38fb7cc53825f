package crawl

import (
	"bytes"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"

	"golang.org/x/net/publicsuffix"

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

// site is the key of u's jar.
func site(u *url.URL) string {
	h := strings.ToLower(u.Hostname())
	if _, err := netip.ParseAddr(h); err == nil {
		return h
	}
	if s, err := publicsuffix.EffectiveTLDPlusOne(h); err == nil {
		return s
	}
	return h
}

// load returns the jar of site as the Store has it.
func (j *siteJars) load(site string) *cookies.Jar {
	jar := new(cookies.Jar)
	data, err := j.s.jar(site)
	if err == nil && len(data) > 0 {
		err = jar.LoadFrom(bytes.NewReader(data))
	}
	if err != nil {
		j.warn("cookies of " + site + ": " + err.Error())
	}
	return jar
}

func (j *siteJars) Cookies(u *url.URL) []*http.Cookie { return j.load(site(u)).Cookies(u) }

func (j *siteJars) SetCookies(u *url.URL, cs []*http.Cookie) {
	if len(cs) == 0 {
		return
	}
	s := site(u)
	j.mu.Lock()
	defer j.mu.Unlock()
	jar := j.load(s)
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
