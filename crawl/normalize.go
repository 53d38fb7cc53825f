package crawl

import (
	"cmp"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/publicsuffix"

	"github.com/grabhq/grab/internal/redact"
	"github.com/grabhq/grab/internal/urlpath"
	"github.com/grabhq/grab/internal/webhost"
	"github.com/grabhq/grab/urlx"
)

// Normalize returns the form of raw a crawl fetches and deduplicates on:
// read as CPython's urlsplit reads it (urlx: tabs and newlines removed,
// leading spaces stripped), scheme http or https, host in its IDNA lookup
// form, lower-case and without a trailing dot ("LOCALHOST.", fullwidth
// "ｌｏｃａｌｈｏｓｔ" and "localhost" are one host), an IP address as a
// browser writes it ("0x7f.1" is 127.0.0.1, and a host that ends in a
// number but is no IPv4 address is an error, as is an IPv6 zone,
// ErrZone), no default port,
// dot segments removed, an empty path made "/", percent-escapes upper-case
// and those of unreserved characters decoded, no fragment, no empty query,
// no userinfo (a page is one page whoever asks for it: Crawler.Run keeps a
// seed's user:password as its origin's credentials, see logins). The query
// is kept as it is: its order can matter to the server.
func Normalize(raw string) (*url.URL, error) {
	u, err := normalize(raw)
	if u != nil {
		u.User = nil
	}
	return u, err
}

// normalize is Normalize keeping raw's userinfo.
func normalize(raw string) (*url.URL, error) {
	if len(raw) > urlx.MaxLength {
		return nil, fmt.Errorf("crawl: URL of %d bytes: %w", len(raw), urlx.ErrTooLong)
	}
	sr, err := urlx.Split(raw)
	if err != nil {
		return nil, fmt.Errorf("crawl: %w", err)
	}
	scheme := strings.ToLower(sr.Scheme)
	if scheme != "http" && scheme != "https" {
		return nil, fmt.Errorf("crawl: %s: %w", clip(raw), ErrScheme)
	}
	if sr.Netloc == "" {
		return nil, fmt.Errorf("crawl: %s: no host", clip(raw))
	}
	if hn, _ := sr.Hostname(); !utf8.ValidString(hn) {
		return nil, fmt.Errorf("crawl: %s: host is not valid UTF-8", clip(raw))
	}
	host, err := sr.ASCIIHostname()
	if err != nil {
		return nil, fmt.Errorf("crawl: %s: %w", clip(raw), err)
	}
	host = strings.TrimRight(host, ".")
	if host == "" {
		return nil, fmt.Errorf("crawl: %s: no host", clip(raw))
	}
	port, hasPort, err := sr.Port()
	if err != nil {
		return nil, fmt.Errorf("crawl: %s: %w", clip(raw), err)
	}
	sr.Scheme = scheme
	sr.Fragment = ""
	u, err := sr.URL()
	if err != nil {
		return nil, fmt.Errorf("crawl: %s: %w", clip(raw), err)
	}
	// An IP address is written one way, as a browser writes it, so that
	// "0x7f.1" and "127.0.0.1" are one host.
	hp := host
	switch {
	case strings.Contains(host, ":"): // IPv6, as ASCIIHostname checked
		a, err := netip.ParseAddr(host)
		if err != nil {
			return nil, fmt.Errorf("crawl: %s: %w", clip(raw), err)
		}
		if a.Zone() != "" {
			// The WHATWG URL parser colly queues with refuses one, as
			// browsers do: said here, once, not as a failed page.
			return nil, fmt.Errorf("crawl: %s: %w", clip(raw), ErrZone)
		}
		hp = "[" + webhost.IPv6(a) + "]"
	default:
		var ok bool
		if hp, ok = webhost.Canon(host); !ok {
			return nil, fmt.Errorf("crawl: %s: host %q ends in a number but is no IPv4 address", clip(raw), host)
		}
	}
	if hasPort && !(scheme == "http" && port == 80 || scheme == "https" && port == 443) {
		hp += ":" + strconv.Itoa(port)
	}
	u.Host = hp
	u.Fragment, u.RawFragment = "", ""
	// Escapes first, so that an escaped dot segment ("%2e%2e") is removed
	// too: left in, it would pass the scope and robots.txt checks made on
	// this path and be resolved by the server (HOSTILE.md M2).
	p := removeDots(urlpath.NormEscapes(u.EscapedPath()))
	if p == "" {
		p = "/"
	}
	dp := p
	if strings.IndexByte(p, '%') >= 0 {
		if dp, err = url.PathUnescape(p); err != nil {
			return nil, fmt.Errorf("crawl: %s: path: %w", clip(raw), err)
		}
	}
	u.Path, u.RawPath = dp, p
	u.ForceQuery = false
	return u, nil
}

