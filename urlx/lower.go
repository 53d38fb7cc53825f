package urlx

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/grabhq/grab/internal/utf8x"
)

// pyLower lower-cases s as Python's str.lower does, which differs from
// strings.ToLower in two places: U+0130 (İ) becomes "i" and U+0307, its full
// case mapping, and a capital sigma becomes final sigma (ς) at the end of a
// word (the Final_Sigma condition of the Unicode Standard, §3.13). Bytes
// that are not valid UTF-8 are kept as they are. It runs in linear time.
//
// Go's tables follow Unicode 15.0, CPython 3.11's follow 14.0: the
// characters added in 15.0 that have case properties are treated as CPython
// treats them, as unassigned (see notInCPython).
func pyLower(s string) string {
	if utf8x.ASCII(s) {
		return strings.ToLower(s)
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	prevCased := false // the last character that is not case-ignorable is cased
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteByte(s[i])
			i++
			prevCased = false
			continue
		}
		switch r {
		case 0x130:
			b.WriteString("i\u0307")
		case 0x3A3:
			if prevCased && !casedFollows(s[i+size:]) {
				b.WriteRune(0x3C2)
			} else {
				b.WriteRune(0x3C3)
			}
		default:
			if unicode.Is(notInCPython, r) {
				b.WriteRune(r)
			} else {
				b.WriteRune(unicode.ToLower(r))
			}
		}
		if !isCaseIgnorable(r) {
			prevCased = isCased(r)
		}
		i += size
	}
	return b.String()
}

// casedFollows reports whether the first character of s that is not
// case-ignorable is cased. It reads only the case-ignorable run at the start
// of s, so calls for successive sigmas read disjoint runs.
func casedFollows(s string) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return false
		}
		if !isCaseIgnorable(r) {
			return isCased(r)
		}
		i += size
	}
	return false
}

// isCased is the Unicode property Cased: Lowercase, Uppercase or Lt.
func isCased(r rune) bool {
	if unicode.Is(notInCPython, r) {
		return false
	}
	return unicode.IsLower(r) || unicode.IsUpper(r) || unicode.IsTitle(r) ||
		unicode.Is(unicode.Other_Lowercase, r) || unicode.Is(unicode.Other_Uppercase, r)
}

// isCaseIgnorable is the Unicode property Case_Ignorable: Mn, Me, Cf, Lm, Sk,
// and the Word_Break classes MidLetter, MidNumLet and Single_Quote.
func isCaseIgnorable(r rune) bool {
	switch r {
	case '\'', '.', ':', 0xB7, 0x387, 0x55F, 0x5F4, 0x2018, 0x2019, 0x2024, 0x2027,
		0xFE13, 0xFE52, 0xFE55, 0xFF07, 0xFF0E, 0xFF1A:
		return true
	}
	if unicode.Is(notInCPython, r) {
		return false
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk)
}

// notInCPython holds the code points with case properties (cased or
// case-ignorable) that Unicode 15.0 assigned and CPython 3.11's Unicode 14.0
// database does not know, so CPython treats them as uncased and not
// case-ignorable. TestPyLowerAllCodePoints finds them: update this table
// when Go or the reference CPython moves to another Unicode version.
var notInCPython = &unicode.RangeTable{
	R16: []unicode.Range16{
		{0x0ECE, 0x0ECE, 1},
	},
	R32: []unicode.Range32{
		{0x10EFD, 0x10EFF, 1},
		{0x11241, 0x11241, 1},
		{0x11F00, 0x11F01, 1},
		{0x11F36, 0x11F3A, 1},
		{0x11F40, 0x11F40, 1},
		{0x11F42, 0x11F42, 1},
		{0x13439, 0x13440, 1},
		{0x13447, 0x13455, 1},
		{0x1DF25, 0x1DF2A, 1},
		{0x1E030, 0x1E06D, 1},
		{0x1E08F, 0x1E08F, 1},
		{0x1E4EB, 0x1E4EF, 1},
	},
}
