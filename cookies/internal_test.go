package cookies

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseCookieDate(t *testing.T) {
	d := func(y int, m time.Month, day, h, min, s int) time.Time {
		return time.Date(y, m, day, h, min, s, 0, time.UTC)
	}
	tests := []struct {
		in   string
		want time.Time // zero: no date
	}{
		{"Wed, 09 Jun 2021 10:18:14 GMT", d(2021, 6, 9, 10, 18, 14)},
		{"Wednesday, 09-Jun-21 10:18:14 GMT", d(2021, 6, 9, 10, 18, 14)},
		{"Wed Jun  9 10:18:14 2021", d(2021, 6, 9, 10, 18, 14)},
		{"Wed, 09-Jun-2021 10:18:14 UTC", d(2021, 6, 9, 10, 18, 14)},
		{"9 june 2021 1:2:3", d(2021, 6, 9, 1, 2, 3)},
		{"Thu, 01 Jan 70 00:00:00 GMT", d(1970, 1, 1, 0, 0, 0)},
		{"Thu, 01 Jan 69 00:00:00 GMT", d(2069, 1, 1, 0, 0, 0)},
		{"Sat, 01 Jan 1601 00:00:00 GMT", d(1601, 1, 1, 0, 0, 0)},
		{"Fri, 31 Dec 1600 23:59:59 GMT", time.Time{}},
		{"Wed, 31 Feb 2021 10:18:14 GMT", time.Time{}},
		{"Wed, 09 Jun 2021 24:00:00 GMT", time.Time{}},
		{"Wed, 09 Jun 2021 10:60:00 GMT", time.Time{}},
		{"Wed, 32 Jun 2021 10:18:14 GMT", time.Time{}},
		{"Wed, 09 Foo 2021 10:18:14 GMT", time.Time{}},
		{"Wed, 09 Jun 10:18:14 GMT", time.Time{}},
		{"Wed, 09 Jun 2021 GMT", time.Time{}},
		{"Wed, 009 Jun 2021 10:18:14 GMT", time.Time{}},
		{"Wed, 09 Jun 20211 10:18:14 GMT", time.Time{}},
		{"Wed, 09 Jun 2021 100:18:14 GMT", time.Time{}},
		{"", time.Time{}},
		{strings.Repeat("9 ", 600), time.Time{}},
	}
	for _, tt := range tests {
		got, ok := parseCookieDate(tt.in)
		if ok != !tt.want.IsZero() || !got.Equal(tt.want) {
			t.Errorf("parseCookieDate(%q) = %v, %v; want %v", tt.in, got, ok, tt.want)
		}
	}
}

func TestCanonHost(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Example.COM", "example.com"},
		{"example.com.", "example.com"},
		{"straße.de", "xn--strae-oqa.de"},
		{"ПРИМЕР.рф", "xn--e1afmkfd.xn--p1ai"},
		{"my_host.example", "my_host.example"},
		{"127.0.0.1", "127.0.0.1"},
		{"::1", "::1"},
		{"[0:0::1]", "::1"},
		{"::FFFF:127.0.0.1", "::ffff:127.0.0.1"},
		{"fe80::1%eth0", "fe80::1%eth0"},
		{"", ""},
		{".", ""},
		{"a..b", ""},
		{".a", ""},
		{"a b", ""},
		{"a/b", ""},
		{"a\x00b", ""},
		{"xn--zz", ""},
		{"\x85", ""}, // invalid UTF-8, which IDNA would map to U+FFFD (found by FuzzSetCookie)
		{"a.\xff.com", ""},
		{"1.2.3.4:80", ""},
		{strings.Repeat("a", 254), ""},
	}
	for _, tt := range tests {
		got, err := canonHost(tt.in)
		if (err != nil) != (tt.want == "") || got != tt.want {
			t.Errorf("canonHost(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestHostClasses(t *testing.T) {
	for _, h := range []string{"127.0.0.1", "::1", "127.1", "0x7f.1", "a.b.123"} {
		if !isIPHost(h) {
			t.Errorf("isIPHost(%q) = false", h)
		}
	}
	for _, h := range []string{"example.com", "1.test.com", "123.example", "0xg.com"} {
		if isIPHost(h) {
			t.Errorf("isIPHost(%q) = true", h)
		}
	}
	for _, h := range []string{"localhost", "app.localhost", "127.0.0.1", "127.255.0.9", "::1", "::ffff:127.0.0.1"} {
		if !isLoopback(h) {
			t.Errorf("isLoopback(%q) = false", h)
		}
	}
	for _, h := range []string{"localhost.example.com", "0.0.0.0", "10.0.0.1", "::2", "mylocalhost"} {
		if isLoopback(h) {
			t.Errorf("isLoopback(%q) = true", h)
		}
	}
	keys := map[string]string{
		"www.example.co.uk": "example.co.uk", "example.com": "example.com", "a.b.me.github.io": "me.github.io",
		"github.io": "github.io", "com": "com", "127.0.0.1": "127.0.0.1", "localhost": "localhost", "a.localhost": "a.localhost",
	}
	for h, want := range keys {
		if got := siteKey(h); got != want {
			t.Errorf("siteKey(%q) = %q, want %q", h, got, want)
		}
	}
}

// TestSaveFailureKeepsOldFile is HOSTILE.md D10: a save that fails while
// writing leaves the old file as it was and no temporary file behind.
func TestSaveFailureKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "jar.txt")
	if err := os.WriteFile(p, []byte("old jar"), 0o640); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk full")
	err := writeFileAtomic(p, func(w io.Writer) error {
		w.Write([]byte("half a new j"))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("writeFileAtomic = %v, want %v", err, boom)
	}
	if b, _ := os.ReadFile(p); string(b) != "old jar" {
		t.Errorf("old file now holds %q", b)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("directory holds %d entries, want only jar.txt", len(ents))
	}
}
