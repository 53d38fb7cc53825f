// Package utf8x holds what grab's packages share about UTF-8: ill-formed
// input, and telling ASCII apart.
package utf8x

import (
	"strings"
	"unicode/utf8"
)

// Valid returns p decoded as UTF-8 as WriteValid writes it.
func Valid(p []byte) string {
	var b strings.Builder
	b.Grow(len(p) + 8)
	WriteValid(&b, p)
	return b.String()
}

// WriteValid writes p to b decoded as UTF-8, each maximal subpart of an
// ill-formed sequence replaced by one U+FFFD, as Python's
// bytes.decode('utf-8', 'replace'), the WHATWG decoder (and so a browser)
// and the Unicode Standard (§3.9, U+FFFD substitution of maximal
// subparts) do. Go's own decoder replaces each invalid byte instead,
// which gives more U+FFFDs for a truncated sequence.
func WriteValid(b *strings.Builder, p []byte) {
	for len(p) > 0 {
		c := p[0]
		if c < utf8.RuneSelf {
			b.WriteByte(c)
			p = p[1:]
			continue
		}
		r, size := utf8.DecodeRune(p)
		if r != utf8.RuneError || size > 1 {
			b.Write(p[:size])
			p = p[size:]
			continue
		}
		b.WriteRune(utf8.RuneError)
		p = p[maximalSubpart(p):]
	}
}

// maximalSubpart returns the length of the maximal subpart of the
// ill-formed UTF-8 sequence at the start of s (Unicode 15, table 3-7): a
// valid lead byte and the continuation bytes that may follow it, at least
// one byte. Replacing each maximal subpart with one U+FFFD is what Python's
// errors="replace" and the WHATWG decoder do. s must not be empty.
func maximalSubpart(s []byte) int {
	lead := s[0]
	var n int
	lo, hi := byte(0x80), byte(0xBF) // range of the second byte
	switch {
	case 0xC2 <= lead && lead <= 0xDF:
		n = 2
	case lead == 0xE0:
		n, lo = 3, 0xA0
	case 0xE1 <= lead && lead <= 0xEC, lead == 0xEE, lead == 0xEF:
		n = 3
	case lead == 0xED:
		n, hi = 3, 0x9F
	case lead == 0xF0:
		n, lo = 4, 0x90
	case 0xF1 <= lead && lead <= 0xF3:
		n = 4
	case lead == 0xF4:
		n, hi = 4, 0x8F
	default:
		return 1
	}
	i := 1
	for ; i < n && i < len(s); i++ {
		c := s[i]
		if i == 1 && (c < lo || c > hi) || i > 1 && (c < 0x80 || c > 0xBF) {
			break
		}
	}
	return i
}

// ASCII reports whether s is all ASCII (no byte of 0x80 or more).
func ASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
