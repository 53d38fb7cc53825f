package cookies

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/grabhq/grab/internal/redact"
)

// Limits of a [Jar]. The Default values apply where the matching
// [Options] field is 0; a negative field switches the limit off. The
// others are rules of RFC 6265bis and of the file formats, not policy, and
// have no option.
const (
	// DefaultMaxPerResponse is how many cookies one SetCookies call (one
	// response) may set; the rest are ignored, as curl does.
	DefaultMaxPerResponse = 50
	// DefaultMaxPerDomain is how many cookies the jar keeps for one
	// registrable domain (eTLD+1, or an IP address or a host that is
	// itself a public suffix); RFC 6265 §6.1 asks for at least 50.
	DefaultMaxPerDomain = 50
	// DefaultMaxTotal is how many cookies the jar keeps in all; RFC 6265
	// §6.1 asks for at least 3000.
	DefaultMaxTotal = 3000
	// DefaultMaxHeaderBytes caps the Cookie header built from the jar for
	// one request: the cookies that would take it further are not sent,
	// the least specific first.
	DefaultMaxHeaderBytes = 8 << 10
	// DefaultMaxFileBytes caps the jar file Load and LoadFrom read; a
	// longer file is an error and nothing of it is loaded.
	DefaultMaxFileBytes = 64 << 20

	// MaxCookieBytes caps a cookie's name and value together; a longer
	// cookie is ignored (RFC 6265bis §5.6).
	MaxCookieBytes = 4096
	// MaxAttrBytes caps a Domain or Path attribute value; a longer one is
	// ignored as if absent (RFC 6265bis §5.6).
	MaxAttrBytes = 1024
	// MaxLifetime caps a cookie's lifetime: a later expiry is moved to
	// MaxLifetime from when the cookie is set or loaded (RFC 6265bis §5.6,
	// as browsers and curl do).
	MaxLifetime = 400 * 24 * time.Hour
	// MaxLineBytes caps a line of a Netscape jar file; a longer line is
	// skipped and reported.
	MaxLineBytes = 64 << 10
)

// Options configures a [Jar] made by [New]. The zero value (or nil) gives
// the defaults.
type Options struct {
	// Block lists domains whose cookies are neither stored nor sent: a
	// cookie whose domain is an entry or under it, and any cookie set by
	// or sent to a host that is an entry or under it. "example.com" and
	// ".example.com" both mean example.com and its subdomains; an IP
	// address matches only itself.
	Block []string
	// Allow, when not empty, lists the only domains whose cookies are
	// stored and sent, with the same matching as Block. Block wins.
	Allow []string

	// MaxPerResponse, MaxPerDomain, MaxTotal and MaxHeaderBytes change
	// DefaultMaxPerResponse, DefaultMaxPerDomain, DefaultMaxTotal and
	// DefaultMaxHeaderBytes; a negative value means no limit.
	MaxPerResponse int
	MaxPerDomain   int
	MaxTotal       int
	MaxHeaderBytes int
	// MaxFileBytes changes DefaultMaxFileBytes; negative means no limit.
	MaxFileBytes int64
}

// Jar is a cookie jar: an [http.CookieJar] that follows RFC 6265bis with
// the public suffix list, lists and clears its cookies, and loads and
// saves them in the Netscape cookies.txt format or as JSON. Its zero
// value is an empty jar with the default options, ready to use:
//
//	client := &http.Client{Jar: new(cookies.Jar)}
//
// A Jar is safe for concurrent use. It must not be copied after first
// use.
type Jar struct {
	mu    sync.Mutex
	pol   policy
	opts  Options                  // the limits; Block and Allow live in pol
	sites map[string]map[id]*entry // siteKey -> cookies
	n     int                      // cookies in sites
	seq   uint64                   // creation order, for equal times
}

// New returns an empty jar with the given options (nil means the
// defaults). It fails only when a Block or Allow entry is not a valid
// domain name or IP address. There is no option to switch the public
// suffix list off.
func New(opts *Options) (*Jar, error) {
	j := new(Jar)
	if opts == nil {
		return j, nil
	}
	pol, err := newPolicy(opts.Block, opts.Allow)
	if err != nil {
		return nil, err
	}
	j.pol = pol
	j.opts = *opts
	j.opts.Block, j.opts.Allow = nil, nil
	return j, nil
}

func limit(v, def int) int {
	switch {
	case v == 0:
		return def
	case v < 0:
		return math.MaxInt
	}
	return v
}

