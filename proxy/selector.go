package proxy

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/grabhq/grab/internal/redact"
)

// Selector chooses the proxy for a request: urllib's ProxyHandler, shaped
// as [http.Transport.Proxy]. The zero value sends everything direct.
//
// Set the fields before the first use and leave them alone afterwards, as
// with [http.Transport]; [Selector.SetCredentials] and
// [Selector.SetProxyCredentials] may be called at any time, concurrently
// with [Selector.Proxy]. A Selector must not be copied after first use.
type Selector struct {
	// HTTP is the proxy for http:// URLs; nil means All.
	HTTP *url.URL
	// HTTPS is the proxy for https:// URLs; nil means All.
	HTTPS *url.URL
	// All is the proxy for URLs whose scheme has no proxy of its own
	// (curl's ALL_PROXY); nil means direct.
	All *url.URL

	// A proxy URL's scheme is http, https (TLS to the proxy), socks5 or
	// socks5h; its userinfo, if any, holds the credentials sent to that
	// proxy and to no other. SetCredentials and SetProxyCredentials set
	// it.

	// NoProxy lists the hosts reached directly, in NO_PROXY syntax: names
	// (with their subdomains; ".example.com" and "*.example.com" for the
	// subdomains only), IP addresses ("10.1.2.3", "::1", "[::1]"), CIDR
	// blocks ("10.0.0.0/8"), any of them with a port ("example.com:8080",
	// "[::1]:8080"), or "*" for every host. See the package documentation
	// for the exact rules.
	NoProxy string
	// DirectLoopback sends requests for localhost and loopback addresses
	// direct whatever the other fields say, as net/http's
	// ProxyFromEnvironment does. FromEnvironment sets it; New does not, so
	// an explicitly configured proxy serves loopback targets too.
	DirectLoopback bool

	mu       sync.Mutex
	npFor    string // the NoProxy value np was parsed from
	np       *noProxyList
	npParsed bool
}

// New returns a Selector for proxies, as Python's
// ProxyHandler({'http': 'http://proxy:3128/', 'https': ...}) does, with
// noProxy in NO_PROXY syntax (see [Selector.NoProxy]). The keys are
// "http", "https", and "all" (or "*") for the URLs of any scheme without a
// proxy of its own; an empty value is the same as a missing key. A value
// is a proxy URL with the scheme http, https, socks5 or socks5h and
// optional userinfo for credentials; a bare "host:port" means
// http://host:port. An unknown key, or a value that is not such a URL, is
// an error naming it (password redacted).
//
// The proxies serve every host, loopback included, except those noProxy
// lists.
func New(proxies map[string]string, noProxy string) (*Selector, error) {
	s := &Selector{NoProxy: noProxy}
	allKey := ""
	for key, raw := range proxies {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		var slot **url.URL
		switch k := strings.ToLower(key); k {
		case "http":
			slot = &s.HTTP
		case "https":
			slot = &s.HTTPS
		case "all", "*":
			if allKey != "" {
				return nil, fmt.Errorf("proxy: both %q and %q are given; use one", allKey, key)
			}
			allKey = key
			slot = &s.All
		default:
			return nil, fmt.Errorf("proxy: unknown key %q (want http, https, all or *)", key)
		}
		u, err := parseProxyURL(raw)
		if err != nil {
			return nil, fmt.Errorf("proxy: %q proxy: %w", key, err)
		}
		*slot = u
	}
	return s, nil
}

// FromEnvironment returns a Selector for the proxy variables getenv
// returns (nil means the process's environment): http_proxy, https_proxy,
// all_proxy and no_proxy, each in lower or upper case, the lower-case one
// winning when both are set (as curl and Python's urllib do; net/http's
// ProxyFromEnvironment takes the upper-case one). A lower-case variable
// set empty ("http_proxy=") hides the upper-case one, as in Python's
// urllib: with a getenv, which cannot tell empty from unset, that holds
// only for nil (the environment, read with os.LookupEnv) and
// [FromLookup]. It reads them when it is called, so call it once per
// opener, not once per process.
//
// The rules are net/http's (golang.org/x/net/http/httpproxy), with these
// differences, all on the safe side:
//
//   - When REQUEST_METHOD is set (a CGI script, where a client's "Proxy:"
//     header arrives as HTTP_PROXY), HTTP_PROXY and http_proxy are
//     ignored (httpoxy, CVE-2016-5385); httpproxy fails every http://
//     request instead.
//   - A value that is not a proxy URL is an error naming the variable;
//     httpproxy silently goes direct.
//   - all_proxy (curl's) serves the schemes without a proxy of their own;
//     net/http ignores it.
//   - no_proxy follows [Selector.NoProxy], which adds trailing-dot
//     names and "[::1]" entries to httpproxy's rules.
//
// As in net/http, localhost and loopback addresses are never proxied
// (DirectLoopback is set).
func FromEnvironment(getenv func(string) string) (*Selector, error) {
	if getenv == nil {
		return FromLookup(nil)
	}
	return FromLookup(func(name string) (string, bool) {
		v := getenv(name)
		return v, strings.TrimSpace(v) != ""
	})
}

