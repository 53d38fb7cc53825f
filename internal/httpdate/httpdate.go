// Package httpdate reads the dates of HTTP fields (Last-Modified, Date,
// Retry-After, Expires) as browsers, curl and CPython's
// email.utils.parsedate_to_datetime read them: the three forms of RFC 9110
// (section 5.6.7), and the RFC 1123 form with a numeric zone or "UTC"
// instead of "GMT", which servers send too ("Sun, 06 Nov 1994 08:49:37
// +0000"). A zone name other than GMT, UTC or UT is refused: read by the
// local time zone's abbreviations, "EST" would mean another instant on
// another machine.
package httpdate

import (
	"net/http"
	"strings"
	"time"
)

// Parse reads s; ok is false for anything else. The time is in UTC.
func Parse(s string) (t time.Time, ok bool) {
	if t, ok := fixdate(s); ok {
		return t, true
	}
	if t, err := http.ParseTime(s); err == nil {
		return t.UTC(), true
	}
	s = strings.TrimSpace(s)
	for _, zone := range []string{" UTC", " UT"} {
		if rest, found := strings.CutSuffix(s, zone); found {
			if t, err := http.ParseTime(rest + " GMT"); err == nil {
				return t.UTC(), true
			}
		}
	}
	for _, layout := range []string{"Mon, 2 Jan 2006 15:04:05 -0700", "02 Jan 2006 15:04:05 -0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// fixdate parses "Mon, 02 Jan 2006 15:04:05 GMT" exactly, with every field
// in range, faster than time.Parse (a percent of a small file's CPU in
// the downloader); false means "ask http.ParseTime".
func fixdate(s string) (time.Time, bool) {
	if len(s) != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
		s[19] != ':' || s[22] != ':' || s[25:] != " GMT" || !weekday(s[:3]) {
		return time.Time{}, false
	}
	month := time.Month(0)
	for m := time.January; m <= time.December; m++ {
		if m.String()[:3] == s[8:11] {
			month = m
		}
	}
	day, ok1 := digits(s[5:7])
	year, ok2 := digits(s[12:16])
	hour, ok3 := digits(s[17:19])
	minute, ok4 := digits(s[20:22])
	sec, ok5 := digits(s[23:25])
	if month == 0 || !(ok1 && ok2 && ok3 && ok4 && ok5) || hour > 23 || minute > 59 || sec > 59 || day < 1 {
		return time.Time{}, false
	}
	t := time.Date(year, month, day, hour, minute, sec, 0, time.UTC)
	if t.Day() != day { // past the month's end: time.Date rolled it over
		return time.Time{}, false
	}
	return t, true
}

func weekday(s string) bool {
	for d := time.Sunday; d <= time.Saturday; d++ {
		if d.String()[:3] == s {
			return true
		}
	}
	return false
}

// digits reads s, all ASCII digits.
func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}