func (j *Jar) maxPerResponse() int { return limit(j.opts.MaxPerResponse, DefaultMaxPerResponse) }
func (j *Jar) maxPerDomain() int   { return limit(j.opts.MaxPerDomain, DefaultMaxPerDomain) }
func (j *Jar) maxTotal() int       { return limit(j.opts.MaxTotal, DefaultMaxTotal) }
func (j *Jar) maxHeaderBytes() int { return limit(j.opts.MaxHeaderBytes, DefaultMaxHeaderBytes) }

func (j *Jar) maxFileBytes() int64 {
	switch v := j.opts.MaxFileBytes; {
	case v == 0:
		return DefaultMaxFileBytes
	case v < 0:
		return math.MaxInt64 - 1 // load reads max+1
	default:
		return v
	}
}

// Cookie is a cookie in the jar, with the attributes the jar keeps.
type Cookie struct {
	Name  string
	Value string
	// Quoted reports that the server sent the value in double quotes;
	// it is sent back quoted.
	Quoted bool
	// Domain is the host a host-only cookie was set by, or the Domain
	// attribute (without its leading dot) of one sent to subdomains too.
	// It is lower case and in IDNA ASCII form.
	Domain string
	// HostOnly reports that the cookie is sent to Domain only, not to
	// its subdomains: it was set without a Domain attribute.
	HostOnly bool
	Path     string
	// Secure cookies are sent over https only (and to loopback hosts).
	Secure bool
	// HttpOnly is kept and saved; it changes nothing for an HTTP client.
	HttpOnly bool
	// SameSite is kept and saved, not enforced (0 when the server gave
	// none or an unknown value).
	SameSite http.SameSite
	// Expires is when the cookie expires; zero for a session cookie,
	// which lives until the jar does (or ClearSession).
	Expires time.Time
	// Creation is when the cookie was first set; a replacement keeps it.
	Creation time.Time
	// LastAccess is when the cookie was last set or sent.
	LastAccess time.Time
}

// Session reports whether c is a session cookie (no expiry).
func (c *Cookie) Session() bool { return c.Expires.IsZero() }

// id is what makes two cookies the same one (RFC 6265bis §5.7).
type id struct {
	name, domain, path string
	hostOnly           bool
}

type entry struct {
	Cookie
	seq uint64
}

func (e *entry) id() id { return id{e.Name, e.Domain, e.Path, e.HostOnly} }

func (e *entry) expired(now time.Time) bool {
	return !e.Expires.IsZero() && !e.Expires.After(now)
}

// origin is the request a cookie comes from or goes to.
type origin struct {
	host   string // canonical
	path   string // escaped path, "/" when empty
	secure bool   // https, or a loopback host
}

func originOf(u *url.URL) (origin, bool) {
	if u == nil {
		return origin{}, false
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return origin{}, false
	}
	host, err := canonHost(u.Hostname())
	if err != nil {
		return origin{}, false
	}
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	return origin{host: host, path: p, secure: scheme == "https" || isLoopback(host)}, true
}

// SetCookies stores the cookies a response from u set, as an
// [http.Client] calls it, ignoring the ones RFC 6265bis, the public
// suffix list, the jar's policy or its limits refuse. Only http and https
// URLs get cookies.
func (j *Jar) SetCookies(u *url.URL, cookies []*http.Cookie) {
	o, ok := originOf(u)
	if !ok {
		return
	}
	now := wallNow()
	j.mu.Lock()
	defer j.mu.Unlock()
	for i, c := range cookies {
		if i >= j.maxPerResponse() {
			break
		}
		if e, deleted, err := j.fromHTTP(o, c, now); err == nil {
			j.insert(e, deleted, o.secure, now)
		}
	}
	j.trim(now)
}

// Set stores c as if a response from u had set it, or reports why the
// jar refuses it. Use it for cookies a program makes itself: a name or
// value with a control character, a ";" or a byte outside ASCII is an
// error here, never sent.
func (j *Jar) Set(u *url.URL, c *http.Cookie) error {
	o, ok := originOf(u)
	if !ok {
		return fmt.Errorf("cookies: set: %v is not an http or https URL with a valid host", redact.URL(u))
	}
	now := wallNow()
	j.mu.Lock()
	defer j.mu.Unlock()
	e, deleted, err := j.fromHTTP(o, c, now)
	if err == nil {
		_, err = j.insert(e, deleted, o.secure, now)
		j.trim(now)
	}
	if err != nil {
		name := ""
		if c != nil {
			name = c.Name
		}
		return fmt.Errorf("cookies: set %q for %s: %w", name, o.host, err)
	}
	return nil
}