// FromLookup is [FromEnvironment] with the variables read by lookup (nil
// means [os.LookupEnv]), which tells a variable set empty from one unset.
func FromLookup(lookup func(string) (string, bool)) (*Selector, error) {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	get := func(lower string) (value, name string) {
		for _, n := range []string{lower, strings.ToUpper(lower)} {
			if v, set := lookup(n); set {
				return strings.TrimSpace(v), n // set, even empty: it decides
			}
		}
		return "", ""
	}
	s := &Selector{DirectLoopback: true}
	s.NoProxy, _ = get("no_proxy")
	vars := []struct {
		name string
		slot **url.URL
	}{
		{"http_proxy", &s.HTTP},
		{"https_proxy", &s.HTTPS},
		{"all_proxy", &s.All},
	}
	method, _ := lookup("REQUEST_METHOD")
	cgi := method != ""
	for _, v := range vars {
		if cgi && v.name == "http_proxy" {
			continue
		}
		raw, name := get(v.name)
		if raw == "" {
			continue
		}
		u, err := parseProxyURL(raw)
		if err != nil {
			return nil, fmt.Errorf("proxy: %s: %w", name, err)
		}
		*v.slot = u
	}
	return s, nil
}

// Proxy returns the proxy for req, or nil for a direct connection: the
// function for [http.Transport.Proxy]. It never fails. The URL returned
// is a copy, with the credentials of that proxy (from its URL or
// SetCredentials) in its userinfo; net/http sends them as
// Proxy-Authorization to that proxy only: in the CONNECT for an https
// target, in the forwarded request for an http one. net/http treats a
// socks5 proxy as socks5h (the proxy resolves the name); see [Dialer] for
// local resolution.
func (s *Selector) Proxy(req *http.Request) (*url.URL, error) {
	if req == nil {
		return nil, nil
	}
	return s.ProxyFor(req.URL)
}

// ProxyFor is [Selector.Proxy] for a URL, for callers without an
// http.Request (a [Dialer] in front of fetch/conn, say). The decision
// rests on u's scheme and host only: never on a Host header.
func (s *Selector) ProxyFor(u *url.URL) (*url.URL, error) {
	if u == nil {
		return nil, nil
	}
	scheme := strings.ToLower(u.Scheme)
	s.mu.Lock()
	var p *url.URL
	switch scheme {
	case "http":
		p = s.HTTP
	case "https":
		p = s.HTTPS
	}
	if p == nil {
		p = s.All
	}
	loop := s.DirectLoopback
	var np *noProxyList
	if p != nil && s.NoProxy != "" {
		np = s.noProxyLocked()
	}
	s.mu.Unlock()
	if p == nil {
		return nil, nil
	}
	h := normalizeHost(u.Hostname())
	if loop && h.isLoopback() {
		return nil, nil
	}
	if np != nil {
		port := u.Port()
		if port == "" {
			port = defaultPort(scheme)
		}
		if np.match(h, port) {
			return nil, nil
		}
	}
	c := *p
	return &c, nil
}

// noProxyLocked returns the parsed NoProxy, parsing it again only when the
// field changed. s.mu is held.
func (s *Selector) noProxyLocked() *noProxyList {
	if !s.npParsed || s.npFor != s.NoProxy {
		l := parseNoProxy(s.NoProxy)
		s.np, s.npFor, s.npParsed = &l, s.NoProxy, true
	}
	return s.np
}

// SetCredentials sets the credentials sent to the proxies the Selector has
// now (HTTP, HTTPS and All), as ProxyBasicAuthHandler.add_password does:
// each proxy URL gets them as its userinfo. A proxy set later does not get
// them. An empty user clears the credentials of those proxies, those given
// in their URLs included, so that none is sent any more. For different
// credentials per proxy, use [Selector.SetProxyCredentials].
func (s *Selector) SetCredentials(user, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range []**url.URL{&s.HTTP, &s.HTTPS, &s.All} {
		if *p != nil {
			*p = withUser(*p, user, password)
		}
	}
}

