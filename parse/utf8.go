package parse

import (
	"strings"
	"unicode/utf8"

	"github.com/grabhq/grab/internal/utf8x"
)

// validUTF8 returns s with each maximal subpart of an ill-formed UTF-8
// sequence replaced by one U+FFFD, as the WHATWG UTF-8 decoder (and so a
// browser reading the page) does.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r != utf8.RuneError || size > 1 {
			b.WriteString(s[i : i+size])
			i += size
			continue
		}
		b.WriteRune(utf8.RuneError)
		i += utf8x.MaximalSubpart(s[i:])
	}
	return b.String()
}
