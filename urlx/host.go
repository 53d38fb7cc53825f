package urlx

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"golang.org/x/net/idna"

	"github.com/grabhq/grab/internal/utf8x"
)

// ASCIIHostname returns the host a Go client dials for r: [SplitResult.Hostname]
// in its ASCII (IDNA, UTS #46 lookup) form, as net/http converts a non-ASCII
// host before dialing, so "straße.de" gives "xn--strae-oqa.de" and
// fullwidth "１２７.０.０.１" gives "127.0.0.1". An IPv6 literal comes back
// without brackets, its RFC 6874 zone ("%25eth0") unescaped ("%eth0"). An
// ASCII host is returned lower-cased as it is, as net/http dials it, except
// that an "xn--" label must be valid punycode. An IPvFuture literal
// ("[v1.example.com]", whose Hostname is "v1.example.com" as CPython
// has it) is an error, not a name to look up. A host IDNA refuses (a
// disallowed character such as "%", "⒈" or a space, invalid punycode) is an
// error: no client should dial it.
func (r SplitResult) ASCIIHostname() (string, error) { return asciiHostname(r.Netloc, r.String()) }

// ASCIIHostname is [SplitResult.ASCIIHostname] for a ParseResult.
func (r ParseResult) ASCIIHostname() (string, error) { return asciiHostname(r.Netloc, r.String()) }

func asciiHostname(netloc, rawurl string) (string, error) {
	host, ok := hostname(netloc)
	if !ok {
		return "", &Error{"hostname", rawurl, errors.New("no host")}
	}
	if _, hostport, _ := userinfo(netloc); strings.IndexByte(host, ':') < 0 && strings.IndexByte(hostport, '[') >= 0 {
		if strings.HasPrefix(hostport, "[v") || strings.HasPrefix(hostport, "[V") {
			return "", &Error{"hostname", rawurl, fmt.Errorf("host [%s] is an IPvFuture address, which no client can dial", host)}
		}
		return "", &Error{"hostname", rawurl, fmt.Errorf("bracketed host %q is not an IPv6 address", host)}
	}
	if strings.IndexByte(host, ':') >= 0 { // an IPv6 literal; checked by Split
		if addr, zone, ok := strings.Cut(host, "%"); ok {
			if z, ok := strings.CutPrefix(zone, "25"); ok {
				zone = z
			}
			host = addr + "%" + Unquote(zone)
		}
		return host, nil
	}
	if utf8x.ASCII(host) {
		if i := strings.IndexByte(host, '%'); i >= 0 {
			// net/url decodes a %-escaped host ("caf%C3%A9.com" is
			// café.com) or refuses it ("ex%41mple.com"): no one name.
			esc := host[i:min(i+3, len(host))]
			return "", &Error{"hostname", rawurl, fmt.Errorf("host %s holds a %%-escape (%q), which IDNA refuses", quoteInput(host), esc)}
		}
		for label := range strings.SplitSeq(host, ".") {
			if strings.HasPrefix(label, "xn--") {
				if _, err := idna.Lookup.ToUnicode(label); err != nil {
					return "", &Error{"hostname", rawurl, fmt.Errorf("invalid IDNA label %q: %w", label, err)}
				}
			}
		}
		return host, nil
	}
	a, err := idna.Lookup.ToASCII(host)
	if err != nil {
		return "", &Error{"hostname", rawurl, fmt.Errorf("host %q has no IDNA form: %w", host, err)}
	}
	return a, nil
}