// fromHTTP turns a cookie a response from o set into an entry, checking
// it as RFC 6265bis §5.6 and §5.7 do. deleted reports an expiry in the
// past: the cookie removes its namesake rather than being stored.
func (j *Jar) fromHTTP(o origin, c *http.Cookie, now time.Time) (e *entry, deleted bool, err error) {
	if c == nil {
		return nil, false, errors.New("nil cookie")
	}
	if err := checkNameValue(c.Name, c.Value); err != nil {
		return nil, false, err
	}
	e = &entry{Cookie: Cookie{
		Name: c.Name, Value: c.Value, Quoted: c.Quoted,
		Secure: c.Secure, HttpOnly: c.HttpOnly, SameSite: sameSite(c.SameSite),
		Domain: o.host, HostOnly: true,
	}}

	// Domain (RFC 6265 §5.3 steps 4-6, RFC 6265bis §5.7 steps 5-9).
	if d := c.Domain; d != "" && len(d) <= MaxAttrBytes {
		d = strings.TrimPrefix(d, ".")
		if d != "" {
			if strings.HasSuffix(d, ".") {
				return nil, false, fmt.Errorf("domain %q ends with a dot", clip(c.Domain))
			}
			cd, err := canonHost(d)
			switch {
			case err != nil:
				return nil, false, fmt.Errorf("domain %q: %w", clip(c.Domain), err)
			case isIPHost(o.host) || isIPHost(cd):
				if cd != o.host {
					return nil, false, fmt.Errorf("domain %q on IP host %s: an IP cookie is host-only", clip(c.Domain), o.host)
				}
			case isPublicSuffix(cd):
				if cd != o.host {
					return nil, false, fmt.Errorf("domain %q is a public suffix", clip(c.Domain))
				}
			case !domainMatch(o.host, cd):
				return nil, false, fmt.Errorf("domain %q does not match host %s", clip(c.Domain), o.host)
			case siteKey(cd) != siteKey(o.host):
				return nil, false, fmt.Errorf("domain %q is above the registrable domain of %s", clip(c.Domain), o.host)
			default:
				e.Domain, e.HostOnly = cd, false
			}
		}
	}

	// Path (RFC 6265 §5.2.4, §5.3 step 7).
	e.Path = c.Path
	if len(e.Path) > MaxAttrBytes || e.Path == "" || e.Path[0] != '/' {
		e.Path = defaultPath(o.path)
	}
	if err := checkPath(e.Path); err != nil {
		return nil, false, err
	}

	// Secure only from a secure origin; prefixes (RFC 6265bis §4.1.3).
	if c.Secure && !o.secure {
		return nil, false, errors.New("a Secure cookie from an insecure origin")
	}
	if err := checkPrefix(c.Name, c.Secure, c.Domain != "", c.Path); err != nil {
		return nil, false, err
	}

	if !j.pol.allowed(o.host) || !j.pol.allowed(e.Domain) {
		return nil, false, errors.New("domain blocked by the jar's policy")
	}

	// Expiry: Max-Age wins over Expires (RFC 6265 §5.3 step 3). A cookie
	// net/http read from a Set-Cookie field (Raw) is read again by RFC
	// 6265's rules, where net/http's differ: Max-Age=007 is 7 seconds and
	// one too large for an int is the longest (net/http drops both, making
	// a session cookie of one that was to last), Max-Age=+60 is no
	// Max-Age; an Expires zone is ignored, the time read as UTC (net/http
	// reads "EST" by the machine's time zone).
	maxAge, expires := c.MaxAge, c.Expires.Round(0)
	if c.Raw != "" {
		maxAge, expires = rawMaxAge(c.Raw), time.Time{}
	}
	if expires.IsZero() && c.RawExpires != "" {
		expires, _ = parseCookieDate(c.RawExpires) // zero when it reads no date
	}
	switch {
	case maxAge < 0:
		return e, true, nil
	case maxAge > 0:
		secs := min(int64(maxAge), int64(MaxLifetime/time.Second))
		e.Expires = now.Add(time.Duration(secs) * time.Second)
	case !expires.IsZero():
		e.Expires = expires
	}
	if !e.Expires.IsZero() {
		if !e.Expires.After(now) {
			return e, true, nil
		}
		if limit := now.Add(MaxLifetime); e.Expires.After(limit) {
			e.Expires = limit
		}
	}
	return e, false, nil
}

func sameSite(s http.SameSite) http.SameSite {
	switch s {
	case http.SameSiteLaxMode, http.SameSiteStrictMode, http.SameSiteNoneMode:
		return s
	}
	return 0
}

var errOverwriteSecure = errors.New("an insecure origin may not overwrite a Secure cookie")

