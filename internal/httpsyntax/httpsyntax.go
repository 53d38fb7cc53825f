// Package httpsyntax reads pieces of HTTP field values (RFC 9110 §5.6)
// for the packages that parse them by hand: auth's challenges and
// htmlcharset's Content-Type. Tokens are x/net's httpguts.
package httpsyntax

import "strings"

// Quoted reads the quoted-string starting at s[i] == '"' and returns its
// content, backslash escapes removed, and the index after the closing
// quote; one not closed runs to the end of s (len(s)), and a backslash
// that ends s is kept.
func Quoted(s string, i int) (string, int) {
	i++
	start := i
	for i < len(s) && s[i] != '"' && s[i] != '\\' {
		i++
	}
	if i < len(s) && s[i] == '"' {
		return s[start:i], i + 1 // no escapes: no copy
	}
	var b strings.Builder
	b.WriteString(s[start:i])
	for i < len(s) {
		switch c := s[i]; {
		case c == '"':
			return b.String(), i + 1
		case c == '\\' && i+1 < len(s):
			b.WriteByte(s[i+1])
			i += 2
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), i
}
