// Package utf8x holds what grab's packages share about ill-formed UTF-8.
package utf8x

// MaximalSubpart returns the length of the maximal subpart of the
// ill-formed UTF-8 sequence at the start of s (Unicode 15, table 3-7): a
// valid lead byte and the continuation bytes that may follow it, at least
// one byte. Replacing each maximal subpart with one U+FFFD is what Python's
// errors="replace" and the WHATWG decoder do. s must not be empty.
func MaximalSubpart[T string | []byte](s T) int {
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
