package auth

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/grabhq/grab/internal/redact"
	"github.com/grabhq/grab/internal/urlpath"
	"github.com/grabhq/grab/urlx"
)

// ErrAuthFailed is wrapped by every [*Error]: the server refused the
// credentials a handler sent.
var ErrAuthFailed = errors.New("auth: authentication failed")

// Error reports credentials that a server or proxy refused. A handler
// returns it (as the error of RoundTrip, which http.Client wraps in a
// *url.Error) only when its ReturnError field is set; otherwise the final
// 401 or 407 response is returned as it is. It unwraps to [ErrAuthFailed].
type Error struct {
	// Scheme is the authentication scheme: "Basic" or "Digest".
	Scheme string
	// Realm is the realm of the refused credentials.
	Realm string
	// URL is the request URL, or the proxy's URL for a proxy, with any
	// password redacted.
	URL string
	// Proxy reports a proxy's refusal (407) rather than an origin's (401).
	Proxy bool
	// Attempts is the number of requests sent, the first one included.
	Attempts int
}

func (e *Error) Error() string {
	if e.Proxy {
		return fmt.Sprintf("auth: proxy %s refused %s credentials for realm %q after %d attempts", e.URL, strings.ToLower(e.Scheme), e.Realm, e.Attempts)
	}
	// The request URL is left out: http.Client's *url.Error names it.
	return fmt.Sprintf("auth: %s credentials for realm %q refused after %d attempts", strings.ToLower(e.Scheme), e.Realm, e.Attempts)
}

// Unwrap returns [ErrAuthFailed].
func (e *Error) Unwrap() error { return ErrAuthFailed }

// A PasswordManager finds the credentials for a realm at a URL: Python's
// HTTPPasswordMgr.find_user_password. Realm "" asks for credentials that
// are not tied to a realm (Python's realm None): handlers ask that way
// before any challenge, to send credentials up front. It reports ok false
// when it has none. [*Passwords] and netrc's *File implement it.
//
// For a proxy, u is the proxy's URL, as Python's ProxyBasicAuthHandler
// passes the proxy's authority.
type PasswordManager interface {
	FindUserPassword(realm string, u *url.URL) (user, password string, ok bool)
}

// Passwords is a password manager keyed by realm and URI prefix: Python's
// HTTPPasswordMgrWithDefaultRealm (used without realm "" entries, it is
// HTTPPasswordMgr). The zero value is empty and ready; it is safe for
// concurrent use and must not be copied after first use.
type Passwords struct {
	mu      sync.RWMutex
	entries []passwordEntry
}

type passwordEntry struct {
	realm          string
	prefix         prefix
	user, password string
}

// Add registers user and password for realm at uri: Python's
// add_password(realm, uri, user, passwd). Realm "" is the default realm
// (Python's None): those credentials answer a challenge of any realm at
// uri, when no entry names that realm, and are the ones handlers may send
// before any challenge.
//
// The uri is a URI prefix: a scheme, a host, an optional port and an
// optional path, as "https://api.example.com/v1/". It matches URLs with
// the same scheme, host and port (default ports filled in) whose path is
// the prefix's path or lies under it at a segment boundary ("/v1" matches
// "/v1" and "/v1/x", not "/v10"). A uri without a scheme ("host" or
// "host:port", Python's authority form) stands for https only:
// credentials go over plain http only where a uri says http://. Adding
// the same realm and uri again replaces the credentials.
func (p *Passwords) Add(realm, uri, user, password string) error {
	pre, err := parsePrefix(uri)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, e := range p.entries {
		if e.realm == realm && e.prefix == pre {
			p.entries[i].user, p.entries[i].password = user, password
			return nil
		}
	}
	p.entries = append(p.entries, passwordEntry{realm, pre, user, password})
	return nil
}

