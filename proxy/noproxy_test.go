package proxy_test

import (
	"net"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/http/httpproxy"

	"github.com/grabhq/grab/proxy"
)

// noProxyTests is the C4 matrix: NO_PROXY against request URLs. direct
// means the request bypasses the proxy.
var noProxyTests = []struct {
	noProxy string
	url     string
	direct  bool
}{
	// Zone ids never match name patterns (CVE-2025-22870).
	{"*.example.com", "http://[::1%25.example.com]/", false},
	{".example.com", "http://[fe80::1%25.example.com]:8080/", false},
	{"example.com", "http://[fe80::1%25example.com]/", false},
	{"example.com", "http://[fe80::1%25.example.com]/", false},
	{"*.example.com", "http://foo%25.example.com/", false}, // a '%' in a name: never a real name
	// Names: the name and its subdomains; a leading "." or "*." for the
	// subdomains only.
	{"example.com", "http://example.com/", true},
	{"example.com", "http://www.example.com/", true},
	{"example.com", "http://notexample.com/", false},
	{"example.com", "http://example.com.evil.net/", false},
	{"example.com", "http://example.co/", false},
	{".example.com", "http://example.com/", false},
	{".example.com", "http://x.example.com/", true},
	{"*.example.com", "http://example.com/", false},
	{"*.example.com", "http://a.b.example.com/", true},
	{"*example.com", "http://notexample.com/", false},
	// Case and trailing dots are ignored on both sides.
	{"example.com", "http://EXAMPLE.COM./", true},
	{"EXAMPLE.COM.", "http://example.com/", true},
	{"Example.Com", "http://www.EXAMPLE.com/", true},
	{".example.com.", "http://a.example.com./", true},
	// IDNA: the ASCII form on both sides.
	{"bücher.example", "http://xn--bcher-kva.example/", true},
	{"xn--bcher-kva.example", "http://bücher.example/", true},
	{"BÜCHER.example", "http://www.bücher.example/", true},
	// IP addresses and CIDR blocks.
	{"10.0.0.0/8", "http://10.1.2.3/", true},
	{"10.0.0.0/8", "http://11.0.0.1/", false},
	{"10.0.0.0/8", "http://[::ffff:10.1.2.3]/", true},
	{"10.0.0.0/8", "http://10.example.com/", false},
	{"fd00::/8", "http://[fd12::1]/", true},
	{"192.168.1.7", "http://192.168.1.7:8080/", true},
	{"192.168.1.7", "http://192.168.1.8/", false},
	{"127.0.0.0/8", "http://１２７．０．０．１/", true}, // the full-width spelling dials 127.0.0.1
	{"127.0.0.1", "http://127.1/", true},       // numeric spellings dial the address they spell
	{"127.0.0.0/8", "http://2130706433:8080/", true},
	{"10.0.0.0/8", "http://0x0a.0.0.1/", true},
	{"10.0.0.1", "http://10.1/", true},
	{"10.0.0.2", "http://10.1/", false},

	{"::1", "http://[::1]:8080/", true},
	{"[::1]", "http://[::1]:8080/", true},
	{"[::1]", "http://[::2]/", false},
	{"fe80::1", "http://[fe80::1%25eth0]/", true}, // an address matches by its address; zones aside
	{"127.0.0.1", "http://localhost/", false},     // an address never matches a name, nor a name an address
	{"localhost", "http://127.0.0.1/", false},
	{"localhost", "http://localhost:1234/", true},
	// Ports.
	{"example.com:8080", "http://example.com:8080/", true},
	{"example.com:8080", "http://example.com/", false},
	{"example.com:80", "http://example.com/", true},
	{"example.com:443", "https://example.com/", true},
	{"example.com:443", "http://example.com/", false},
	{"[::1]:8080", "http://[::1]:8080/", true},
	{"[::1]:8080", "http://[::1]:9090/", false},
	{"10.1.2.3:80", "http://10.1.2.3/", true},
	{"10.1.2.3:80", "http://10.1.2.3:81/", false},
	{".example.com:8080", "http://a.example.com:8080/", true},
	// Lists, "*", spaces, junk.
	{"*", "http://anything.example/", true},
	{"a.com, *", "http://10.9.9.9/", true},
	{" foo.org , example.com ", "http://example.com/", true},
	{"foo.org,,bar.org", "http://example.com/", false},
	{"exa mple.com,:80,[,]", "http://example.com/", false},
	{"", "http://example.com/", false},
	{".", "http://example.com/", false},
}

