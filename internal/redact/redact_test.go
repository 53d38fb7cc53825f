package redact_test

import (
	"fmt"
	"net/url"
	"testing"

	"github.com/grabhq/grab/internal/redact"
)

func TestString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://h/p", "http://h/p"},
		{"http://kim:pw@h/p", "http://kim:xxxxx@h/p"},
		{"http://kim@h/p", "http://kim@h/p"},
		{"http://h/p?token=T1&page=2", "http://h/p?token=xxxxx&page=2"},
		{"http://h/p?page=2&Access_Token=T1#top", "http://h/p?page=2&Access_Token=xxxxx#top"},
		{"http://h/p?X-Amz-Signature=abc&X-Amz-Date=1", "http://h/p?X-Amz-Signature=xxxxx&X-Amz-Date=1"},
		{"http://h/p?github_token=abc&my-key=k&monkey=1", "http://h/p?github_token=xxxxx&my-key=xxxxx&monkey=1"},
		{"http://h/p?%74oken=abc", "http://h/p?%74oken=xxxxx"},
		{"http://h/p?token", "http://h/p?token"},
		{"http://h/p?token=", "http://h/p?token=xxxxx"},
		{"http://h/p?a=1&&b=2", "http://h/p?a=1&&b=2"},
		// Text that does not parse.
		{"http://kim:pw@h/%zz?token=T", "http://kim:xxxxx@h/%zz?token=xxxxx"},
		{"kim:pw@proxy:3128", "kim:xxxxx@proxy:3128"},
		{"http://kim:p@ss@h:bad/", "http://kim:xxxxx@h:bad/"},
		{"/rel?sig=S#f", "/rel?sig=xxxxx#f"},
		// A password with a raw '#', '/' or '?' runs to the last '@'.
		{"http://kim:S3cr#t@proxy:3128", "http://kim:xxxxx@proxy:3128"},
		{"kim:S3cr/t@proxy:3128", "kim:xxxxx@proxy:3128"},
		{"socks5://kim:S3cr?t@proxy:1080", "socks5://kim:xxxxx@proxy:1080"},
		// An '@' in the query takes more, never less.
		{"http://kim:pw@h/%zz?email=a@b&token=T", "http://kim:xxxxx@b&token=xxxxx"},
		// A "://" in the query is not the scheme's.
		{"/%zz?token=S3CRET&next=http://x", "/%zz?token=xxxxx&next=http://x"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := redact.String(tt.in); got != tt.want {
			t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	// Parsed with no URL reads the text as String reads text that does
	// not parse.
	if got, want := redact.Parsed("http://kim:pw@h/p?token=T", nil), "http://kim:xxxxx@h/p?token=xxxxx"; got != want {
		t.Errorf("Parsed with a nil URL = %q, want %q", got, want)
	}
}

func TestURL(t *testing.T) {
	if got := redact.URL(nil); got != "" {
		t.Errorf("URL(nil) = %q", got)
	}
	u, _ := url.Parse("https://kim:pw@h/p?q=1&api_key=K")
	if got, want := redact.URL(u), "https://kim:xxxxx@h/p?q=1&api_key=xxxxx"; got != want {
		t.Errorf("URL = %q, want %q", got, want)
	}
	if u.String() != "https://kim:pw@h/p?q=1&api_key=K" {
		t.Errorf("URL changed its argument: %s", u)
	}
}

func ExampleString() {
	fmt.Println(redact.String("https://kim:secret@example.com/feed?page=2&token=abc123"))
	// Output: https://kim:xxxxx@example.com/feed?page=2&token=xxxxx
}

// TestParseError: net/url's reason, without the parts of the URL it
// quotes.
func TestParseError(t *testing.T) {
	for raw, want := range map[string]string{
		"http://kim:S3cr#t@h/": "invalid port",
		"http://h/%zzS3cr":     "invalid percent-encoding",
		"http://h S3cr/":       "invalid character in host",
	} {
		_, err := url.Parse(raw)
		if got := redact.ParseError(err); got != want {
			t.Errorf("ParseError(url.Parse(%q)) = %q, want %q", raw, got, want)
		}
	}
}