// insert stores e (or, when deleted, removes its namesake) in the jar,
// applying the rule that an insecure origin cannot overwrite or shadow a
// Secure cookie, and then the limit per domain. It returns how many
// cookies that limit evicted. The caller applies the limit in all with
// trim, once for all the cookies it inserts: one eviction pass, not one
// a cookie (a file of 100,000 cookies loads in linear time). j.mu is
// held.
func (j *Jar) insert(e *entry, deleted, secureOrigin bool, now time.Time) (evicted int, err error) {
	key := siteKey(e.Domain)
	site := j.sites[key]
	// RFC 6265bis §5.7 step 16: leave Secure cookies alone.
	if !e.Secure && !secureOrigin {
		for _, old := range site {
			if old.Name == e.Name && old.Secure && !old.expired(now) &&
				(domainMatch(old.Domain, e.Domain) || domainMatch(e.Domain, old.Domain)) &&
				pathMatch(e.Path, old.Path) {
				return 0, errOverwriteSecure
			}
		}
	}
	k := e.id()
	old := site[k]
	if deleted {
		if old != nil {
			delete(site, k)
			j.n--
			if len(site) == 0 {
				delete(j.sites, key)
			}
		}
		return 0, nil
	}
	e.LastAccess = now
	if old != nil {
		e.Creation, e.seq = old.Creation, old.seq
		site[k] = e
		return 0, nil
	}
	if e.Creation.IsZero() || e.Creation.After(now) {
		e.Creation = now
	}
	j.seq++
	e.seq = j.seq
	if site == nil {
		if j.sites == nil {
			j.sites = make(map[string]map[id]*entry)
		}
		site = make(map[id]*entry)
		j.sites[key] = site
	}
	site[k] = e
	j.n++
	if len(site) > j.maxPerDomain() {
		evicted += j.evict(map[string]map[id]*entry{key: site}, len(site)-j.maxPerDomain(), now)
	}
	return evicted, nil
}

// trim applies the limit in all, in evict's order, and returns how many
// cookies it evicted. j.mu is held.
func (j *Jar) trim(now time.Time) int {
	if j.n <= j.maxTotal() {
		return 0
	}
	return j.evict(j.sites, j.n-j.maxTotal(), now)
}

// evict removes over cookies from the given sites: expired ones first
// (all of them), then those not Secure, then the least recently used; a
// cookie just set can be the one to go. j.mu is held.
func (j *Jar) evict(sites map[string]map[id]*entry, over int, now time.Time) int {
	var live []*entry
	removed := 0
	for _, site := range sites {
		for k, e := range site {
			if e.expired(now) {
				delete(site, k)
				j.n--
				removed++
				over--
				continue
			}
			live = append(live, e)
		}
	}
	if over > 0 {
		order := func(a, b *entry) int {
			if a.Secure != b.Secure {
				if b.Secure {
					return -1
				}
				return 1
			}
			if c := a.LastAccess.Compare(b.LastAccess); c != 0 {
				return c
			}
			return cmp.Compare(a.seq, b.seq)
		}
		if over == 1 {
			// The usual case, one cookie over: a linear search.
			live = []*entry{slices.MinFunc(live, order)}
		} else {
			slices.SortFunc(live, order)
		}
		for _, e := range live[:min(over, len(live))] {
			delete(j.sites[siteKey(e.Domain)], e.id())
			j.n--
			removed++
		}
	}
	for key, site := range sites { // the sites given, not every site in the jar
		if len(site) == 0 {
			delete(j.sites, key)
		}
	}
	return removed
}

// Cookies returns the cookies to send in a request to u, as an
// [http.Client] calls it: those whose domain and path match u, not
// expired, Secure ones only over https or to a loopback host; longer
// paths first, then earlier creation (RFC 6265 §5.4). Cookies that would
// make the header longer than the jar's MaxHeaderBytes are left out,
// from the end of that order.
func (j *Jar) Cookies(u *url.URL) []*http.Cookie {
	var out []*http.Cookie
	j.match(u, true, func(e *entry) {
		out = append(out, &http.Cookie{Name: e.Name, Value: e.Value, Quoted: e.Quoted})
	})
	return out
}

// For returns the cookies [Jar.Cookies] would send to u, in that order,
// with their attributes, without marking them used.
func (j *Jar) For(u *url.URL) []Cookie {
	var out []Cookie
	j.match(u, false, func(e *entry) { out = append(out, e.Cookie) })
	return out
}

