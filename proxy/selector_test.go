package proxy_test

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/grabhq/grab/proxy"
)

// proxyFor returns what s chooses for rawURL, as a string ("" = direct).
func proxyFor(t *testing.T, s *proxy.Selector, rawURL string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatalf("url.Parse(%q): %v", rawURL, err)
	}
	p, err := s.ProxyFor(u)
	if err != nil {
		t.Fatalf("ProxyFor(%q): %v", rawURL, err)
	}
	if p == nil {
		return ""
	}
	return p.String()
}

func TestNew(t *testing.T) {
	tests := []struct {
		name             string
		proxies          map[string]string
		http, https, all string
	}{
		{"textbook", map[string]string{"http": "http://www.example.com:3128/"}, "http://www.example.com:3128", "", ""},
		{"bare host:port", map[string]string{"https": "proxy.local:3128"}, "", "http://proxy.local:3128", ""},
		{"bare with userinfo", map[string]string{"http": "u:p@proxy.local:3128"}, "http://u:p@proxy.local:3128", "", ""},
		{"all socks5h", map[string]string{"all": "socks5h://u:p@s:1080"}, "", "", "socks5h://u:p@s:1080"},
		{"star socks5", map[string]string{"*": "socks5://s"}, "", "", "socks5://s"},
		{"https proxy", map[string]string{"https": "https://p:8443"}, "", "https://p:8443", ""},
		{"case", map[string]string{"HTTP": "HTTP://P:3128"}, "http://P:3128", "", ""},
		{"ipv6", map[string]string{"http": "http://[::1]:3128"}, "http://[::1]:3128", "", ""},
		{"empty value", map[string]string{"http": ""}, "", "", ""},
		{"spaces", map[string]string{"http": " http://p:1 "}, "http://p:1", "", ""},
		{"per scheme", map[string]string{"http": "http://p1:1", "https": "http://p2:2", "all": "socks5h://p3:3"}, "http://p1:1", "http://p2:2", "socks5h://p3:3"},
		{"nil", nil, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := proxy.New(tt.proxies, "")
			if err != nil {
				t.Fatalf("New(%v) error: %v", tt.proxies, err)
			}
			got := []string{urlString(s.HTTP), urlString(s.HTTPS), urlString(s.All)}
			want := []string{tt.http, tt.https, tt.all}
			for i, what := range []string{"HTTP", "HTTPS", "All"} {
				if got[i] != want[i] {
					t.Errorf("New(%v).%s = %q, want %q", tt.proxies, what, got[i], want[i])
				}
			}
		})
	}
}

func urlString(u *url.URL) string {
	if u == nil {
		return ""
	}
	return u.String()
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name    string
		proxies map[string]string
		want    string // in the message
	}{
		{"unknown key", map[string]string{"ftp": "http://p:1"}, `unknown key "ftp"`},
		{"unsupported scheme", map[string]string{"http": "ftp://u:secret@p:21"}, `unsupported scheme "ftp"`},
		{"socks4", map[string]string{"all": "socks4://p:1080"}, `unsupported scheme "socks4"`},
		{"port range", map[string]string{"http": "http://u:secret@p:99999"}, `invalid port "99999"`},
		{"port zero", map[string]string{"http": "http://p:0"}, `invalid port "0"`},
		{"port letters", map[string]string{"https": "http://u:secret@p:abc"}, `invalid port`},
		{"no host", map[string]string{"http": "http://"}, `no host`},
		{"no host userinfo", map[string]string{"http": "http://u:secret@"}, `no host`},
		{"path", map[string]string{"http": "http://u:secret@p:1/path"}, `no path, query or fragment`},
		{"query", map[string]string{"http": "http://p:1/?x=1"}, `no path, query or fragment`},
		{"escape in password", map[string]string{"http": "http://u:se%zzcret@p:1"}, `invalid percent-encoding`},
		{"space in host", map[string]string{"http": "http://u:secret@p q:1"}, `invalid`},
		// A password with a raw '#', '/' or '?', or digits before a '/'
		// (which parse as a port and a path), is masked all the same.
		{"hash in password", map[string]string{"http": "http://u:secret#x@p:1"}, `invalid port`},
		{"slash in password", map[string]string{"all": "u:secret/x@p:1"}, `"u:xxxxx@p:1"`},
		{"question mark in password", map[string]string{"https": "socks5://u:secret?x@p:1"}, `invalid`},
		{"digits and slash in password", map[string]string{"http": "http://u:1234/secret@p:1"}, `"http://u:xxxxx@p:1"`},
		{"both all and star", map[string]string{"all": "http://a:1", "*": "http://b:1"}, `both`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := proxy.New(tt.proxies, "")
			if err == nil {
				t.Fatalf("New(%v) = %v, want an error", tt.proxies, s)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) {
				t.Errorf("New(%v) error = %q, want it to contain %q", tt.proxies, msg, tt.want)
			}
			if strings.Contains(msg, "secret") || strings.Contains(msg, "se%zzcret") { // C7
				t.Errorf("New(%v) error = %q shows the password", tt.proxies, msg)
			}
			if !strings.HasPrefix(msg, "proxy: ") {
				t.Errorf("New(%v) error = %q, want the prefix \"proxy: \"", tt.proxies, msg)
			}
		})
	}
}

