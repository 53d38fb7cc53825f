package fetch

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"

	"github.com/grabhq/grab/internal/urlpath"
	"github.com/grabhq/grab/internal/utf8x"
	"github.com/grabhq/grab/urlx"
)

// Redirects is the redirect policy (urllib's HTTPRedirectHandler).
//
// Redirects are followed up to Max (0 means DefaultMaxRedirects). 301, 302
// and 303 turn any method but GET and HEAD (a POST, and a PUT or DELETE
// too, as net/http's client does; curl keeps those, and urllib refuses to
// follow them) into a GET without its body or Content-* fields;
// 307 and 308 keep the method and send the body again, but never to another
// origin when the request carried credentials. A redirect to a scheme other
// than http and https (file:, data:, ftp:, javascript:, ...) is refused,
// whatever the Opener can open directly.
//
// Credentials never cross origins: once a hop leaves the first request's
// origin (scheme, host and port, with 80 and 443 as the defaults), the
// Authorization and Cookie fields given with the request, credentials from
// the URL's userinfo, the Referer given with the request and every field
// named in Sensitive are dropped for the rest of the chain, even if it
// comes back. Cookies from the Jar follow the Jar's own rules. fetch sends
// no Referer of its own on a redirect (as urllib and curl).
type Redirects struct {
	// Max is the longest chain followed; 0 means DefaultMaxRedirects, a
	// negative value no limit (timeouts and the context still apply).
	Max int
	// Off returns 3xx responses as they are (then an *HTTPError unless
	// Opener.AllowErrorStatus is set).
	Off bool
	// TrustSubdomains keeps credentials on a redirect to a subdomain of
	// the first host with the same scheme and port, as Go's client does.
	TrustSubdomains bool
	// Sensitive names more header fields to drop when a chain leaves the
	// first origin, such as "X-Api-Key" (HOSTILE.md B7).
	Sensitive []string
}

// DefaultMaxRedirects is the default redirect limit, as Go's client and
// curl's -L.
const DefaultMaxRedirects = 10

// credentialFields are dropped from a chain once it leaves its origin.
var credentialFields = []string{"Authorization", "Cookie", "Referer"}

// carriesCreds reports whether h holds credentials for the origin: an
// Authorization or Cookie field, or one of sensitive.
func carriesCreds(h http.Header, sensitive []string) bool {
	if h.Get("Authorization") != "" || h.Get("Cookie") != "" {
		return true
	}
	for _, f := range sensitive {
		if h.Get(f) != "" {
			return true
		}
	}
	return false
}

// contentFields describe a body; they go when a redirect drops the body.
var contentFields = []string{"Content-Type", "Content-Length", "Content-Encoding", "Content-Language", "Content-Location", "Content-Md5", "Content-Range", "Digest"}

// state is the per-Open record the redirect policy and the exchanges
// share. It is also the Open's context, the one its requests carry:
// Value(stateKey{}) finds it there, with no context.WithValue layer.
type state struct {
	context.Context // the Open's, with its cancellations; set before use

	first    *url.URL
	user     *url.Userinfo // the first URL's, for withUserinfo when the Opener has handlers; else nil
	policy   Redirects
	noFollow bool
	hops     []Hop
	stripped bool
	creds    atomic.Bool // a request of the chain carried credentials (carriesCreds), its caller's or a handler's or the jar's
	referer  bool        // the first request carried a Referer
	timings  *Timings
	cancel   context.CancelCauseFunc // ends the Open
	stop     context.CancelFunc      // of the total timeout, if any
}

// end releases the Open's contexts.
func (s *state) end() {
	if s.stop != nil {
		s.stop()
	}
	s.cancel(nil)
}

type stateKey struct{}

// Value returns s for stateKey{}, and what the Open's context holds for
// any other key.
func (s *state) Value(key any) any {
	if key == (stateKey{}) {
		return s
	}
	return s.Context.Value(key)
}

func stateOf(ctx context.Context) *state {
	s, _ := ctx.Value(stateKey{}).(*state)
	return s
}

// checkRedirect is the Opener's http.Client's CheckRedirect: the policy
// of the Open the request belongs to.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if s := stateOf(req.Context()); s != nil {
		return s.checkRedirect(req, via)
	}
	return nil
}