// SetProxyCredentials sets the credentials sent to one proxy, named by its
// URL (a bare "host:port" means http://host:port): every field holding a
// proxy with the same scheme, host and port gets them, and no other. An
// empty user clears them. It is an error if no field holds that proxy.
func (s *Selector) SetProxyCredentials(proxy, user, password string) error {
	want, err := parseProxyURL(proxy)
	if err != nil {
		return fmt.Errorf("proxy: SetProxyCredentials: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	found := false
	for _, p := range []**url.URL{&s.HTTP, &s.HTTPS, &s.All} {
		if *p != nil && sameProxy(*p, want) {
			*p = withUser(*p, user, password)
			found = true
		}
	}
	if !found {
		return fmt.Errorf("proxy: SetProxyCredentials: no proxy %s is configured", Redact(&url.URL{Scheme: want.Scheme, Host: want.Host}))
	}
	return nil
}

// String describes the Selector with passwords redacted, so that printing
// one never shows a secret.
func (s *Selector) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprintf("proxy.Selector{HTTP: %q, HTTPS: %q, All: %q, NoProxy: %q, DirectLoopback: %t}",
		Redact(s.HTTP), Redact(s.HTTPS), Redact(s.All), s.NoProxy, s.DirectLoopback)
}

func withUser(u *url.URL, user, password string) *url.URL {
	c := *u
	c.User = nil
	if user != "" {
		c.User = url.UserPassword(user, password)
	}
	return &c
}

// sameProxy reports whether a and b name the same proxy: scheme, host and
// port (default ports filled in), credentials aside.
func sameProxy(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) &&
		strings.EqualFold(a.Hostname(), b.Hostname()) &&
		proxyPort(a) == proxyPort(b)
}

// proxySchemes are the schemes a proxy URL may have, with their default
// ports (those of net/http).
var proxySchemes = map[string]string{
	"http":    "80",
	"https":   "443",
	"socks5":  "1080",
	"socks5h": "1080",
}

func proxyPort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	return proxySchemes[strings.ToLower(u.Scheme)]
}

// defaultPort is the port of a request URL without one, for NO_PROXY
// entries with a port.
func defaultPort(scheme string) string {
	switch scheme {
	case "http", "ws":
		return "80"
	case "https", "wss":
		return "443"
	}
	return ""
}

// ParseURL reads a proxy URL as New reads each value (and a caller can
// check one before it builds a Selector): scheme http, https, socks5 or
// socks5h, a host, an optional port (1-65535) and userinfo, no path,
// query or fragment; "host:port" means http://host:port. Its error names
// the value, password redacted.
func ParseURL(raw string) (*url.URL, error) { return parseProxyURL(raw) }

// parseProxyURL reads a proxy URL: scheme http, https, socks5 or socks5h,
// a host, an optional port and userinfo, nothing else (a path of "/" is
// allowed). A string without "://" is read as http://s, as httpproxy and
// curl do. Errors name the value with its password redacted, read as
// text: a proxy URL has no path, so a '/', '?' or '#' before its last
// '@' belongs to the password ("kim:1234/S3cr@proxy" parses as host
// "kim:1234" and would show it all).
func parseProxyURL(raw string) (*url.URL, error) {
	shown := strconv.Quote(redact.Parsed(raw, nil))
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("invalid proxy URL %s: %s", shown, redact.ParseError(err))
	}
	scheme := strings.ToLower(u.Scheme)
	if _, ok := proxySchemes[scheme]; !ok {
		return nil, fmt.Errorf("proxy URL %s: unsupported scheme %q (want http, https, socks5 or socks5h)", shown, printable(u.Scheme, 32))
	}
	if u.Opaque != "" || u.Hostname() == "" {
		return nil, fmt.Errorf("proxy URL %s: no host", shown)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("proxy URL %s: invalid port %q", shown, printable(p, 32))
		}
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return nil, fmt.Errorf("proxy URL %s: a proxy URL has no path, query or fragment", shown)
	}
	return &url.URL{Scheme: scheme, User: u.User, Host: u.Host}, nil
}

// Forwarding returns the http or https proxy that choose (an
// [http.Transport.Proxy] function) sends the plain-http request req
// through in the absolute form, or nil: for an https request (tunnelled
// by CONNECT), a SOCKS proxy, no proxy or an error. Only such a request
// carries a Proxy-Authorization field to the proxy; on any other it would
// reach the origin. A nil req, URL or choose is no proxy.
func Forwarding(req *http.Request, choose func(*http.Request) (*url.URL, error)) *url.URL {
	if req == nil || req.URL == nil || choose == nil || !strings.EqualFold(req.URL.Scheme, "http") {
		return nil
	}
	u, err := choose(req)
	if err != nil || u == nil {
		return nil
	}
	if s := strings.ToLower(u.Scheme); s != "http" && s != "https" {
		return nil
	}
	return u
}
