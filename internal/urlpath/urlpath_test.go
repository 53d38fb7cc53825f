package urlpath

import "testing"

func TestNormEscapes(t *testing.T) {
	for in, want := range map[string]string{
		"/a/b":                  "/a/b",
		"/%7euser/%2e%2e/a%2fb": "/~user/../a%2Fb",
		"/%41%2D%5f%7E":         "/A-_~",
		"/%zz%4":                "/%zz%4", // not escapes: as they are
		"/%20%3f":               "/%20%3F",
	} {
		if got := NormEscapes(in); got != want {
			t.Errorf("NormEscapes(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIsScheme(t *testing.T) {
	for s, want := range map[string]bool{"http": true, "HTTPS": true, "svn+ssh": true, "a1.-": true, "": false, "1a": false, "+a": false, "ht tp": false, "h_t": false, "localhost": true} {
		if got := IsScheme(s); got != want {
			t.Errorf("IsScheme(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestEscapeStrayPercents(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"/a/b", "/a/b"},
		{"/100%.html", "/100%25.html"},
		{"/a%", "/a%25"},
		{"/a%2", "/a%252"},
		{"/a%zz", "/a%25zz"},
		{"/a%41%2f%", "/a%41%2f%25"},
		{"%%41", "%25%41"},
	} {
		if got := EscapeStrayPercents(tt.in); got != tt.want {
			t.Errorf("EscapeStrayPercents(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
