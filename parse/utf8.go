package parse

import (
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
	return utf8x.Valid([]byte(s)) // a copy only for ill-formed text
}
