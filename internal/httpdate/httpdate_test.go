package httpdate

import (
	"net/http"
	"testing"
	"time"
)

// Parse must agree with http.ParseTime on every input that takes (in UTC
// always): the fast path on the dates it reads, http.ParseTime on the
// rest.
func checkDate(t *testing.T, s string) {
	t.Helper()
	got, ok := Parse(s)
	want, err := http.ParseTime(s)
	if err == nil && (!ok || !got.Equal(want)) {
		t.Errorf("Parse(%q) = %v, %v; http.ParseTime = %v, %v", s, got, ok, want, err)
	}
}

func TestParseAsHTTP(t *testing.T) {
	for _, s := range []string{
		"Sun, 06 Nov 1994 08:49:37 GMT", "Sat, 21 Nov 2026 20:06:10 GMT", "Thu, 29 Feb 2024 23:59:59 GMT",
		"Thu, 29 Feb 2023 00:00:00 GMT", "Mon, 31 Apr 2024 00:00:00 GMT", "Mon, 00 Jan 2024 00:00:00 GMT",
		"Mon, 01 Jan 2024 24:00:00 GMT", "Mon, 01 Jan 2024 23:60:00 GMT", "Mon, 01 Jan 2024 23:59:60 GMT",
		"mon, 01 jan 2024 10:00:00 GMT", "Xyz, 01 Jan 2024 10:00:00 GMT", "Mon, 01 Foo 2024 10:00:00 GMT",
		"Mon, 1 Jan 2024 10:00:00 GMT", "Mon, 01 Jan 0000 10:00:00 GMT",
		"Mon, 0a Jan 2024 10:00:00 GMT", "Mon, 01 Jan 2024 10:00:00 GMT ", "Mon,01 Jan 2024 10:00:00 GMT",
		"Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994", "", "yesterday",
	} {
		checkDate(t, s)
	}
	// Every day of four years around a leap year, at a time with each
	// field at its bounds.
	for d := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() < 2027; d = d.AddDate(0, 0, 1) {
		checkDate(t, d.Format(http.TimeFormat))
		checkDate(t, d.Add(24*time.Hour-time.Second).Format(http.TimeFormat))
	}
}

// The forms servers send beside RFC 9110's, as CPython's
// email.utils.parsedate_to_datetime reads them.
func TestParseLenient(t *testing.T) {
	want := time.Date(1994, 11, 6, 8, 49, 37, 0, time.UTC)
	for _, s := range []string{
		"Sun, 06 Nov 1994 08:49:37 +0000", "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 06 Nov 1994 08:49:37 UT",
		"Sun, 06 Nov 1994 09:49:37 +0100", "Sun, 6 Nov 1994 03:49:37 -0500", "06 Nov 1994 08:49:37 +0000",
		" Sun, 06 Nov 1994 08:49:37 UTC ",
	} {
		if got, ok := Parse(s); !ok || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("Parse(%q) = %v, %v; want %v", s, got, ok, want)
		}
	}
	for _, s := range []string{
		"Sun, 06 Nov 1994 08:49:37 EST", "Sun, 06 Nov 1994 08:49:37 CET", "Sun, 06 Nov 1994 08:49:37",
		"Sun, 06 Nov 1994 08:49:37 +00", "Sun, 06 Nov 1994 25:49:37 UTC", "UTC", "",
	} {
		if got, ok := Parse(s); ok {
			t.Errorf("Parse(%q) = %v, want no date", s, got)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("Sun, 06 Nov 1994 08:49:37 GMT")
	f.Add("Thu, 29 Feb 2023 00:00:00 GMT")
	f.Add("Sunday, 06-Nov-94 08:49:37 GMT")
	f.Add("Sun, 06 Nov 1994 08:49:37 +0100")
	f.Fuzz(func(t *testing.T, s string) {
		checkDate(t, s)
		if got, ok := Parse(s); ok && got.Location() != time.UTC {
			t.Errorf("Parse(%q) = %v, not in UTC", s, got)
		}
	})
}
