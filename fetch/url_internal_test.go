package fetch

import "testing"

// FuzzPlainURL checks parseURL's fast path against its full reading: a
// URL plainURL takes must read the same both ways.
func FuzzPlainURL(f *testing.F) {
	for _, s := range []string{"http://example.com/a/b?q=1#f", "https://h:8080", "http://h/?", "http://h/a;b=c:d@e", "http://h/%41", "http://1.2.3.4:65535/x y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		fast := plainURL(raw)
		if fast == nil {
			return
		}
		full, err := checkURL(raw)
		if err != nil {
			t.Fatalf("plainURL(%q) = %s, full reading: %v", raw, fast, err)
		}
		if fast.String() != full.String() || fast.Host != full.Host || fast.Path != full.Path || fast.RawQuery != full.RawQuery {
			t.Fatalf("plainURL(%q) = %#v\nfull reading %#v", raw, fast, full)
		}
	})
}