func TestNoProxy(t *testing.T) {
	for _, tt := range noProxyTests {
		t.Run(tt.noProxy+" "+tt.url, func(t *testing.T) {
			s := &proxy.Selector{All: &url.URL{Scheme: "http", Host: "proxy.test:3128"}, NoProxy: tt.noProxy}
			got := proxyFor(t, s, tt.url) == ""
			if got != tt.direct {
				t.Errorf("NoProxy %q: %s direct = %t, want %t", tt.noProxy, tt.url, got, tt.direct)
			}
		})
	}
}

// TestNoProxyAgreesWithHTTPProxy checks the matcher against net/http's
// (golang.org/x/net/http/httpproxy) on every row of the matrix where the
// two are meant to agree: httpproxy never proxies loopback, and reads
// trailing dots, "[::1]" entries, upper-case hosts, zones in entries and
// names holding a '%' differently (the gaps this package fills).
func TestNoProxyAgreesWithHTTPProxy(t *testing.T) {
	n := 0
	for _, tt := range noProxyTests {
		u, _ := url.Parse(tt.url)
		if !comparable(tt.noProxy, u) {
			continue
		}
		n++
		if got, want := oursDirect(tt.noProxy, u), theirsDirect(tt.noProxy, u); got != want {
			t.Errorf("NoProxy %q: %s direct = %t, httpproxy says %t", tt.noProxy, tt.url, got, want)
		}
	}
	if n < 25 {
		t.Errorf("only %d rows compared", n)
	}
}

// comparable reports whether httpproxy's answer for noProxy and u is
// meant to be ours.
func comparable(noProxy string, u *url.URL) bool {
	host := u.Hostname()
	numeric := strings.Trim(host, "0123456789abcdefx.") == "" && net.ParseIP(host) == nil // "127.1", "0x0a.1": names to httpproxy
	if numeric || strings.HasSuffix(host, ".") || host != strings.ToLower(host) ||
		(strings.Contains(host, "%") && !strings.Contains(host, ":")) { // a '%' in a name, not a zone
		return false
	}
	for e := range strings.SplitSeq(noProxy, ",") {
		e = strings.TrimSpace(e)
		if strings.HasSuffix(e, ".") || strings.Contains(e, "%") ||
			(strings.HasPrefix(e, "[") && strings.HasSuffix(e, "]")) {
			return false
		}
	}
	// Not loopback: httpproxy never proxies it.
	s := &proxy.Selector{DirectLoopback: true, All: &url.URL{Scheme: "http", Host: "p:1"}}
	p, _ := s.ProxyFor(u)
	return p != nil
}

func oursDirect(noProxy string, u *url.URL) bool {
	s := &proxy.Selector{
		HTTP:           &url.URL{Scheme: "http", Host: "proxy.test:3128"},
		HTTPS:          &url.URL{Scheme: "http", Host: "proxy.test:3128"},
		NoProxy:        noProxy,
		DirectLoopback: true,
	}
	p, _ := s.ProxyFor(u)
	return p == nil
}

func theirsDirect(noProxy string, u *url.URL) bool {
	cfg := httpproxy.Config{HTTPProxy: "http://proxy.test:3128", HTTPSProxy: "http://proxy.test:3128", NoProxy: noProxy}
	p, err := cfg.ProxyFunc()(u)
	return p == nil && err == nil
}

// TestDirectLoopbackNumeric: loopback spelt as a number is loopback (the
// environment's proxy sent http://127.1/ to the proxy, 127.0.0.1 direct).
func TestDirectLoopbackNumeric(t *testing.T) {
	s := &proxy.Selector{DirectLoopback: true, All: &url.URL{Scheme: "http", Host: "proxy.test:3128"}}
	for _, raw := range []string{"http://127.1/", "http://2130706433:8080/", "http://0x7f.0.0.1/", "http://127.0.0.1./"} {
		u, _ := url.Parse(raw)
		if p, err := s.ProxyFor(u); p != nil || err != nil {
			t.Errorf("%s: proxy %v, %v; want direct", raw, p, err)
		}
	}
	u, _ := url.Parse("http://128.1/")
	if p, _ := s.ProxyFor(u); p == nil {
		t.Errorf("128.1 (128.0.0.1) went direct")
	}
}