// checkRedirect is the policy for one Open: it records the hop and
// applies the policy to req, the next request, before it is sent (the
// client has copied the first request's fields into it).
func (s *state) checkRedirect(req *http.Request, via []*http.Request) error {
	prev := via[len(via)-1]
	hop := Hop{Method: prev.Method, URL: prev.URL.Redacted()}
	if r := req.Response; r != nil {
		hop.StatusCode, hop.Status, hop.Location = r.StatusCode, r.Status, r.Header.Get("Location")
	}
	if s.noFollow || s.policy.Off {
		return http.ErrUseLastResponse
	}
	s.hops = append(s.hops, hop)
	max := s.policy.Max
	if max == 0 {
		max = DefaultMaxRedirects
	}
	if max > 0 && len(via) > max {
		return &RedirectError{Err: ErrTooManyRedirects, Reason: fmt.Sprintf("stopped after %d", max), Hops: s.history()}
	}
	// The Location itself (scheme, host, how it resolves) was checked by
	// checkLocation in the exchange that received it: the request goes
	// to the URL checked, its path and query escaped as escapeLocation
	// escaped them (net/url would decode "%2F" and keep raw bytes in the
	// query), a Unicode host in its ASCII form.
	u := req.URL
	if hop.Location != "" {
		if v, err := prev.URL.Parse(escapeLocation(hop.Location)); err == nil {
			u = v
		}
	}
	if v, err := asciiHost(u); err == nil {
		req.URL = v
	}
	if !sameOrigin(s.first, req.URL, s.policy.TrustSubdomains) {
		s.stripped = true
	}
	if s.stripped {
		for _, f := range credentialFields {
			req.Header.Del(f)
		}
		for _, f := range s.policy.Sensitive {
			req.Header.Del(f)
		}
	}
	if req.Body == nil || req.Body == http.NoBody {
		for _, f := range contentFields {
			req.Header.Del(f)
		}
	} else if s.creds.Load() && !sameOrigin(prev.URL, req.URL, false) {
		return &RedirectError{Err: ErrRedirectRefused, Hops: s.history(),
			Reason: fmt.Sprintf("%d would send the request body to another origin (%s)", hop.StatusCode, origin(req.URL))}
	}
	if !s.referer {
		// Go's client adds a Referer of its own; fetch keeps only the caller's.
		req.Header.Del("Referer")
	}
	return nil
}

// checkLocation refuses a redirect the client is about to follow when its
// Location, resolved against the request's URL as RFC 3986 says, is not an
// http or https URL fetch would open directly (HOSTILE.md B11, B12). It
// runs in the exchange, before net/http's client parses the Location
// itself, so a Location net/url cannot parse is a typed error too.
func (s *state) checkLocation(req *http.Request, resp *http.Response) error {
	switch resp.StatusCode {
	case 301, 302, 303, 307, 308:
	default:
		return nil
	}
	loc := resp.Header.Get("Location")
	if loc == "" || s.noFollow || s.policy.Off {
		return nil
	}
	refuse := func(format string, args ...any) error {
		hops := append(s.history(), Hop{Method: req.Method, URL: req.URL.Redacted(), StatusCode: resp.StatusCode, Status: resp.Status, Location: loc})
		return &RedirectError{Err: ErrRedirectRefused, Reason: fmt.Sprintf(format, args...), Hops: hops}
	}
	// A Location with a space or raw non-ASCII bytes is followed escaped,
	// as urllib and browsers follow it.
	esc := escapeLocation(loc)
	next, err := urlx.Join(req.URL.String(), esc)
	if err != nil {
		return refuse("Location %q: %v", loc, urlxCause(err))
	}
	sr, err := urlx.Split(next)
	if err != nil {
		return refuse("Location %q: %v", loc, urlxCause(err))
	}
	if sc := strings.ToLower(sr.Scheme); sc != "http" && sc != "https" {
		return refuse("redirect to scheme %q not allowed", sr.Scheme)
	}
	ours, err := parseURL(next)
	if err != nil {
		return refuse("Location %q: %v", loc, err)
	}
	// net/http's client resolves the Location itself: it must reach the
	// same origin as the resolution checked here (and a Location net/url
	// refuses, a control character in it, is refused here, typed).
	theirs, err := req.URL.Parse(loc)
	if err != nil {
		// A stray '%' in the path ("/100%.html", which curl, wget and
		// CPython follow): net/http's client is handed it escaped.
		if stray := strayLocation(loc); stray != loc {
			if theirs, err = req.URL.Parse(stray); err == nil {
				resp.Header.Set("Location", stray)
			}
		}
	}
	if err == nil {
		theirs, err = asciiHost(theirs)
	}
	if err != nil {
		return refuse("Location %q: %v", loc, err)
	}
	if origin(theirs) != origin(ours) {
		return refuse("Location %q: resolves to %s or %s", loc, origin(ours), origin(theirs))
	}
	return nil
}

