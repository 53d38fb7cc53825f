// Package urlpath holds what grab's packages share about the syntax of a
// URL: its scheme, and its escaped path as a server may read it.
package urlpath

import "strings"

// IsScheme reports whether s is a URL scheme (RFC 3986 §3.1): a letter,
// then letters, digits, '+', '-' and '.'.
func IsScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		if !letter && (i == 0 || !('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return s != ""
}

// NormEscapes upper-cases the percent-escapes of p and decodes those of
// unreserved characters (RFC 3986 §6.2.2.2): "%7euser/%2e%2e/a%2fb" is
// "~user/../a%2Fb". An escaped "/" stays escaped, inside its segment.
func NormEscapes(p string) string {
	if !strings.Contains(p, "%") {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c == '%' && i+2 < len(p) && ishex(p[i+1]) && ishex(p[i+2]) {
			v := unhex(p[i+1])<<4 | unhex(p[i+2])
			if unreserved(v) {
				b.WriteByte(v)
			} else {
				b.WriteByte('%')
				b.WriteString(strings.ToUpper(p[i+1 : i+3]))
			}
			i += 2
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// EscapeStrayPercents writes each '%' of s that does not begin an escape
// (two hex digits) as "%25", as wget sends "/100%.html" (curl and CPython
// send it raw, which net/url cannot hold): the server decodes it to the
// '%' meant. "%41" and "%zz" become "%41" and "%25zz".
func EscapeStrayPercents(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteByte(s[i])
		if s[i] == '%' && !(i+2 < len(s) && ishex(s[i+1]) && ishex(s[i+2])) {
			b.WriteString("25")
		}
	}
	return b.String()
}

func ishex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}