// FindUserPassword returns the credentials registered for realm whose
// prefix matches u, or else those of the default realm: Python's
// find_user_password. Among several matches the longest prefix wins, then
// the latest added.
func (p *Passwords) FindUserPassword(realm string, u *url.URL) (user, password string, ok bool) {
	if p == nil {
		return "", "", false
	}
	t, ok := target(u)
	if !ok {
		return "", "", false
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	for _, r := range []string{realm, ""} {
		best := -1
		for i, e := range p.entries {
			if e.realm == r && e.prefix.match(t) && (best < 0 || len(e.prefix.path) >= len(p.entries[best].prefix.path)) {
				best = i
			}
		}
		if best >= 0 {
			return p.entries[best].user, p.entries[best].password, true
		}
		if realm == "" {
			break
		}
	}
	return "", "", false
}

// A prefix is the scheme, host, port and cleaned path of a URI prefix.
type prefix struct {
	scheme, host, port, path string
}

// parsePrefix parses a URI prefix for Passwords.Add and the handlers' URL
// fields.
func parsePrefix(s string) (prefix, error) {
	raw := s
	if !strings.Contains(s, "://") {
		s = "https://" + s // Python's authority form; https only (U1)
	}
	u, err := url.Parse(s)
	if err != nil {
		return prefix{}, fmt.Errorf("auth: bad URI %q: %s", redact.String(raw), redact.ParseError(err))
	}
	if u.User != nil {
		return prefix{}, fmt.Errorf("auth: URI %q has user information", redact.String(raw))
	}
	p, ok := target(u)
	if !ok {
		return prefix{}, fmt.Errorf("auth: URI %q is not an http or https URI with a host", redact.String(raw))
	}
	return p, nil
}

// target returns the prefix form of a request URL: scheme and host in
// lower case, the default port filled in, the path cleaned. It reports
// false for a URL that is not http or https or has no host.
func target(u *url.URL) (prefix, bool) {
	if u == nil {
		return prefix{}, false
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	// The ASCII form fetch and net/http dial: "bücher.test" and
	// "xn--bcher-kva.test" are one host.
	host, err := urlx.DialHostname(host)
	if err != nil {
		return prefix{}, false
	}
	port := u.Port()
	if n, err := strconv.Atoi(port); err == nil && n >= 0 && n <= 65535 {
		port = strconv.Itoa(n) // ":034567" is port 34567, as dialed
	}
	switch {
	case host == "":
		return prefix{}, false
	case scheme == "http" && port == "":
		port = "80"
	case scheme == "https" && port == "":
		port = "443"
	case scheme != "http" && scheme != "https":
		return prefix{}, false
	}
	return prefix{scheme, host, port, cleanPath(u)}, true
}

// cleanPath is u's path as the server may resolve it, for matching
// prefixes: escaped, so that an escaped "/" stays inside its segment
// ("/admin%2F..%2Fv1" is not under "/v1"), with the escapes of unreserved
// characters decoded ("%7E" is "~", "%2e%2e" is "..") and dot segments
// removed ("/v1/%2e%2e/admin" is "/admin").
func cleanPath(u *url.URL) string {
	return path.Clean("/" + urlpath.NormEscapes(u.EscapedPath()))
}

// match reports whether t (a target) lies under p.
func (p prefix) match(t prefix) bool {
	if p.scheme != t.scheme || p.host != t.host || p.port != t.port {
		return false
	}
	return p.path == "/" || t.path == p.path || strings.HasPrefix(t.path, p.path+"/")
}

// sameOrigin reports whether p and t share scheme, host and port.
func (p prefix) sameOrigin(t prefix) bool {
	return p.scheme == t.scheme && p.host == t.host && p.port == t.port
}

func (p prefix) origin() string { return p.scheme + "://" + p.host + ":" + p.port }

// creds are a handler's credential settings: fixed credentials for one
// URI prefix (and realm), and a password manager.
type creds struct {
	handler        string // "Basic", for messages
	uri, realm     string
	user, password string
	mgr            PasswordManager
}

// check reports a fixed-credential setting that cannot work.
func (c creds) check() (prefix, bool, error) {
	if c.user == "" && c.password == "" {
		return prefix{}, false, nil
	}
	if c.uri == "" {
		return prefix{}, false, fmt.Errorf("auth: %s has a User or Password but no URL", c.handler)
	}
	p, err := parsePrefix(c.uri)
	if err != nil {
		return prefix{}, false, err
	}
	return p, true, nil
}

// fixedFor reports whether c has fixed credentials (User, Password and
// URL) whose URL prefix covers u.
func (c creds) fixedFor(u *url.URL) (bool, error) {
	fixed, has, err := c.check()
	if err != nil || !has {
		return false, err
	}
	t, ok := target(u)
	return ok && fixed.match(t), nil
}

// find returns the credentials for realm at u. Before any challenge
// (challenged false) only credentials not tied to a realm are returned.
func (c creds) find(realm string, u *url.URL, challenged bool) (user, password string, ok bool, err error) {
	covers, err := c.fixedFor(u)
	if err != nil {
		return "", "", false, err
	}
	if !challenged {
		realm = ""
	}
	if covers && (c.realm == "" || c.realm == realm && challenged) {
		return c.user, c.password, true, nil
	}
	if u != nil {
		// The URL's own user:pass (fetch's Opener shows handlers the
		// first URL's userinfo) comes after the fixed credentials and
		// before a password manager's: curl's order of -u, the URL and
		// netrc. A login alone in the URL is for the manager to look up.
		if pw, own := u.User.Password(); own {
			return u.User.Username(), pw, true, nil
		}
	}
	if c.mgr != nil {
		user, password, ok = c.mgr.FindUserPassword(realm, u)
		return user, password, ok, nil
	}
	return "", "", false, nil
}

// dropUserinfo returns req without the userinfo fetch's Opener shows
// handlers (the URL's own credentials) when c has fixed credentials for
// req's URL: those win (curl's -u over the URL's), and the URL's then
// never go out, not even as the Basic the Opener sends when no handler
// set Authorization.
func (c creds) dropUserinfo(req *http.Request) *http.Request {
	if req.URL.User == nil { // a URL there: RoundTrip checked the request
		return req
	}
	if covers, err := c.fixedFor(req.URL); err != nil || !covers {
		return req
	}
	r := req.WithContext(req.Context())
	u := *req.URL
	u.User, r.URL = nil, &u
	return r
}

// transport returns rt, or http.DefaultTransport for nil.
func transport(rt http.RoundTripper) http.RoundTripper {
	if rt == nil {
		return http.DefaultTransport
	}
	return rt
}

// replayable reports whether req can be sent again: it has no body, or
// GetBody makes a new one.
func replayable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

// again returns a copy of req for another attempt, with a fresh body,
// and with header field name set to value.
func again(req *http.Request, name, value string) (*http.Request, error) {
	r, err := anew(req)
	if err != nil {
		return nil, err
	}
	r.Header.Set(name, value)
	return r, nil
}

// anew returns a copy of req for another attempt, with a fresh body.
func anew(req *http.Request) (*http.Request, error) {
	r := req.Clone(req.Context())
	if req.Body != nil && req.Body != http.NoBody {
		body, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		r.Body = body
	}
	return r, nil
}

// withHeader returns a copy of req (same body) with name set to value.
func withHeader(req *http.Request, name, value string) *http.Request {
	r := req.Clone(req.Context())
	r.Header.Set(name, value)
	return r
}

// discard drains a little of a response body, so its connection can be
// reused, and closes it.
func discard(resp *http.Response) {
	io.CopyN(io.Discard, resp.Body, 4<<10)
	resp.Body.Close()
}

// A kind is what a handler answers: an origin's 401 or a proxy's 407.
type kind struct {
	status            int
	challenge, answer string // header field names
	info              string // Authentication-Info field name
}

var (
	originKind = kind{http.StatusUnauthorized, "Www-Authenticate", "Authorization", "Authentication-Info"}
	proxyKind  = kind{http.StatusProxyAuthRequired, "Proxy-Authenticate", "Proxy-Authorization", "Proxy-Authentication-Info"}
)

// failed ends an exchange whose credentials were refused: it returns
// resp as it is, or closes it and returns an *Error when asked to.
func failed(resp *http.Response, returnError bool, e *Error) (*http.Response, error) {
	if !returnError {
		return resp, nil
	}
	discard(resp)
	return nil, e
}

// hasScheme reports whether one of chs has scheme name.
func hasScheme(chs []Challenge, name string) bool {
	return slices.ContainsFunc(chs, func(c Challenge) bool { return strings.EqualFold(c.Scheme, name) })
}
