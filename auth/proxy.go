package auth

import (
	"net/http"
	"net/url"

	"github.com/grabhq/grab/internal/httpsyntax"
	"github.com/grabhq/grab/proxy"
)

// ProxyOrder is the Order of ProxyBasic and ProxyDigest: inside the other
// handlers of a fetch Opener (lower is outer; the default is 500), next to
// the transport that talks to the proxy.
const ProxyOrder = 600

// ProxyBasic is an http.RoundTripper that adds Basic credentials for a
// forward proxy (Proxy-Authorization) to plain-http requests that go
// through it, and answers the proxy's 407 challenge: urllib's
// ProxyBasicAuthHandler. It is also a Handler for fetch's Opener.
//
// It acts only when the request goes through the proxy: Proxy (the same
// function as the transport's http.Transport.Proxy) must return, for this
// request, a proxy that the credentials are for. A 407 from anyone else —
// an origin reached directly, another proxy — is returned untouched, so
// no one can harvest proxy credentials by answering 407.
//
// For https targets net/http opens a CONNECT tunnel inside the transport,
// where no RoundTripper sees the proxy's 407: put those credentials in the
// proxy URL's userinfo ("http://user:pass@proxy:3128", as the proxy
// package does) or in Transport.ProxyConnectHeader. ProxyBasic covers
// plain-http proxying, and stands aside when the proxy URL carries
// userinfo (the transport then sends those credentials itself).
//
// The rules for credentials, Challenge, AllowDowngrade, ReturnError and
// bodies are those of [Basic], with the proxy's URL in place of the
// request's.
type ProxyBasic struct {
	// URL is the proxy the fixed credentials are for, as
	// "http://proxy.example:3128"; required with User or Password.
	URL string
	// Realm, if not "", limits the fixed credentials to that realm.
	Realm string
	// User and Password are the fixed credentials.
	User, Password string
	// Passwords finds credentials by realm and the proxy's URL; nil means
	// none.
	Passwords PasswordManager
	// Proxy returns the proxy the transport uses for a request, as
	// http.Transport.Proxy does; pass the transport's own function. Nil
	// means Base's Proxy when Base is an *http.Transport (http.
	// DefaultTransport's, ProxyFromEnvironment, when Base is nil), and
	// otherwise no proxy: ProxyBasic then never acts.
	Proxy func(*http.Request) (*url.URL, error)
	// Challenge waits for a 407 before sending credentials.
	Challenge bool
	// AllowDowngrade lets ProxyBasic answer a 407 that also offers Digest.
	AllowDowngrade bool
	// ReturnError makes refused credentials an [*Error] instead of the
	// final 407 response.
	ReturnError bool
	// Base is the transport the requests go through; nil means
	// http.DefaultTransport.
	Base http.RoundTripper
}

// Wrap returns a copy of p over next, for fetch's Opener.
func (p *ProxyBasic) Wrap(next http.RoundTripper) http.RoundTripper {
	c := *p
	c.Base = next
	return &c
}

// Order returns [ProxyOrder].
func (p *ProxyBasic) Order() int { return ProxyOrder }

// RoundTrip sends req, with proxy credentials when it goes through the
// proxy they are for.
func (p *ProxyBasic) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := httpsyntax.CheckRequest(req); err != nil {
		return nil, err
	}
	base := transport(p.Base)
	pu := proxyInUse(req, p.Proxy, base)
	if pu == nil {
		return base.RoundTrip(req)
	}
	e := basicExchange{
		creds:          creds{"ProxyBasic", p.URL, p.Realm, p.User, p.Password, p.Passwords},
		kind:           proxyKind,
		challenge:      p.Challenge,
		allowDowngrade: p.AllowDowngrade,
		returnError:    p.ReturnError,
		base:           base,
	}
	return e.roundTrip(req, pu)
}

// ProxyDigest is [Digest] for a forward proxy: it answers the proxy's 407
// Digest challenges with Proxy-Authorization, for plain-http requests that
// go through the proxy, under the rules of [ProxyBasic] (Proxy decides;
// https targets need the credentials in the proxy URL). Its sessions are
// kept per proxy. Use it through a pointer, and make copies with Wrap.
type ProxyDigest struct {
	// URL is the proxy the fixed credentials are for; required with User
	// or Password.
	URL string
	// Realm, if not "", limits the fixed credentials to that realm.
	Realm string
	// User and Password are the fixed credentials.
	User, Password string
	// Passwords finds credentials by realm and the proxy's URL; nil means
	// none.
	Passwords PasswordManager
	// Proxy returns the proxy the transport uses for a request, as for
	// [ProxyBasic].
	Proxy func(*http.Request) (*url.URL, error)
	// ReturnError makes refused credentials an [*Error] instead of the
	// final 407 response.
	ReturnError bool
	// Base is the transport the requests go through; nil means
	// http.DefaultTransport.
	Base http.RoundTripper

	sessions sessions
}

// Wrap returns a copy of p over next, for fetch's Opener. The copy starts
// with no sessions.
func (p *ProxyDigest) Wrap(next http.RoundTripper) http.RoundTripper {
	return &ProxyDigest{URL: p.URL, Realm: p.Realm, User: p.User, Password: p.Password,
		Passwords: p.Passwords, Proxy: p.Proxy, ReturnError: p.ReturnError, Base: next}
}

// Order returns [ProxyOrder].
func (p *ProxyDigest) Order() int { return ProxyOrder }

// RoundTrip sends req, answering the proxy's Digest challenges when it
// goes through the proxy the credentials are for.
func (p *ProxyDigest) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := httpsyntax.CheckRequest(req); err != nil {
		return nil, err
	}
	base := transport(p.Base)
	pu := proxyInUse(req, p.Proxy, base)
	if pu == nil {
		return base.RoundTrip(req)
	}
	e := digestExchange{
		creds:       creds{"ProxyDigest", p.URL, p.Realm, p.User, p.Password, p.Passwords},
		kind:        proxyKind,
		returnError: p.ReturnError,
		base:        base,
		sessions:    &p.sessions,
	}
	// The request-target net/http writes to a proxy: the absolute form.
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	return e.roundTrip(req, pu, req.URL.Scheme+"://"+host+req.URL.RequestURI())
}

// proxyInUse returns the http or https proxy that a plain-http request
// goes through, or nil: for an https request (tunnelled by CONNECT inside
// the transport), when no proxy is known or chosen, or when the proxy URL
// carries credentials of its own.
func proxyInUse(req *http.Request, choose func(*http.Request) (*url.URL, error), base http.RoundTripper) *url.URL {
	if choose == nil {
		if t, ok := base.(*http.Transport); ok {
			choose = t.Proxy
		}
	}
	if u := proxy.Forwarding(req, choose); u != nil && u.User == nil {
		return u
	}
	return nil
}
