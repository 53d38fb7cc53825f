package cookies

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"

	"github.com/grabhq/grab/internal/utf8x"
	"github.com/grabhq/grab/internal/webhost"
)

// maxHostBytes bounds a canonical host name: DNS allows 253 bytes, and
// nothing longer can be dialled.
const maxHostBytes = 253

var errBadHost = errors.New("not a valid host name")

// canonHost returns the form of a host (a URL's Hostname, a Domain
// attribute without its leading dot, a jar file's domain) that the jar
// stores and compares: lower case, IDNA ASCII (the name net/http dials),
// one trailing dot removed, and IP addresses in netip's canonical
// spelling. Anything else (empty labels, characters that cannot be in a
// host name, invalid punycode) is an error, and such a host gets no
// cookies at all.
func canonHost(h string) (string, error) {
	h = strings.TrimSuffix(h, ".")
	if h == "" || len(h) > 4*maxHostBytes {
		return "", errBadHost
	}
	if strings.IndexByte(h, ':') >= 0 {
		// Only IPv6 literals hold a colon; url.URL.Hostname has removed
		// the brackets, a Domain attribute may still have them.
		h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
		a, err := netip.ParseAddr(h)
		if err != nil || !a.Is6() {
			return "", errBadHost
		}
		return a.String(), nil
	}
	if a, err := netip.ParseAddr(h); err == nil {
		return a.String(), nil
	}
	if utf8x.ASCII(h) {
		h = strings.ToLower(h)
		if strings.Contains(h, "xn--") {
			// Punycode labels must decode.
			if _, err := idna.Punycode.ToUnicode(h); err != nil {
				return "", errBadHost
			}
		}
	} else {
		if !utf8.ValidString(h) {
			return "", errBadHost
		}
		a, err := idna.Lookup.ToASCII(h)
		if err != nil {
			return "", errBadHost
		}
		h = strings.TrimSuffix(a, ".")
	}
	if len(h) > maxHostBytes {
		return "", errBadHost
	}
	label := 0
	for i := 0; i < len(h); i++ {
		switch c := h[i]; {
		case c == '.':
			if label == 0 {
				return "", errBadHost
			}
			label = 0
			continue
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_':
		default:
			return "", errBadHost
		}
		label++
	}
	if label == 0 {
		return "", errBadHost
	}
	return h, nil
}

// isIPHost reports whether the canonical host h is an IP address, or
// looks like one the way a browser's URL parser sees it: a last label of
// digits (or 0x and hex digits) makes the whole host an IPv4 address,
// such as "127.1" or "0x7f.1". Such hosts only get host-only cookies and
// are never suffix-matched (HOSTILE.md D3).
func isIPHost(h string) bool {
	if _, err := netip.ParseAddr(h); err == nil {
		return true
	}
	return webhost.EndsInNumber(h)
}

// isLoopback reports whether the canonical host h is "localhost", a name
// under ".localhost", or a loopback address: hosts browsers and curl treat
// as secure contexts over plain http.
func isLoopback(h string) bool {
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	a, err := netip.ParseAddr(h)
	return err == nil && a.Unmap().IsLoopback()
}

// isPublicSuffix reports whether the canonical domain d is a public
// suffix: an ICANN or private entry of the public suffix list ("com",
// "co.uk", "github.io"), or a top-level label the list does not know.
func isPublicSuffix(d string) bool {
	ps, _ := publicsuffix.PublicSuffix(d)
	return ps == d
}

// unlistedLabel reports whether the canonical domain d is one label that
// is no entry of the public suffix list ("localhost", not "com"); an IP
// host ("2130706433") is one too, which fromRecord tells apart first.
func unlistedLabel(d string) bool {
	_, icann := publicsuffix.PublicSuffix(d)
	return !icann && !strings.Contains(d, ".")
}

// siteKey returns the bucket the jar keeps host h's cookies in: its
// registrable domain (eTLD+1), or h itself for an IP address and for a
// host that is a public suffix. A cookie's domain always has the same key
// as the hosts it is sent to.
func siteKey(h string) string {
	if isIPHost(h) {
		return h
	}
	ps, _ := publicsuffix.PublicSuffix(h)
	if ps == h || len(ps) >= len(h) {
		return h
	}
	rest := h[:len(h)-len(ps)-1]
	return h[strings.LastIndexByte(rest, '.')+1:]
}

// domainMatch reports whether the canonical host h domain-matches the
// canonical domain d (RFC 6265 §5.1.3): they are equal, or h ends in "."+d
// and is not an IP address.
func domainMatch(h, d string) bool {
	if h == d {
		return true
	}
	return len(h) > len(d) && h[len(h)-len(d)-1] == '.' && h[len(h)-len(d):] == d && !isIPHost(h)
}

// pathMatch reports whether the request path p path-matches the cookie
// path cp (RFC 6265 §5.1.4).
func pathMatch(p, cp string) bool {
	if p == cp {
		return true
	}
	if !strings.HasPrefix(p, cp) {
		return false
	}
	return cp[len(cp)-1] == '/' || p[len(cp)] == '/'
}

// defaultPath returns the default-path of a request path (RFC 6265
// §5.1.4): the directory of the path, or "/".
func defaultPath(p string) string {
	if p == "" || p[0] != '/' {
		return "/"
	}
	i := strings.LastIndexByte(p, '/')
	if i == 0 {
		return "/"
	}
	return p[:i]
}

// policy is a jar's Block and Allow lists in canonical form.
type policy struct {
	block, allow []string
}

func newPolicy(block, allow []string) (policy, error) {
	var p policy
	var err error
	if p.block, err = canonList("Block", block); err != nil {
		return p, err
	}
	p.allow, err = canonList("Allow", allow)
	return p, err
}

func canonList(field string, list []string) ([]string, error) {
	var out []string
	for _, d := range list {
		c, err := canonHost(strings.TrimPrefix(d, "."))
		if err != nil {
			return nil, fmt.Errorf("cookies: Options.%s: %q: %w", field, d, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// allowed reports whether cookies of the canonical domain d may be stored
// and sent.
func (p *policy) allowed(d string) bool {
	for _, b := range p.block {
		if inDomain(d, b) {
			return false
		}
	}
	if len(p.allow) == 0 {
		return true
	}
	for _, a := range p.allow {
		if inDomain(d, a) {
			return true
		}
	}
	return false
}

// inDomain reports whether d is entry or a subdomain of it; an IP address
// only matches itself.
func inDomain(d, entry string) bool {
	if isIPHost(d) || isIPHost(entry) {
		return d == entry
	}
	return domainMatch(d, entry)
}
