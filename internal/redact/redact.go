// Package redact hides the secrets of a URL before grab shows it: in an
// error, a log or progress line, a report or a sidecar (HOSTILE.md B*,
// C7, L11). A password in the userinfo becomes "xxxxx", as
// [url.URL.Redacted] does, and so does the value of each query parameter
// named like a secret (token, access_token, api_key, sig, X-Amz-Signature
// and the like); everything else is kept byte for byte, so the URL still
// says which page it was (text that does not parse may lose more, see
// [String]).
package redact

import (
	"errors"
	"net/url"
	"strings"

	"github.com/grabhq/grab/internal/urlpath"
)

// Mask replaces each secret.
const Mask = "xxxxx"

// URL returns u as a string with its secrets masked; nil gives "".
func URL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	if p, ok := c.User.Password(); ok && p != "" {
		c.User = url.UserPassword(c.User.Username(), Mask)
	}
	c.RawQuery = Query(c.RawQuery)
	return c.String()
}

// String is URL for a URL given as text. Text that does not parse as a
// URL has its query's secrets masked, and the password of its userinfo:
// the text between the first ':' after "scheme://" (or from the start,
// for text without one: a bare "user:pass@host:port" too) and the last
// '@', whatever it holds, which may take more than the password, never
// less.
func String(s string) string {
	u, _ := url.Parse(s) // nil when s does not parse
	return Parsed(s, u)
}

// Parsed is String for s already parsed as u (nil: s does not parse),
// without parsing it again.
func Parsed(s string, u *url.URL) string {
	if u != nil && u.Opaque == "" && (u.Scheme != "" || u.User != nil) {
		return URL(u)
	}
	rest, scheme := Plain(s), ""
	if i := strings.Index(rest, "://"); i >= 0 && urlpath.IsScheme(rest[:i]) { // not a "://" in a query
		scheme, rest = rest[:i+3], rest[i+3:]
	}
	// Text that does not parse may hold a password with a raw '/', '?'
	// or '#' ("kim:S3cr#t@proxy"): the password runs from the first ':'
	// to the last '@', whatever lies between (the query's secrets are
	// masked already, should an '@' of the query make this take more).
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		if colon := strings.Index(rest[:at], ":"); colon >= 0 {
			rest = rest[:colon+1] + Mask + rest[at:]
		}
	}
	return scheme + rest
}

// Plain masks the query's secrets of the URL text s, and nothing else:
// for a URL known to hold no password.
func Plain(s string) string {
	q := strings.IndexByte(s, '?')
	if q < 0 {
		return s
	}
	query, frag, hasFrag := strings.Cut(s[q+1:], "#")
	s = s[:q+1] + Query(query)
	if hasFrag {
		s += "#" + frag
	}
	return s
}

// Query masks the values of the secret parameters of a raw query,
// keeping the rest of it byte for byte.
func Query(q string) string {
	if q == "" {
		return q
	}
	var b strings.Builder
	for i, field := range strings.Split(q, "&") {
		if i > 0 {
			b.WriteByte('&')
		}
		name, _, hasValue := strings.Cut(field, "=")
		if hasValue && Secret(name) {
			b.WriteString(name + "=" + Mask)
			continue
		}
		b.WriteString(field)
	}
	return b.String()
}

// Secret reports whether a query parameter named name (raw, as in the
// query) holds a secret: one of the usual names, or one ending in
// "token", "secret", "password", "_key" or "-key", in any case.
func Secret(name string) bool {
	if n, err := url.QueryUnescape(name); err == nil {
		name = n
	}
	name = strings.ToLower(strings.TrimSpace(name))
	switch name {
	case "apikey", "auth", "authorization", "code", "key", "passwd", "pwd", "session", "sessionid",
		"sid", "sig", "signature", "x-amz-credential", "x-amz-signature", "x-goog-credential",
		"x-goog-signature":
		return true // the suffixes below catch the rest (access_token, api_key, ...)
	}
	for _, suffix := range []string{"token", "secret", "password", "_key", "-key"} {
		if strings.HasSuffix(name, suffix) {
			return true
		}
	}
	return false
}

// ParseError returns the reason net/url gives for refusing a URL, without
// the URL (it holds the password) or any part of it: an escape error
// quotes the text it could not read and a port error the port, either of
// which may be part of a password ("kim:S3cr#t@h" has the port "S3cr"),
// so these are described instead. An error that is not net/url's is
// returned as it is: the caller answers for what it says.
func ParseError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ee url.EscapeError
	if errors.As(err, &ee) {
		return "invalid percent-encoding"
	}
	var he url.InvalidHostError
	if errors.As(err, &he) {
		return "invalid character in host"
	}
	if strings.HasPrefix(err.Error(), "invalid port") {
		return "invalid port"
	}
	return err.Error()
}
