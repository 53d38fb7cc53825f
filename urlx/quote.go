package urlx

import (
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/grabhq/grab/internal/utf8x"
)

const upperhex = "0123456789ABCDEF"

// A quoteTable tells quote what to do with each byte.
type quoteTable [256]uint8

// The values are chosen so that quote's first pass needs no branch: OR-ing
// them says whether anything changes, and value>>1 counts the escapes.
const (
	keepByte   uint8 = 0 // write as is
	plusByte   uint8 = 1 // a space in quote_plus: write "+"
	escapeByte uint8 = 3 // write %XX
)

// newQuoteTable returns the table for quote (plus false) or quote_plus
// (plus true) with the given safe characters: ASCII letters, digits and
// "_.-~" (CPython's _ALWAYS_SAFE) and the ASCII bytes of safe are kept.
// Non-ASCII characters in safe are ignored, as CPython ignores them.
func newQuoteTable(safe string, plus bool) *quoteTable {
	var t quoteTable
	for i := range t {
		t[i] = escapeByte
	}
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~") {
		t[c] = keepByte
	}
	for i := 0; i < len(safe); i++ {
		if c := safe[i]; c < 0x80 {
			t[c] = keepByte
		}
	}
	if plus {
		t[' '] = plusByte
	}
	return &t
}

// The tables for the safe sets CPython uses by default.
var (
	quoteSlash = newQuoteTable("/", false) // quote's default
	quoteNone  = newQuoteTable("", false)
	plusNone   = newQuoteTable("", true) // quote_plus's default, urlencode's
	plusSlash  = newQuoteTable("/", true)
	// Python's string.punctuation, the safe set of urllib's redirect
	// handler (and fetch's escapeURL).
	quotePunct = newQuoteTable(Punctuation, false)
)

// Punctuation is Python's string.punctuation, the safe set urllib's
// redirect handler quotes a Location with: Quote(s, Punctuation) escapes
// only spaces, controls and non-ASCII bytes.
const Punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

func quoteTableFor(safe string, plus bool) *quoteTable {
	switch {
	case safe == "" && plus:
		return plusNone
	case safe == "":
		return quoteNone
	case safe == "/" && plus:
		return plusSlash
	case safe == "/":
		return quoteSlash
	case safe == Punctuation && !plus:
		return quotePunct
	}
	return newQuoteTable(safe, plus)
}

// Quote percent-encodes s as CPython's quote(s, safe=safe) does: every byte
// of s's UTF-8 form that is not an ASCII letter or digit, one of "_.-~", or
// an ASCII character of safe becomes %XX with upper-case hex digits.
// CPython's default safe is "/"; here it is always given.
//
// s is taken as bytes: a string that is not valid UTF-8 is quoted byte by
// byte, where CPython would raise UnicodeEncodeError on a lone surrogate.
func Quote(s, safe string) string {
	return quote(s, quoteTableFor(safe, false))
}

// QuotePlus is CPython's quote_plus(s, safe=safe): [Quote], except that a
// space becomes "+" (and "+" itself is escaped unless safe holds it), as HTML
// forms encode values. CPython's default safe is "".
func QuotePlus(s, safe string) string {
	return quote(s, quoteTableFor(safe, true))
}

func quote(s string, t *quoteTable) string {
	var changed uint8
	n := 0 // bytes to escape
	for i := 0; i < len(s); i++ {
		v := t[s[i]]
		changed |= v
		n += int(v >> 1)
	}
	if changed == 0 {
		return s
	}
	buf := make([]byte, len(s)+2*n)
	j := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch t[c] {
		case keepByte:
			buf[j] = c
			j++
		case plusByte:
			buf[j] = '+'
			j++
		default:
			buf[j], buf[j+1], buf[j+2] = '%', upperhex[c>>4], upperhex[c&15]
			j += 3
		}
	}
	return unsafeString(buf)
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// Unquote is CPython's unquote(s): each %XX escape (two hex digits, either
// case) becomes its byte, an invalid or short escape stays as written, and
// every run of ASCII text is then decoded as UTF-8 with each maximal invalid
// subpart replaced by one U+FFFD (errors='replace'). As in CPython, escapes
// are decoded per run of ASCII characters: a multi-byte sequence interrupted
// by a literal non-ASCII character is not joined across it. Non-ASCII text in
// s passes through unchanged, byte for byte, even when it is not valid UTF-8.
func Unquote(s string) string {
	i := strings.IndexByte(s, '%')
	if i < 0 {
		return s
	}
	// Fast path: decode the escapes in one pass. Only when an escape gave a
	// non-ASCII byte does the result need checking, and only when s also
	// holds literal non-ASCII text does the per-run decoding matter.
	buf := make([]byte, 0, len(s))
	buf = append(buf, s[:i]...)
	high, literal := false, !utf8x.ASCII(s[:i])
	for i < len(s) {
		c := s[i]
		if b, ok := escapeAt(s, i); ok {
			high = high || b >= utf8.RuneSelf
			buf = append(buf, b)
			i += 3
			continue
		}
		literal = literal || c >= utf8.RuneSelf
		buf = append(buf, c)
		i++
	}
	switch {
	case !high || (!literal && utf8.Valid(buf)):
		return unsafeString(buf)
	case !literal:
		return utf8x.Valid(buf)
	}
	return unquoteRuns(s)
}

// escapeAt returns the byte of the %XX escape at s[i], if there is one.
func escapeAt(s string, i int) (byte, bool) {
	if i+2 >= len(s) || s[i] != '%' {
		return 0, false
	}
	hi, lo := hexValue[s[i+1]], hexValue[s[i+2]]
	return hi<<4 | lo, hi|lo < 16
}

// hexValue maps a hex digit to its value and any other byte to 0xff.
var hexValue = func() (t [256]byte) {
	for c := range t {
		v, ok := unhex(byte(c))
		t[c] = 0xff
		if ok {
			t[c] = v
		}
	}
	return t
}()

// UnquoteBytes is CPython's unquote_to_bytes(s): each %XX escape (two hex
// digits, either case) becomes its byte and anything else, an invalid or
// short escape included, stays as written. Nothing is decoded as UTF-8.
func UnquoteBytes(s string) []byte {
	buf := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if b, ok := escapeAt(s, i); ok {
			buf = append(buf, b)
			i += 2
			continue
		}
		buf = append(buf, c)
	}
	return buf
}

// unquoteRuns is Unquote's careful path: CPython's, decoding each run of
// ASCII text on its own and passing the non-ASCII text between runs
// through unchanged.
func unquoteRuns(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	var run []byte // decoded bytes of the current ASCII run
	flush := func() {
		if len(run) > 0 {
			utf8x.WriteValid(&b, run)
			run = run[:0]
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c >= utf8.RuneSelf:
			flush()
			b.WriteByte(c)
			i++
		case c == '%':
			if b, ok := escapeAt(s, i); ok {
				run = append(run, b)
				i += 3
				continue
			}
			run = append(run, c)
			i++
		default:
			run = append(run, c)
			i++
		}
	}
	flush()
	return b.String()
}

// unsafeString returns b as a string without copying; b must not be
// changed afterwards.
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// UnquotePlus is CPython's unquote_plus(s): "+" becomes a space, then
// [Unquote].
func UnquotePlus(s string) string {
	if strings.IndexByte(s, '+') >= 0 {
		s = strings.ReplaceAll(s, "+", " ")
	}
	return Unquote(s)
}