// ErrScheme reports a URL whose scheme is not http or https.
var ErrScheme = errors.New("not an http or https URL")

// ErrZone reports a URL whose IPv6 host has a zone ("[fe80::1%25eth0]"),
// which the WHATWG URL parser the crawl queues with refuses, as browsers
// do.
var ErrZone = errors.New("an IPv6 zone (%25...) cannot be crawled: the WHATWG URL parser refuses it")

// clip shortens a URL for an error message, its password masked.
func clip(s string) string {
	s = redact.String(s)
	if len(s) > 200 {
		return strconv.Quote(s[:200]) + "..."
	}
	return strconv.Quote(s)
}

// removeDots is RFC 3986 §5.2.4 remove_dot_segments on an escaped path.
func removeDots(p string) string {
	if !hasDotSegment(p) {
		return p
	}
	var out []string
	segs := strings.Split(p, "/")
	for i, s := range segs {
		last := i == len(segs)-1
		switch s {
		case ".":
			if last {
				out = append(out, "")
			}
		case "..":
			if len(out) > 1 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, s)
		}
	}
	r := strings.Join(out, "/")
	if strings.HasPrefix(p, "/") && !strings.HasPrefix(r, "/") {
		r = "/" + r
	}
	return r
}

// hasDotSegment reports whether one of p's segments is "." or "..".
func hasDotSegment(p string) bool {
	for len(p) > 0 {
		seg := p
		if i := strings.IndexByte(p, '/'); i >= 0 {
			seg, p = p[:i], p[i+1:]
		} else {
			p = ""
		}
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

// Scope says which URLs a crawl may follow, relative to its seeds.
type Scope int

const (
	// ScopeHost: the host of a seed, and its port when not the scheme's
	// default (wget -r's default). http://h and https://h are one host,
	// so a site's upgrade to https stays in scope, as in wget and colly.
	ScopeHost Scope = iota
	// ScopeDomain: a host under the registrable domain of a seed
	// (example.co.uk for www.example.co.uk, by the public suffix list);
	// an IP address or a single-label host is its own domain. Any port.
	ScopeDomain
	// ScopePrefix: a URL under the directory of a seed, on its host as
	// ScopeHost reads it (wget's --no-parent).
	ScopePrefix
	// ScopeAny: every http and https URL (the other filters still apply).
	ScopeAny
)

// ParseScope reads "host", "domain", "prefix" or "any".
func ParseScope(s string) (Scope, error) {
	switch strings.ToLower(s) {
	case "host", "":
		return ScopeHost, nil
	case "domain":
		return ScopeDomain, nil
	case "prefix":
		return ScopePrefix, nil
	case "any":
		return ScopeAny, nil
	}
	return 0, fmt.Errorf("crawl: scope %q: want host, domain, prefix or any", s)
}

// String returns the name ParseScope reads.
func (s Scope) String() string {
	switch s {
	case ScopeHost:
		return "host"
	case ScopeDomain:
		return "domain"
	case ScopePrefix:
		return "prefix"
	case ScopeAny:
		return "any"
	}
	return "Scope(" + strconv.Itoa(int(s)) + ")"
}

// scope is a Scope bound to the seeds.
type scope struct {
	kind     Scope
	hosts    map[string]bool // normalized Host of the seeds: port only when not the default (ScopeHost)
	domains  map[string]bool // registrable domains (ScopeDomain)
	prefixes []string        // ScopePrefix
}

func newScope(kind Scope, seeds []*url.URL) *scope {
	s := &scope{kind: kind, hosts: map[string]bool{}, domains: map[string]bool{}}
	for _, u := range seeds {
		site := u.Host // normalized: the default port dropped
		s.hosts[site] = true
		s.domains[domainOf(u.Hostname())] = true
		p := site + cmp.Or(u.EscapedPath(), "/")
		p = p[:strings.LastIndexByte(p, '/')+1]
		s.prefixes = append(s.prefixes, p)
	}
	return s
}

// hostKey is host[:port] with the scheme's default port made explicit, so
// http://h and http://h:80 are one host, and http://h and https://h two.
func hostKey(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}

func domainOf(host string) string {
	if net.ParseIP(host) != nil || !strings.Contains(host, ".") {
		return host
	}
	d, err := publicsuffix.EffectiveTLDPlusOne(host)
	if err != nil {
		return host
	}
	return d
}

// allows reports whether the normalized u is in scope.
func (s *scope) allows(u *url.URL) bool {
	switch s.kind {
	case ScopeHost:
		return s.hosts[u.Host]
	case ScopeDomain:
		h := u.Hostname()
		d := domainOf(h)
		return s.domains[d]
	case ScopePrefix:
		str := u.Host + cmp.Or(u.EscapedPath(), "/")
		for _, p := range s.prefixes {
			if strings.HasPrefix(str, p) {
				return true
			}
		}
		return false
	}
	return true
}