// match calls each with the cookies to send to u, in order, under the
// lock (another match may be setting the entries' LastAccess), after
// touching each entry (LastAccess set) when touch is true.
func (j *Jar) match(u *url.URL, touch bool, each func(*entry)) {
	o, ok := originOf(u)
	if !ok || !j.pol.allowed(o.host) {
		return
	}
	now := wallNow()
	j.mu.Lock()
	defer j.mu.Unlock()
	key := siteKey(o.host)
	site := j.sites[key]
	var sel []*entry
	for k, e := range site {
		if e.expired(now) {
			delete(site, k)
			j.n--
			continue
		}
		if e.HostOnly && e.Domain != o.host || !e.HostOnly && !domainMatch(o.host, e.Domain) {
			continue
		}
		if !pathMatch(o.path, e.Path) || e.Secure && !o.secure || !j.pol.allowed(e.Domain) {
			continue
		}
		sel = append(sel, e)
	}
	if site != nil && len(site) == 0 {
		delete(j.sites, key)
	}
	slices.SortFunc(sel, func(a, b *entry) int {
		if c := cmp.Compare(len(b.Path), len(a.Path)); c != 0 {
			return c
		}
		if c := a.Creation.Compare(b.Creation); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
	size, max := 0, j.maxHeaderBytes()
	for i, e := range sel {
		n := headerLen(e)
		if i > 0 {
			n += len("; ")
		}
		if n > max-size {
			sel = sel[:i]
			break
		}
		size += n
	}
	for _, e := range sel {
		if touch {
			e.LastAccess = now
		}
		each(e)
	}
}

// headerLen is the length of name=value as net/http writes it in a
// Cookie header (quoted when Quoted or when the value has a space or a
// comma).
func headerLen(e *entry) int {
	n := len(e.Name) + 1 + len(e.Value)
	if e.Quoted || strings.ContainsAny(e.Value, " ,") {
		n += 2
	}
	return n
}

// All returns every cookie in the jar that has not expired, sorted by
// domain, path, name, then host-only before domain cookies.
func (j *Jar) All() []Cookie {
	now := wallNow()
	j.mu.Lock()
	var out []Cookie
	for _, e := range j.liveLocked(now) {
		out = append(out, e.Cookie)
	}
	j.mu.Unlock()
	slices.SortFunc(out, func(a, b Cookie) int {
		return cmp.Or(
			strings.Compare(a.Domain, b.Domain),
			strings.Compare(a.Path, b.Path),
			strings.Compare(a.Name, b.Name),
			boolCompare(b.HostOnly, a.HostOnly),
		)
	})
	return out
}

func boolCompare(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// liveLocked drops the expired cookies and returns the others in creation
// order. j.mu is held.
func (j *Jar) liveLocked(now time.Time) []*entry {
	var out []*entry
	j.removeLocked(func(e *entry) bool {
		if e.expired(now) {
			return true
		}
		out = append(out, e)
		return false
	})
	slices.SortFunc(out, func(a, b *entry) int {
		if c := a.Creation.Compare(b.Creation); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
	return out
}

// removeLocked removes the cookies drop reports true for, and returns how
// many. j.mu is held.
func (j *Jar) removeLocked(drop func(*entry) bool) int {
	n := 0
	for key, site := range j.sites {
		for k, e := range site {
			if drop(e) {
				delete(site, k)
				n++
			}
		}
		if len(site) == 0 {
			delete(j.sites, key)
		}
	}
	j.n -= n
	return n
}

// Len returns the number of cookies in the jar that have not expired.
func (j *Jar) Len() int {
	now := wallNow()
	j.mu.Lock()
	defer j.mu.Unlock()
	j.removeLocked(func(e *entry) bool { return e.expired(now) })
	return j.n
}

// Clear removes every cookie.
func (j *Jar) Clear() {
	j.mu.Lock()
	j.sites, j.n = nil, 0
	j.mu.Unlock()
}

// ClearSession removes the session cookies (those without an expiry),
// as a browser does when it closes, and returns how many.
func (j *Jar) ClearSession() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.removeLocked(func(e *entry) bool { return e.Expires.IsZero() })
}

// ClearDomain removes the cookies whose domain is domain or one of its
// subdomains ("example.com" removes those of www.example.com too; a
// leading dot changes nothing; an IP address matches only itself), and
// returns how many. A domain that is not a valid host name removes none.
func (j *Jar) ClearDomain(domain string) int {
	d, err := canonHost(strings.TrimPrefix(domain, "."))
	if err != nil {
		return 0
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.removeLocked(func(e *entry) bool { return inDomain(e.Domain, d) })
}

// wallNow is the time the jar stamps and compares cookies with: wall
// clock only, so stored times print and save without a monotonic reading.
func wallNow() time.Time { return time.Now().Round(0) }