// escapeLocation is loc with escapeURL applied past its authority: the
// path, query and fragment. A host stays as sent, for IDNA to map
// ("http://bücher.test/a b" is followed as xn--bcher-kva.test/a%20b).
func escapeLocation(loc string) string {
	head, path, rest := splitLocation(loc)
	return head + escapeURL(urlpath.EscapeStrayPercents(path)+rest)
}

// strayLocation is loc with only the stray '%'s of its path escaped (as
// checkURL escapes a request's): "/100%.html", which net/url refuses.
func strayLocation(loc string) string {
	head, path, rest := splitLocation(loc)
	return head + urlpath.EscapeStrayPercents(path) + rest
}

// splitLocation cuts loc into its scheme and authority, its path, and its
// query and fragment.
func splitLocation(loc string) (head, path, rest string) {
	i := 0
	if scheme, _, ok := strings.Cut(loc, ":"); ok && urlpath.IsScheme(scheme) {
		i = len(scheme) + 1
	}
	if strings.HasPrefix(loc[i:], "//") {
		j := strings.IndexAny(loc[i+2:], "/?#")
		if j < 0 {
			return loc, "", ""
		}
		i += 2 + j
	}
	end := strings.IndexAny(loc[i:], "?#")
	if end < 0 {
		return loc[:i], loc[i:], ""
	}
	return loc[:i], loc[i : i+end], loc[i+end:]
}

func (s *state) history() []Hop { return append([]Hop(nil), s.hops...) }

// asciiHost returns u with its host in the IDNA form fetch sends and
// checks (parseURL's): net/url resolves a Location such as
// "http://bücher.test/" to a Unicode host, which is followed as
// xn--bcher-kva.test, the host checkLocation compared.
func asciiHost(u *url.URL) (*url.URL, error) {
	if utf8x.ASCII(u.Host) {
		return u, nil // ASCII already (the usual case)
	}
	sr, err := urlx.Split("//" + u.Host)
	if err != nil {
		return nil, urlxCause(err)
	}
	host, err := sr.ASCIIHostname()
	if err != nil {
		return nil, urlxCause(err)
	}
	v := *u
	v.Host = hostWithPort(host, u.Port())
	return &v, nil
}

// hostWithPort is host (in brackets when it holds a colon: IPv6, whose
// zone url.URL.Host keeps unescaped) with ":port" unless port is empty:
// the form of url.URL.Host.
func hostWithPort(host, port string) string {
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return host
}

// origin returns scheme://host:port with the default port spelled out.
func origin(u *url.URL) string {
	return strings.ToLower(u.Scheme) + "://" + hostPort(u)
}

func hostPort(u *url.URL) string {
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	port := u.Port()
	if port == "" {
		switch strings.ToLower(u.Scheme) {
		case "http":
			port = "80"
		case "https":
			port = "443"
		}
	}
	return net.JoinHostPort(host, port)
}

// sameOrigin reports whether b has a's scheme, host and port, or, with
// subdomains, a subdomain of a's host with its scheme and port.
func sameOrigin(a, b *url.URL, subdomains bool) bool {
	if origin(a) == origin(b) {
		return true
	}
	if !subdomains || !strings.EqualFold(a.Scheme, b.Scheme) {
		return false
	}
	ha, pa := splitHostPort(a)
	hb, pb := splitHostPort(b)
	return pa == pb && strings.HasSuffix(hb, "."+ha)
}

func splitHostPort(u *url.URL) (string, string) {
	hp := hostPort(u)
	i := strings.LastIndexByte(hp, ':')
	return hp[:i], hp[i+1:]
}
