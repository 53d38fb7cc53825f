package parse

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// cssURLs calls yield with each url() of the CSS text s, its escapes
// decoded, skipping comments, strings, @import rules and @font-face
// blocks (fonts and style sheets are not images). It stops when yield
// returns false and runs in time linear in s.
func cssURLs(s string, yield func(string) bool) {
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				return
			}
			i += end + 4
		case c == '"' || c == '\'':
			_, i = cssString(s, i)
		case c == '\\':
			i += 2
		case c == '@':
			j := i + 1
			for j < len(s) && isIdent(s[j]) {
				j++
			}
			switch strings.ToLower(s[i+1 : j]) {
			case "import":
				i = skipUntil(s, j, ';', false)
			case "font-face":
				i = skipUntil(s, j, '}', true)
			default:
				i = j
			}
		case (c == 'u' || c == 'U') && i+4 <= len(s) && strings.EqualFold(s[i:i+4], "url(") && (i == 0 || !isIdent(s[i-1])):
			u, next := cssURL(s, i+4)
			i = next
			if u != "" && !yield(u) {
				return
			}
		default:
			i++
		}
	}
}

// isIdent reports whether c can be part of a CSS identifier.
func isIdent(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c >= 0x80
}

// skipUntil returns the position after the first end byte from i outside
// strings and comments; when block is true, it skips a {} block with
// nested blocks and returns the position after its closing brace.
func skipUntil(s string, i int, end byte, block bool) int {
	depth := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			e := strings.Index(s[i+2:], "*/")
			if e < 0 {
				return len(s)
			}
			i += e + 4
			continue
		case c == '"' || c == '\'':
			_, i = cssString(s, i)
			continue
		case c == '\\':
			i += 2
			continue
		case block && c == '{':
			depth++
		case block && c == '}':
			depth--
			if depth <= 0 {
				return i + 1
			}
		case !block && c == end:
			return i + 1
		}
		i++
	}
	return len(s)
}

// cssString reads the quoted string starting at s[i] and returns its
// value and the position after it.
func cssString(s string, i int) (string, int) {
	q := s[i]
	v := cssValue{s: s, start: i + 1, plain: true}
	for j := v.start; j < len(s); j++ {
		switch c := s[j]; {
		case c == q:
			return v.upTo(j), j + 1
		case c == '\n':
			// An unterminated string ends at the newline (a bad string).
			return "", j
		case c == '\\':
			j = v.escape(j)
		default:
			v.add(c)
		}
	}
	return v.upTo(len(s)), len(s)
}

// cssValue is the value of a CSS string or url token being read from s:
// a slice of s from start until the first escape, a copy from there on.
type cssValue struct {
	s     string
	start int
	b     strings.Builder
	plain bool // no escape yet: the value is s[start:j]
}

// escape decodes the escape at s[j] == '\\' into the value and returns the
// position of its last byte.
func (v *cssValue) escape(j int) int {
	if v.plain {
		v.b.WriteString(v.s[v.start:j])
		v.plain = false
	}
	r, j := cssEscape(v.s, j)
	v.b.WriteString(r)
	return j
}

// add adds the plain byte c, read at the current position.
func (v *cssValue) add(c byte) {
	if !v.plain {
		v.b.WriteByte(c)
	}
}

// upTo returns the value read before s[j].
func (v *cssValue) upTo(j int) string {
	if v.plain {
		return v.s[v.start:j]
	}
	return v.b.String()
}

// cssEscape decodes the escape at s[i] == '\\' and returns its value and
// the position of its last byte.
func cssEscape(s string, i int) (string, int) {
	if i+1 >= len(s) {
		return "", i
	}
	j := i + 1
	for j < len(s) && j < i+7 && isHex(s[j]) {
		j++
	}
	if j == i+1 { // not hex: the character itself; an escaped newline is nothing
		if s[j] == '\n' {
			return "", j
		}
		_, size := utf8.DecodeRuneInString(s[j:])
		return s[j : j+size], j + size - 1
	}
	n, _ := strconv.ParseUint(s[i+1:j], 16, 32)
	r := rune(n)
	if r == 0 || r > utf8.MaxRune || (0xD800 <= r && r <= 0xDFFF) {
		r = utf8.RuneError
	}
	if j < len(s) && isSpace(s[j]) {
		j++
	}
	return string(r), j - 1
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// cssURL reads the argument of a url( whose "(" ends at s[i-1], and
// returns it and the position after the closing parenthesis.
func cssURL(s string, i int) (string, int) {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	if i < len(s) && (s[i] == '"' || s[i] == '\'') {
		v, j := cssString(s, i)
		for j < len(s) && s[j] != ')' {
			j++
		}
		return v, min(j+1, len(s))
	}
	v := cssValue{s: s, start: i, plain: true}
	for j := i; j < len(s); j++ {
		switch c := s[j]; {
		case c == ')':
			return v.upTo(j), j + 1
		case isSpace(c):
			k := j
			for k < len(s) && isSpace(s[k]) {
				k++
			}
			if k < len(s) && s[k] == ')' {
				return v.upTo(j), k + 1
			}
			for k < len(s) && s[k] != ')' { // a bad url
				k++
			}
			return "", min(k+1, len(s))
		case c == '"' || c == '\'' || c == '(':
			// A bad url: skip to the closing parenthesis.
			for j < len(s) && s[j] != ')' {
				j++
			}
			return "", min(j+1, len(s))
		case c == '\\':
			j = v.escape(j)
		default:
			v.add(c)
		}
	}
	return "", len(s) // no closing parenthesis: not a url token
}
