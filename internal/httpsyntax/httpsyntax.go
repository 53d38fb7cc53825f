// Package httpsyntax reads pieces of HTTP field values (RFC 9110 §5.6)
// for the packages that parse them by hand: auth's challenges,
// htmlcharset's Content-Type, and the CLI's -F values, which curl quotes
// the same way. Tokens are x/net's httpguts. It also checks a request
// before a RoundTripper reads it ([CheckRequest]) and cuts a status line
// for a message ([Status]).
package httpsyntax

import (
	"errors"
	"net/http"
	"strings"
	"unicode/utf8"
)

// CheckRequest returns net/http's error for a request no RoundTripper can
// send (nil, or without a URL or Header), after closing its body as
// RoundTrip must; nil for any other.
func CheckRequest(req *http.Request) error {
	var err error
	switch {
	case req == nil:
		return errors.New("http: nil Request")
	case req.URL == nil:
		err = errors.New("http: nil Request.URL")
	case req.Header == nil:
		err = errors.New("http: nil Request.Header")
	default:
		return nil
	}
	if req.Body != nil {
		req.Body.Close()
	}
	return err
}

// Quoted reads the quoted-string starting at s[i] == '"' and returns its
// content, backslash escapes removed, and the index after the closing
// quote; one not closed runs to the end of s (len(s)), and a backslash
// that ends s is kept.
func Quoted(s string, i int) (string, int) {
	v, end, _ := QuotedClosed(s, i)
	return v, end
}

// QuotedClosed is [Quoted], also reporting whether the closing quote was
// found.
func QuotedClosed(s string, i int) (value string, end int, closed bool) {
	i++
	start := i
	for i < len(s) && s[i] != '"' && s[i] != '\\' {
		i++
	}
	if i < len(s) && s[i] == '"' {
		return s[start:i], i + 1, true // no escapes: no copy
	}
	var b strings.Builder
	b.WriteString(s[start:i])
	for i < len(s) {
		switch c := s[i]; {
		case c == '"':
			return b.String(), i + 1, true
		case c == '\\' && i+1 < len(s):
			b.WriteByte(s[i+1])
			i += 2
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), i, false
}

// maxStatusText is the most of a status line a message quotes.
const maxStatusText = 200

// Status returns the status line s ("404 Not Found") as a message quotes
// it: cut after 200 bytes, at a character boundary, and "..." added. A
// server's reason phrase may run to the head's whole limit (a megabyte);
// the Status field of a response or error keeps it whole.
func Status(s string) string {
	if len(s) <= maxStatusText {
		return s
	}
	i := maxStatusText
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "..."
}
