package origin

import "testing"

func TestOf(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://example.com/a?b", "http://example.com/"},
		{"HTTP://Example.COM:80/a", "http://example.com/"},
		{"https://example.com:443", "https://example.com/"},
		{"https://example.com:8443/", "https://example.com:8443/"},
		{"http://example.com:443/", "http://example.com:443/"},
		{"http://user:pw@bücher.test/", "http://xn--bcher-kva.test/"},
		{"http://[::1]:8080/x", "http://[::1]:8080/"},
		{"http://[::1]:80/x", "http://[::1]/"},
		{"http://[fe80::1%25lo]:8080/x", "http://[fe80::1%25lo]:8080/"},
		{"file:///etc/passwd", "file:///etc/passwd"},
		{"", ""},
		{"http://h:99999/", "http://h:99999/"},
	}
	for _, tt := range tests {
		if got := Of(tt.in); got != tt.want {
			t.Errorf("Of(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