func TestProxyByScheme(t *testing.T) {
	s, err := proxy.New(map[string]string{"http": "http://p1:1", "https": "http://p2:2", "all": "socks5h://p3:3"}, "")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ url, want string }{
		{"http://example.com/", "http://p1:1"},
		{"HTTP://example.com/", "http://p1:1"},
		{"https://example.com/", "http://p2:2"},
		{"ftp://example.com/", "socks5h://p3:3"},
		{"ws://example.com/", "socks5h://p3:3"},
		// New proxies loopback targets too: tests need it.
		{"http://127.0.0.1:8080/", "http://p1:1"},
		{"http://localhost/", "http://p1:1"},
		{"https://[::1]/", "http://p2:2"},
	}
	for _, tt := range tests {
		if got := proxyFor(t, s, tt.url); got != tt.want {
			t.Errorf("ProxyFor(%q) = %q, want %q", tt.url, got, tt.want)
		}
	}

	var zero proxy.Selector
	if got := proxyFor(t, &zero, "http://example.com/"); got != "" {
		t.Errorf("zero Selector: ProxyFor(http://example.com/) = %q, want direct", got)
	}
	if p, err := s.Proxy(nil); p != nil || err != nil {
		t.Errorf("Proxy(nil) = %v, %v, want nil, nil", p, err)
	}
	req, _ := http.NewRequest("GET", "https://example.com/", nil)
	req.Host = "other.example" // the Host field never steers the choice
	if p, _ := s.Proxy(req); p == nil || p.String() != "http://p2:2" {
		t.Errorf("Proxy(GET https://example.com/) = %v, want http://p2:2", p)
	}
}

