package cookies

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// parseCookieDate reads an Expires attribute value with the algorithm of
// RFC 6265 §5.1.1, which accepts every date format servers send (RFC 1123,
// RFC 850, asctime, and their sloppy variants) where net/http reads only
// two. ok is false when the value holds no valid date.
func parseCookieDate(s string) (t time.Time, ok bool) {
	if len(s) > MaxAttrBytes {
		return time.Time{}, false
	}
	var (
		hour, minute, sec, day, year int
		month                        time.Month
		haveTime, haveDay, haveMonth bool
		haveYear                     bool
	)
	for len(s) > 0 {
		// Skip delimiters, then take one token of non-delimiters.
		i := 0
		for i < len(s) && isDateDelimiter(s[i]) {
			i++
		}
		s = s[i:]
		i = 0
		for i < len(s) && !isDateDelimiter(s[i]) {
			i++
		}
		tok := s[:i]
		s = s[i:]
		if tok == "" {
			continue
		}
		switch {
		case !haveTime && parseTime(tok, &hour, &minute, &sec):
			haveTime = true
		case !haveDay && digitsThenAny(tok, 1, 2, &day):
			haveDay = true
		case !haveMonth && parseMonth(tok, &month):
			haveMonth = true
		case !haveYear && digitsThenAny(tok, 2, 4, &year):
			haveYear = true
		}
	}
	if !haveTime || !haveDay || !haveMonth || !haveYear {
		return time.Time{}, false
	}
	switch {
	case 70 <= year && year <= 99:
		year += 1900
	case 0 <= year && year <= 69:
		year += 2000
	}
	if day < 1 || day > 31 || year < 1601 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	t = time.Date(year, month, day, hour, minute, sec, 0, time.UTC)
	if t.Day() != day { // February 30th and the like do not exist
		return time.Time{}, false
	}
	return t, true
}

// isDateDelimiter reports whether c is a delimiter of RFC 6265 §5.1.1:
// %x09 / %x20-2F / %x3B-40 / %x5B-60 / %x7B-7E.
func isDateDelimiter(c byte) bool {
	return c == 0x09 || 0x20 <= c && c <= 0x2f || 0x3b <= c && c <= 0x40 ||
		0x5b <= c && c <= 0x60 || 0x7b <= c && c <= 0x7e
}

// digitsThenAny reads min to max leading digits of tok into n; a
// non-digit and anything may follow them.
func digitsThenAny(tok string, min, max int, n *int) bool {
	i, v := 0, 0
	for i < len(tok) && i <= max && '0' <= tok[i] && tok[i] <= '9' {
		v = v*10 + int(tok[i]-'0')
		i++
	}
	if i < min || i > max {
		return false
	}
	*n = v
	return true
}

// parseTime reads hms-time ( non-digit *OCTET ): 1*2DIGIT ":" 1*2DIGIT ":"
// 1*2DIGIT.
func parseTime(tok string, h, m, s *int) bool {
	var v [3]int
	for k := range 3 {
		i, n := 0, 0
		for i < len(tok) && i <= 2 && '0' <= tok[i] && tok[i] <= '9' {
			n = n*10 + int(tok[i]-'0')
			i++
		}
		if i < 1 || i > 2 {
			return false
		}
		v[k] = n
		tok = tok[i:]
		if k < 2 {
			if tok == "" || tok[0] != ':' {
				return false
			}
			tok = tok[1:]
		}
	}
	*h, *m, *s = v[0], v[1], v[2]
	return true
}

var monthNames = [...]string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}

// parseMonth reads a token whose first three letters name a month.
func parseMonth(tok string, m *time.Month) bool {
	if len(tok) < 3 {
		return false
	}
	p := strings.ToLower(tok[:3])
	for i, name := range monthNames {
		if p == name {
			*m = time.Month(i + 1)
			return true
		}
	}
	return false
}

// rawMaxAge reads the Max-Age of a Set-Cookie field by RFC 6265 §5.2.2,
// in net/http's terms: 0 when there is none (or it is not valid), -1 when
// it is zero or negative (the cookie expires now), else the seconds, the
// largest int for more than an int holds. The last valid one counts.
func rawMaxAge(field string) int {
	_, attrs, _ := strings.Cut(field, ";")
	maxAge := 0
	for attrs != "" {
		var attr string
		attr, attrs, _ = strings.Cut(attrs, ";")
		name, value, _ := strings.Cut(attr, "=")
		if !strings.EqualFold(strings.TrimSpace(name), "Max-Age") {
			continue
		}
		value = strings.TrimSpace(value)
		digits := strings.TrimPrefix(value, "-")
		if digits == "" || strings.Trim(digits, "0123456789") != "" {
			continue // not 1*DIGIT, maybe after a '-': ignored
		}
		n, err := strconv.Atoi(digits)
		switch {
		case value[0] == '-' || err == nil && n == 0:
			maxAge = -1
		case err != nil: // out of range: the longest
			maxAge = math.MaxInt
		default:
			maxAge = n
		}
	}
	return maxAge
}
