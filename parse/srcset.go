package parse

import (
	"strconv"
	"strings"
)

// candidate is one image candidate of a srcset attribute.
type candidate struct {
	url  string
	at   int     // offset of url in the srcset
	sp   span    // url in a textStore, for Images
	desc string  // the descriptors as written, separated by one space
	w    int     // width descriptor, 0 if none
	x    float64 // density descriptor, 1 if none
}

// isSpace reports whether c is ASCII whitespace as HTML defines it.
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r' }

// parseSrcset appends the candidates of a srcset attribute to dst, as the
// HTML standard's "parse a srcset attribute" reads them: URLs separated by
// commas and whitespace, commas inside a URL kept, descriptors in
// parentheses kept whole, and a candidate with invalid descriptors (a
// repeated or mixed w and x, "0w", "-1x", an "h" without "w", an unknown
// unit) dropped, as browsers drop it. It runs in time linear in s.
func parseSrcset(dst []candidate, s string) []candidate {
	pos := 0
	var buf [4]string // the descriptors of a candidate, without an allocation
	for {
		for pos < len(s) && (isSpace(s[pos]) || s[pos] == ',') {
			pos++
		}
		if pos >= len(s) {
			return dst
		}
		start := pos
		for pos < len(s) && !isSpace(s[pos]) {
			pos++
		}
		url := s[start:pos]
		descs := buf[:0]
		if strings.HasSuffix(url, ",") {
			url = strings.TrimRight(url, ",")
		} else {
			descs, pos = srcsetDescriptors(descs, s, pos)
		}
		if c, ok := parseDescriptors(url, descs); ok && url != "" {
			c.at = start
			dst = append(dst, c)
		}
	}
}

// srcsetDescriptors runs the descriptor tokenizer from pos and returns the
// descriptors, appended to descs, and the position after them (after the
// comma that ends them, if any).
func srcsetDescriptors(descs []string, s string, pos int) ([]string, int) {
	for pos < len(s) && isSpace(s[pos]) {
		pos++
	}
	start := -1 // start of the current descriptor
	inParens := false
	for ; pos < len(s); pos++ {
		c := s[pos]
		if inParens {
			if c == ')' {
				inParens = false
			}
			continue
		}
		switch {
		case isSpace(c):
			if start >= 0 {
				descs = append(descs, s[start:pos])
				start = -1
			}
		case c == ',':
			if start >= 0 {
				descs = append(descs, s[start:pos])
			}
			return descs, pos + 1
		default:
			if start < 0 {
				start = pos
			}
			if c == '(' {
				inParens = true
			}
		}
	}
	if start >= 0 {
		descs = append(descs, s[start:])
	}
	return descs, pos
}

// parseDescriptors checks the descriptors of a candidate.
func parseDescriptors(url string, descs []string) (candidate, bool) {
	c := candidate{url: url, x: 1}
	var hasW, hasX, hasH bool
	for _, d := range descs {
		if len(d) < 2 {
			return c, false
		}
		num := d[:len(d)-1]
		switch d[len(d)-1] {
		case 'w':
			n, ok := positiveInt(num)
			if hasW || hasX || !ok {
				return c, false
			}
			c.w, hasW = n, true
		case 'h':
			_, ok := positiveInt(num)
			if hasH || hasX || !ok {
				return c, false
			}
			hasH = true
		case 'x':
			f, ok := floatNumber(num)
			if hasW || hasX || hasH || !ok || f < 0 {
				return c, false
			}
			c.x, hasX = f, true
		default:
			return c, false
		}
	}
	if hasH && !hasW {
		return c, false
	}
	c.desc = strings.Join(descs, " ")
	return c, true
}

// positiveInt reads a valid non-negative integer greater than zero.
func positiveInt(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, n > 0
}

// floatNumber reads a valid floating-point number: an optional "-",
// digits with an optional fraction (or a fraction alone), an optional
// exponent.
func floatNumber(s string) (float64, bool) {
	if s == "" || len(s) > 64 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E') {
			return 0, false
		}
	}
	if s[0] == '+' || strings.HasSuffix(s, ".") {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

// best returns the index of the best candidate: the widest when any has a
// width descriptor, else the densest; the first of equals.
func best(cs []candidate) int {
	b := 0
	for i := 1; i < len(cs); i++ {
		c, bc := cs[i], cs[b]
		switch {
		case c.w > 0 || bc.w > 0:
			if c.w > bc.w {
				b = i
			}
		case c.x > bc.x:
			b = i
		}
	}
	return b
}
