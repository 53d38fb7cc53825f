package download

import (
	"net/http"
	"testing"
	"time"
)

// parseHTTPDate must agree with http.ParseTime on every input: the fast
// path on the dates it takes, http.ParseTime on the rest.
func checkDate(t *testing.T, s string) {
	t.Helper()
	got, ok := parseHTTPDate(s)
	want, err := http.ParseTime(s)
	if ok != (err == nil) || !got.Equal(want) || got.Location().String() != want.Location().String() {
		t.Errorf("parseHTTPDate(%q) = %v, %v; http.ParseTime = %v, %v", s, got, ok, want, err)
	}
}

func TestParseHTTPDate(t *testing.T) {
	for _, s := range []string{
		"Sun, 06 Nov 1994 08:49:37 GMT", "Sat, 21 Nov 2026 20:06:10 GMT", "Thu, 29 Feb 2024 23:59:59 GMT",
		"Thu, 29 Feb 2023 00:00:00 GMT", "Mon, 31 Apr 2024 00:00:00 GMT", "Mon, 00 Jan 2024 00:00:00 GMT",
		"Mon, 01 Jan 2024 24:00:00 GMT", "Mon, 01 Jan 2024 23:60:00 GMT", "Mon, 01 Jan 2024 23:59:60 GMT",
		"mon, 01 jan 2024 10:00:00 GMT", "Xyz, 01 Jan 2024 10:00:00 GMT", "Mon, 01 Foo 2024 10:00:00 GMT",
		"Mon, 1 Jan 2024 10:00:00 GMT", "Mon, 01 Jan 2024 10:00:00 UTC", "Mon, 01 Jan 0000 10:00:00 GMT",
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

func FuzzParseHTTPDate(f *testing.F) {
	f.Add("Sun, 06 Nov 1994 08:49:37 GMT")
	f.Add("Thu, 29 Feb 2023 00:00:00 GMT")
	f.Add("Sunday, 06-Nov-94 08:49:37 GMT")
	f.Fuzz(func(t *testing.T, s string) { checkDate(t, s) })
}
