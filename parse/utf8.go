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
	utf8x.WriteValid(&b, []byte(s)) // a copy only for ill-formed text
	return b.String()
}