func TestFromEnvironment(t *testing.T) {
	const (
		httpURL  = "http://example.com/"
		httpsURL = "https://example.com/"
	)
	tests := []struct {
		name      string
		env       map[string]string
		http      string // proxy for httpURL, "" direct
		https     string
		loopbacks bool // also check that loopback goes direct
	}{
		{"none", nil, "", "", true},
		{"upper", map[string]string{"HTTP_PROXY": "http://up:1", "HTTPS_PROXY": "http://ups:2"}, "http://up:1", "http://ups:2", true},
		{"lower", map[string]string{"http_proxy": "http://low:1", "https_proxy": "low:2"}, "http://low:1", "http://low:2", false},
		{"lower wins", map[string]string{"http_proxy": "http://low:1", "HTTP_PROXY": "http://up:1", "https_proxy": "http://lows:2", "HTTPS_PROXY": "http://ups:2"}, "http://low:1", "http://lows:2", false},
		{"empty lower falls back", map[string]string{"http_proxy": "", "HTTP_PROXY": "http://up:1"}, "http://up:1", "", false},
		{"https only", map[string]string{"HTTPS_PROXY": "https://ps:443"}, "", "https://ps:443", false},
		{"all", map[string]string{"ALL_PROXY": "socks5h://s:1080"}, "socks5h://s:1080", "socks5h://s:1080", true},
		{"all lower", map[string]string{"all_proxy": "socks5://s:1080", "ALL_PROXY": "socks5h://t:1080"}, "socks5://s:1080", "socks5://s:1080", false},
		{"scheme beats all", map[string]string{"HTTP_PROXY": "http://p:1", "ALL_PROXY": "socks5h://s:1080"}, "http://p:1", "socks5h://s:1080", false},
		{"no_proxy", map[string]string{"HTTP_PROXY": "http://p:1", "HTTPS_PROXY": "http://p:1", "NO_PROXY": "example.com"}, "", "", false},
		{"no_proxy lower wins", map[string]string{"HTTP_PROXY": "http://p:1", "no_proxy": "other.com", "NO_PROXY": "example.com"}, "http://p:1", "", false},
		{"no_proxy star", map[string]string{"ALL_PROXY": "http://p:1", "no_proxy": "*"}, "", "", false},
		{"credentials kept", map[string]string{"HTTPS_PROXY": "http://u:pw@p:1"}, "", "http://u:pw@p:1", false},
		// C5: httpoxy. A CGI script's HTTP_PROXY may come from the client's
		// "Proxy:" header.
		{"cgi ignores HTTP_PROXY", map[string]string{"REQUEST_METHOD": "GET", "HTTP_PROXY": "http://attacker.example:8080"}, "", "", true},
		{"cgi ignores http_proxy", map[string]string{"REQUEST_METHOD": "POST", "http_proxy": "http://attacker.example:8080", "HTTPS_PROXY": "http://corp:3128"}, "", "http://corp:3128", false},
		{"cgi keeps ALL_PROXY", map[string]string{"REQUEST_METHOD": "GET", "HTTP_PROXY": "http://attacker.example:8080", "ALL_PROXY": "http://corp:3128"}, "http://corp:3128", "http://corp:3128", false},
		{"cgi invalid HTTP_PROXY ignored", map[string]string{"REQUEST_METHOD": "GET", "HTTP_PROXY": "ftp://x"}, "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := proxy.FromEnvironment(env(tt.env))
			if err != nil {
				t.Fatalf("FromEnvironment(%v) error: %v", tt.env, err)
			}
			if got := proxyFor(t, s, httpURL); got != tt.http {
				t.Errorf("FromEnvironment(%v): ProxyFor(%s) = %q, want %q", tt.env, httpURL, got, tt.http)
			}
			if got := proxyFor(t, s, httpsURL); got != tt.https {
				t.Errorf("FromEnvironment(%v): ProxyFor(%s) = %q, want %q", tt.env, httpsURL, got, tt.https)
			}
			if strings.Contains(s.String(), "attacker") {
				t.Errorf("FromEnvironment(%v) = %v, holds the CGI HTTP_PROXY", tt.env, s)
			}
			// As net/http: never a proxy for localhost and loopback.
			for _, u := range []string{"http://localhost:8080/", "https://127.0.0.1/", "http://[::1]:80/", "http://LOCALHOST./"} {
				if got := proxyFor(t, s, u); got != "" {
					t.Errorf("FromEnvironment(%v): ProxyFor(%s) = %q, want direct", tt.env, u, got)
				}
			}
		})
	}
}

func TestFromEnvironmentErrors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"HTTP_PROXY scheme", map[string]string{"HTTP_PROXY": "ftp://u:secret@p:21"}, "HTTP_PROXY"},
		{"https_proxy port", map[string]string{"https_proxy": "http://u:secret@p:65536"}, "https_proxy"},
		{"ALL_PROXY path", map[string]string{"ALL_PROXY": "socks5://u:secret@p:1080/x"}, "ALL_PROXY"},
		{"lower is the one read", map[string]string{"http_proxy": "gopher://u:secret@p", "HTTP_PROXY": "http://ok:1"}, "http_proxy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := proxy.FromEnvironment(env(tt.env))
			if err == nil {
				t.Fatalf("FromEnvironment(%v) succeeded, want an error naming %s", tt.env, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "secret") {
				t.Errorf("FromEnvironment(%v) error = %q, want it to name %s and not show the password", tt.env, err, tt.want)
			}
		})
	}
}