// URL converts r to a *url.URL by parsing [Unsplit](r) with net/url, and
// refuses the conversion when the two packages would disagree on the host
// to dial, so that a URL checked with urlx is never sent somewhere else
// (HOSTILE.md K1). The differences a caller meets:
//
//   - net/url refuses what CPython accepts: spaces, backslashes and most
//     other punctuation in the host, a port that is not all digits ("+80",
//     "0x50"), percent-escapes of ASCII bytes in the host, an IPv6 zone
//     not written "%25", invalid escapes such as "%zz" in the path;
//   - net/url decodes percent-escapes of non-ASCII bytes in the host
//     ("%C3%A9" dials "é") where CPython keeps them: URL refuses such a host;
//   - net/url keeps the host's case (DNS ignores it); urlx lower-cases it;
//   - a URL with no netloc whose path starts with "//" ("http:////h/x")
//     is written back with "h" as its netloc, which net/url dials: URL
//     refuses it.
func (r SplitResult) URL() (*url.URL, error) {
	s := r.String()
	u, err := url.Parse(s)
	if err != nil {
		return nil, &Error{"url", s, fmt.Errorf("net/url refuses it: %w", errors.Unwrap(err))}
	}
	if r.Netloc == "" {
		// "http:////evil.example/x" has no netloc and the path
		// "//evil.example/x", which Unsplit writes back as a netloc.
		if u.Host != "" || u.User != nil {
			return nil, &Error{"url", s, fmt.Errorf("the URL has no netloc, but net/url reads one (host %q) in its path", u.Host)}
		}
		return u, nil
	}
	want, err := r.ASCIIHostname()
	if err != nil {
		return nil, err
	}
	got, err := dialHost(u)
	if err != nil || !strings.EqualFold(got, want) {
		return nil, &Error{"url", s, fmt.Errorf("net/url would dial host %q, not %q", got, want)}
	}
	return u, nil
}

// URL is [SplitResult.URL] for a ParseResult.
func (r ParseResult) URL() (*url.URL, error) {
	return SplitResult{r.Scheme, r.Netloc, joinParams(r.Path, r.Params), r.Query, r.Fragment}.URL()
}

func joinParams(path, params string) string {
	if params == "" {
		return path
	}
	return path + ";" + params
}

// dialHost is the host net/http dials for u: DialHostname of its Hostname.
func dialHost(u *url.URL) (string, error) { return DialHostname(u.Hostname()) }

// DialHostname returns host (a name without port or brackets) as a Go
// client dials it: as it is when ASCII, else in its IDNA form (UTS #46
// lookup, as net/http converts it), or an error when it has none.
func DialHostname(host string) (string, error) {
	if utf8x.ASCII(host) {
		return host, nil
	}
	return idna.Lookup.ToASCII(host)
}

// FromURL returns the parts of u as [Split] would find them in u.String(),
// taking the escaped forms of the path and fragment, but the host as u
// holds it: net/url decodes a host's percent-escapes ("caf%C3%A9.example"
// is "café.example", which u.String() escapes again), and the decoded host
// is the one net/http dials, and whose [SplitResult.ASCIIHostname] is its
// IDNA form. An opaque URL ("mailto:a@b") keeps its opaque part as the path.
func FromURL(u *url.URL) SplitResult {
	r := SplitResult{Scheme: u.Scheme, Query: u.RawQuery, Fragment: u.EscapedFragment()}
	if u.Opaque != "" {
		r.Path = u.Opaque
		return r
	}
	r.Path = u.EscapedPath()
	if u.Host != "" || u.User != nil {
		var b strings.Builder
		if u.User != nil {
			b.WriteString(u.User.String())
			b.WriteByte('@')
		}
		host := u.Host
		if i := strings.Index(host, "%"); i >= 0 && strings.HasPrefix(host, "[") {
			host = host[:i] + "%25" + host[i+1:] // RFC 6874 zone
		}
		b.WriteString(host)
		r.Netloc = b.String()
	}
	return r
}

// Validate reports the first character of rawurl that must not go on the
// wire in a request line: a C0 control (NUL, tab, CR, LF, ...), a space or
// DEL, naming it and its byte offset; and a URL longer than [MaxLength].
// [Split] removes tabs and newlines and strips leading controls silently,
// as CPython does (CVE-2022-0391, CVE-2023-24329); a client that must not
// send a URL other than the one it was given checks it with Validate
// first (HOSTILE.md A1, K3). Percent-escapes such as "%0d%0a" are not
// decoded: they stay escaped on the wire.
func Validate(rawurl string) error {
	if len(rawurl) > MaxLength {
		return tooLong("validate", rawurl)
	}
	for i := 0; i < len(rawurl); i++ {
		if c := rawurl[i]; c <= ' ' || c == 0x7f {
			return &Error{"validate", rawurl, fmt.Errorf("%s at byte %d", charName(c), i)}
		}
	}
	return nil
}

func charName(c byte) string {
	switch c {
	case ' ':
		return "space"
	case '\t':
		return "tab"
	case '\r':
		return "carriage return (CR)"
	case '\n':
		return "line feed (LF)"
	case 0:
		return "NUL"
	case 0x7f:
		return "DEL"
	}
	return fmt.Sprintf("control character %#02x", c)
}
