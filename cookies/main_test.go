package cookies_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/grabhq/grab/cookies"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatalf("url.Parse(%q): %v", s, err)
	}
	return u
}

// setCookie feeds one Set-Cookie header value from a response to rawURL
// into j, parsed as http.Client parses it.
func setCookie(t testing.TB, j *cookies.Jar, rawURL, header string) {
	t.Helper()
	resp := &http.Response{Header: http.Header{"Set-Cookie": {header}}}
	j.SetCookies(mustURL(t, rawURL), resp.Cookies())
}

// header returns the Cookie header the jar makes for rawURL, as net/http
// writes it.
func header(t testing.TB, j *cookies.Jar, rawURL string) string {
	t.Helper()
	req, err := http.NewRequest("GET", rawURL, nil)
	if err != nil {
		t.Fatalf("NewRequest(%q): %v", rawURL, err)
	}
	for _, c := range j.Cookies(req.URL) {
		req.AddCookie(c)
	}
	return req.Header.Get("Cookie")
}

// dump lists the jar's cookies one a line, compactly, for comparisons.
func dump(j *cookies.Jar) string {
	var b strings.Builder
	for _, c := range j.All() {
		b.WriteString(describe(c))
		b.WriteByte('\n')
	}
	return b.String()
}

func describe(c cookies.Cookie) string {
	var flags []string
	if c.HostOnly {
		flags = append(flags, "host-only")
	}
	if c.Secure {
		flags = append(flags, "secure")
	}
	if c.HttpOnly {
		flags = append(flags, "httponly")
	}
	if c.Session() {
		flags = append(flags, "session")
	}
	return strings.TrimSpace(c.Name + "=" + c.Value + " " + c.Domain + c.Path + " " + strings.Join(flags, ","))
}
