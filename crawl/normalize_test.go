package crawl_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/grabhq/grab/crawl"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"HTTP://Example.COM/a/../b/./c#frag", "http://example.com/b/c"},
		{"http://LOCALHOST.:80/", "http://localhost/"},
		{"http://ｌｏｃａｌｈｏｓｔ/x", "http://localhost/x"},
		{"http://１２７.０.０.１:8080", "http://127.0.0.1:8080/"},
		{"https://h:443/p?", "https://h/p"},
		{"https://h:8443/p?b=2&a=1", "https://h:8443/p?b=2&a=1"},
		{"http://h/%7euser/%2f", "http://h/~user/%2F"},
		{"http://h/a b", "http://h/a%20b"},
		{"  http://h/\tx\n", "http://h/x"},
		{"http://straße.de/", "http://xn--strae-oqa.de/"},
		{"http://[::1]:80/", "http://[::1]/"},
		{"http://h/docs/%2e%2e/private/x", "http://h/private/x"},
		{"http://h/docs/%2E%2e/%2e/x", "http://h/x"},
		{"http://h/a/.%2E/b", "http://h/b"},
		{"http://alice:secret@H/x", "http://h/x"},
		{"http://alice@h/", "http://h/"},
		{"http://0x7F.1/", "http://127.0.0.1/"},
		{"http://0177.0.0.1.:8080/", "http://127.0.0.1:8080/"},
		{"http://2130706433/", "http://127.0.0.1/"},
		{"http://[0:0::FFFF:7f00:1]/", "http://[::ffff:7f00:1]/"},
		{"http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/"},
		{"http://a.123x/", "http://a.123x/"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			u, err := crawl.Normalize(tt.in)
			if err != nil {
				t.Fatalf("Normalize(%q): %v", tt.in, err)
			}
			if got := u.String(); got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	for _, bad := range []string{"ftp://h/", "mailto:a@b", "http:///x", "javascript:alert(1)", "http://h:99999/", "http://a.b.1/", "http://1.2.3.4.5/", "http://256.0.0.1/", "http://09/"} {
		if u, err := crawl.Normalize(bad); err == nil {
			t.Errorf("Normalize(%q) = %v, want an error", bad, u)
		}
	}
	if _, err := crawl.Normalize("ftp://h/"); !errors.Is(err, crawl.ErrScheme) {
		t.Errorf("Normalize(ftp) error = %v, want ErrScheme", err)
	}
	// colly's WHATWG parser refuses a zone: said at once, not as a page
	// failed over its robots.txt.
	if _, err := crawl.Normalize("http://[fe80::1%25eth0]/"); !errors.Is(err, crawl.ErrZone) {
		t.Errorf("Normalize(zone) error = %v, want ErrZone", err)
	}
	for _, bad := range []string{"http://alice:secret@h:99999/", "ftp://alice:secret@h/", "http://alice:secret@h/" + strings.Repeat("a", 300) + "%zz"} {
		if _, err := crawl.Normalize(bad); err == nil || strings.Contains(err.Error(), "secret") {
			t.Errorf("Normalize(%q) error = %v, want one without the password", bad, err)
		}
	}
}

// FuzzNormalize: Normalize never panics, and is idempotent.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"http://h/a/../b", "HTTP://X:80/%7e?q#f", "http://[::1]:8/x y", "https://ü.de/ü?ü", "http://[fe80::1%25eth0]/", "http://0x7f.1/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := crawl.Normalize(s)
		if err != nil {
			return
		}
		v, err := crawl.Normalize(u.String())
		if err != nil {
			t.Fatalf("Normalize(%q) = %q, which does not normalize: %v", s, u, err)
		}
		if v.String() != u.String() {
			t.Errorf("Normalize(%q) = %q, then %q", s, u, v)
		}
	})
}