// TestFromEnvironmentPerCall: the variables are read at each call, not
// cached for the process.
func TestFromEnvironmentPerCall(t *testing.T) {
	m := map[string]string{"HTTP_PROXY": "http://first:1"}
	s1, err := proxy.FromEnvironment(env(m))
	if err != nil {
		t.Fatal(err)
	}
	m["HTTP_PROXY"] = "http://second:2"
	s2, err := proxy.FromEnvironment(env(m))
	if err != nil {
		t.Fatal(err)
	}
	if a, b := proxyFor(t, s1, "http://example.com/"), proxyFor(t, s2, "http://example.com/"); a != "http://first:1" || b != "http://second:2" {
		t.Errorf("two calls gave %q and %q, want http://first:1 and http://second:2", a, b)
	}

	t.Setenv("HTTPS_PROXY", "http://fromos:3")
	t.Setenv("all_proxy", "") // set empty: hides the machine's ALL_PROXY
	t.Setenv("no_proxy", "")
	t.Setenv("https_proxy", "") // restored when the test ends
	os.Unsetenv("https_proxy")
	s3, err := proxy.FromEnvironment(nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := proxyFor(t, s3, "https://example.com/"); got != "http://fromos:3" {
		t.Errorf("FromEnvironment(nil): ProxyFor(https://example.com/) = %q, want http://fromos:3", got)
	}
	// https_proxy set empty hides HTTPS_PROXY, as in Python's urllib.
	os.Setenv("https_proxy", "")
	s4, err := proxy.FromEnvironment(nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := proxyFor(t, s4, "https://example.com/"); got != "" {
		t.Errorf("https_proxy empty: ProxyFor(https://example.com/) = %q, want direct", got)
	}
}

// TestCredentials covers C3 and SetCredentials: credentials belong to one
// proxy URL and never move to another.
func TestCredentials(t *testing.T) {
	newSel := func(t *testing.T) *proxy.Selector {
		s, err := proxy.New(map[string]string{"http": "http://p1:3128", "https": "http://p2:3128", "all": "socks5://p3:1080"}, "")
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	t.Run("SetCredentials sets every proxy", func(t *testing.T) {
		s := newSel(t)
		s.SetCredentials("user", "pw")
		for _, u := range []string{"http://a/", "https://a/", "ftp://a/"} {
			if got := proxyFor(t, s, u); !strings.Contains(got, "//user:pw@") {
				t.Errorf("after SetCredentials: ProxyFor(%s) = %q, want user:pw", u, got)
			}
		}
	})
	t.Run("SetProxyCredentials sets one proxy", func(t *testing.T) {
		s := newSel(t)
		if err := s.SetProxyCredentials("p1:3128", "u1", "secret1"); err != nil {
			t.Fatal(err)
		}
		if got := proxyFor(t, s, "http://a/"); got != "http://u1:secret1@p1:3128" {
			t.Errorf("ProxyFor(http://a/) = %q, want http://u1:secret1@p1:3128", got)
		}
		for _, u := range []string{"https://a/", "ftp://a/"} {
			if got := proxyFor(t, s, u); strings.Contains(got, "@") {
				t.Errorf("ProxyFor(%s) = %q: p1's credentials went to another proxy", u, got)
			}
		}
	})
	t.Run("same host other scheme is another proxy", func(t *testing.T) {
		s, _ := proxy.New(map[string]string{"http": "http://p:3128", "https": "https://p:3128"}, "")
		if err := s.SetProxyCredentials("http://P:3128", "u", "secret"); err != nil {
			t.Fatal(err)
		}
		if got := proxyFor(t, s, "https://a/"); strings.Contains(got, "secret") {
			t.Errorf("ProxyFor(https://a/) = %q: credentials of http://p:3128 reached https://p:3128", got)
		}
	})
	t.Run("default port", func(t *testing.T) {
		s, _ := proxy.New(map[string]string{"http": "http://p"}, "")
		if err := s.SetProxyCredentials("http://p:80", "u", "pw"); err != nil {
			t.Errorf("SetProxyCredentials(http://p:80) for http://p: %v", err)
		}
	})
	t.Run("unknown proxy", func(t *testing.T) {
		s := newSel(t)
		err := s.SetProxyCredentials("http://u:secret@elsewhere:3128", "u", "pw")
		if err == nil || strings.Contains(err.Error(), "secret") {
			t.Errorf("SetProxyCredentials(elsewhere) error = %v, want an error without the password", err)
		}
		if got := proxyFor(t, s, "http://a/"); strings.Contains(got, "@") {
			t.Errorf("ProxyFor(http://a/) = %q after a failed SetProxyCredentials", got)
		}
	})
	t.Run("cleared credentials are not reused", func(t *testing.T) {
		s, _ := proxy.FromEnvironment(env(map[string]string{"HTTP_PROXY": "http://envuser:envsecret@p1:3128"}))
		s.SetCredentials("u", "secret")
		s.SetCredentials("", "")
		if got := proxyFor(t, s, "http://a/"); got != "http://p1:3128" {
			t.Errorf("after clearing: ProxyFor(http://a/) = %q, want http://p1:3128", got)
		}
	})
	t.Run("a proxy set later gets none", func(t *testing.T) {
		s := newSel(t)
		s.SetCredentials("u", "secret")
		s.HTTPS = &url.URL{Scheme: "http", Host: "p4:3128"}
		if got := proxyFor(t, s, "https://a/"); got != "http://p4:3128" {
			t.Errorf("ProxyFor(https://a/) = %q, want http://p4:3128 without credentials", got)
		}
	})
	t.Run("returned URL is a copy", func(t *testing.T) {
		s := newSel(t)
		u, _ := s.ProxyFor(&url.URL{Scheme: "http", Host: "a"})
		u.User = url.UserPassword("mallory", "x")
		u.Host = "evil:1"
		if got := proxyFor(t, s, "http://a/"); got != "http://p1:3128" {
			t.Errorf("ProxyFor after changing a returned URL = %q, want http://p1:3128", got)
		}
	})
}

// TestConcurrentCredentials: SetCredentials while requests ask Proxy
// (run with -race).
func TestConcurrentCredentials(t *testing.T) {
	s, _ := proxy.New(map[string]string{"all": "http://p:1"}, "10.0.0.0/8")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 200 {
				if i == 0 {
					s.SetCredentials("u", string(rune('a'+j%26)))
					continue
				}
				p, err := s.ProxyFor(&url.URL{Scheme: "https", Host: "example.com"})
				if p == nil || err != nil {
					t.Errorf("ProxyFor = %v, %v", p, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestRedact covers C7.
func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://user:secret@proxy:3128", "http://user:xxxxx@proxy:3128"},
		{"socks5h://user:secret@proxy:1080", "socks5h://user:xxxxx@proxy:1080"},
		{"http://user@proxy:3128", "http://user@proxy:3128"},
		{"http://proxy:3128", "http://proxy:3128"},
	}
	for _, tt := range tests {
		u, _ := url.Parse(tt.in)
		if got := proxy.Redact(u); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := proxy.Redact(nil); got != "" {
		t.Errorf("Redact(nil) = %q, want \"\"", got)
	}

	s, _ := proxy.New(map[string]string{"http": "http://u:secret1@p:1", "all": "socks5://u:secret2@p:2"}, "")
	s.SetProxyCredentials("http://p:1", "u", "secret3")
	for _, text := range []string{s.String(), fmtV(s)} {
		if strings.Contains(text, "secret") || !strings.Contains(text, "xxxxx") {
			t.Errorf("Selector printed as %q, want passwords redacted", text)
		}
	}
	e := &proxy.ProxyError{Proxy: proxy.Redact(s.HTTP), Target: "example.com:443", Status: 407, Err: proxy.ErrProxyAuth}
	if strings.Contains(e.Error(), "secret") {
		t.Errorf("ProxyError = %q shows the password", e)
	}
}

func fmtV(v any) string { return fmt.Sprintf("%v %+v %s", v, v, v) }

func TestForwarding(t *testing.T) {
	fixed := func(raw string) func(*http.Request) (*url.URL, error) {
		return func(*http.Request) (*url.URL, error) {
			if raw == "" {
				return nil, nil
			}
			return url.Parse(raw)
		}
	}
	failing := func(*http.Request) (*url.URL, error) { return nil, fmt.Errorf("no") }
	req := func(raw string) *http.Request {
		u, _ := url.Parse(raw)
		return &http.Request{URL: u, Header: http.Header{}}
	}
	tests := []struct {
		name   string
		req    *http.Request
		choose func(*http.Request) (*url.URL, error)
		want   string
	}{
		{"http through an http proxy", req("http://127.0.0.1/"), fixed("http://127.0.0.2:3128"), "http://127.0.0.2:3128"},
		{"http through an https proxy", req("HTTP://127.0.0.1/"), fixed("https://127.0.0.2:3128"), "https://127.0.0.2:3128"},
		{"https is tunnelled", req("https://127.0.0.1/"), fixed("http://127.0.0.2:3128"), ""},
		{"socks", req("http://127.0.0.1/"), fixed("socks5://127.0.0.2:1080"), ""},
		{"direct", req("http://127.0.0.1/"), fixed(""), ""},
		{"error", req("http://127.0.0.1/"), failing, ""},
		{"nil choose", req("http://127.0.0.1/"), nil, ""},
		{"nil URL", &http.Request{Header: http.Header{}}, fixed("http://127.0.0.2:3128"), ""},
		{"nil request", nil, fixed("http://127.0.0.2:3128"), ""},
	}
	for _, tt := range tests {
		got := ""
		if u := proxy.Forwarding(tt.req, tt.choose); u != nil {
			got = u.String()
		}
		if got != tt.want {
			t.Errorf("%s: Forwarding = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestParseURL(t *testing.T) {
	u, err := proxy.ParseURL("kim:pw@127.0.0.1:3128")
	if err != nil || u.String() != "http://kim:pw@127.0.0.1:3128" {
		t.Errorf("ParseURL(host:port) = %v, %v", u, err)
	}
	for _, bad := range []string{"http://127.0.0.1:3128/path", "ftp://127.0.0.1", "http://u:SEKRIT@127.0.0.1:0"} {
		if _, err := proxy.ParseURL(bad); err == nil || strings.Contains(err.Error(), "SEKRIT") {
			t.Errorf("ParseURL(%q) = %v, want an error with the password masked", bad, err)
		}
	}
}
