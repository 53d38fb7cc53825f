package auth

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/grabhq/grab/internal/httpsyntax"
	"github.com/grabhq/grab/internal/redact"
)

// Basic is an http.RoundTripper that adds HTTP Basic credentials (RFC
// 7617) to requests for the URLs they are configured for: urllib's
// HTTPBasicAuthHandler. It is also a Handler for fetch's Opener (Wrap).
//
// The credentials are the fixed User and Password for URL (and Realm, when
// set), or else those Passwords finds. Credentials not tied to a realm are
// sent with the first request, as curl does; with Challenge, or when tied
// to a realm, they are sent only in answer to a 401 challenge, as urllib
// does. Each request is judged by its own URL, so after a redirect to
// another origin (http.Client calls RoundTrip once per hop) nothing is
// sent there, and credentials for an https URL never go over http.
//
// A request that carries an Authorization field is passed through
// untouched and its 401 is not answered. A 401 is answered at most once;
// a second 401, or a 401 to credentials sent up front that the challenge
// does not change, ends the exchange: the 401 response is returned as it
// is (fetch reports it as an HTTPError), or an [*Error] with ReturnError.
// A 401 that also offers Digest is not answered with Basic unless
// AllowDowngrade is set. A request body is sent again through GetBody; a
// request with a body and no GetBody is not retried.
type Basic struct {
	// URL is the URI prefix the fixed credentials are for: scheme, host,
	// optional port and path prefix, as "https://api.example.com/v1/" (see
	// [Passwords.Add] for the matching rules). It is required with User
	// or Password.
	URL string
	// Realm, if not "", limits the fixed credentials to challenges for
	// that realm; they are then never sent up front.
	Realm string
	// User and Password are the fixed credentials.
	User, Password string
	// Passwords finds credentials for requests the fixed ones do not
	// cover; nil means none. A [*Passwords] or a netrc *File.
	Passwords PasswordManager
	// Challenge waits for a 401 challenge before sending any credentials,
	// as urllib does, at the cost of a round trip per request.
	Challenge bool
	// AllowDowngrade lets Basic answer a 401 that also offers the
	// stronger Digest scheme.
	AllowDowngrade bool
	// ReturnError makes refused credentials an [*Error] (wrapping
	// ErrAuthFailed) instead of the final 401 response.
	ReturnError bool
	// Base is the transport the requests go through; nil means
	// http.DefaultTransport.
	Base http.RoundTripper
}

// Wrap returns a copy of b over next, for fetch's Opener.
func (b *Basic) Wrap(next http.RoundTripper) http.RoundTripper {
	c := *b
	c.Base = next
	return &c
}

// RoundTrip sends req, with credentials where they belong.
func (b *Basic) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := httpsyntax.CheckRequest(req); err != nil {
		return nil, err
	}
	e := basicExchange{
		creds:          creds{"Basic", b.URL, b.Realm, b.User, b.Password, b.Passwords},
		kind:           originKind,
		challenge:      b.Challenge,
		allowDowngrade: b.AllowDowngrade,
		returnError:    b.ReturnError,
		base:           transport(b.Base),
	}
	req = e.dropUserinfo(req)
	return e.roundTrip(req, req.URL)
}

// basicExchange is one RoundTrip of Basic or ProxyBasic.
type basicExchange struct {
	creds
	kind
	challenge, allowDowngrade, returnError bool
	base                                   http.RoundTripper
}

// roundTrip sends req with Basic credentials found for at (the request's
// URL, or the proxy's).
func (e *basicExchange) roundTrip(req *http.Request, at *url.URL) (*http.Response, error) {
	if _, _, err := e.check(); err != nil {
		return closeBody(req, err)
	}
	if req.Header.Get(e.answer) != "" {
		return e.base.RoundTrip(req)
	}
	sent := ""
	first := req
	if !e.challenge {
		user, password, ok, err := e.find("", at, false)
		if err != nil {
			return closeBody(req, err)
		}
		if ok {
			if sent, err = basicValue(user, password); err != nil {
				return closeBody(req, err)
			}
			first = withHeader(req, e.answer, sent)
		}
	}
	resp, err := e.base.RoundTrip(first)
	if err != nil || resp.StatusCode != e.status {
		return resp, err
	}
	chs := ParseChallenges(resp.Header.Values(e.kind.challenge)...)
	i := indexScheme(chs, "Basic")
	realm := ""
	if i >= 0 {
		realm = chs[i].Realm()
	}
	fail := &Error{Scheme: "Basic", Realm: realm, URL: redact.URL(at), Proxy: e.kind == proxyKind, Attempts: 1}
	if i < 0 || hasScheme(chs, "Digest") && !e.allowDowngrade {
		if sent != "" {
			return failed(resp, e.returnError, fail) // credentials sent up front were refused
		}
		return resp, nil
	}
	user, password, ok, err := e.find(realm, at, true)
	value := ""
	if err == nil && ok {
		value, err = basicValue(user, password)
	}
	if err != nil || !ok || value == sent {
		if sent == "" {
			return resp, nil
		}
		return failed(resp, e.returnError, fail) // refused up front, and nothing else to try
	}
	if !replayable(req) {
		return resp, nil
	}
	retry, err := again(req, e.answer, value)
	if err != nil {
		return resp, nil
	}
	discard(resp)
	resp, err = e.base.RoundTrip(retry)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == e.status {
		fail.Attempts = 2
		return failed(resp, e.returnError, fail)
	}
	return resp, nil
}

// basicValue returns the Authorization value for user and password.
func basicValue(user, password string) (string, error) {
	if strings.Contains(user, ":") {
		return "", errors.New("auth: a Basic user name cannot contain a colon")
	}
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password)), nil
}

// indexScheme returns the index of the first challenge of scheme name.
func indexScheme(chs []Challenge, name string) int {
	for i, c := range chs {
		if strings.EqualFold(c.Scheme, name) {
			return i
		}
	}
	return -1
}

// closeBody closes req's body, as a RoundTripper must even when it fails,
// and returns err.
func closeBody(req *http.Request, err error) (*http.Response, error) {
	if req.Body != nil {
		req.Body.Close()
	}
	return nil, err
}

// Bearer is an http.RoundTripper that adds "Authorization: Bearer Token"
// (RFC 6750) to every request for URL, a URI prefix (see [Passwords.Add]):
// only to that scheme, host and port and path, judged for each request,
// so never after a redirect to another origin and never over http for an
// https URL. A request that carries an Authorization field is passed
// through untouched. Bearer does not answer challenges.
type Bearer struct {
	// URL is the URI prefix the token is for, as "https://api.example.com/".
	URL string
	// Token is the bearer token.
	Token string
	// Base is the transport the requests go through; nil means
	// http.DefaultTransport.
	Base http.RoundTripper
}

// Wrap returns a copy of b over next, for fetch's Opener.
func (b *Bearer) Wrap(next http.RoundTripper) http.RoundTripper {
	c := *b
	c.Base = next
	return &c
}

// RoundTrip sends req, with the token if it belongs there.
func (b *Bearer) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := httpsyntax.CheckRequest(req); err != nil {
		return nil, err
	}
	base := transport(b.Base)
	if b.Token == "" || req.Header.Get("Authorization") != "" {
		return base.RoundTrip(req)
	}
	if b.URL == "" {
		return closeBody(req, errors.New("auth: Bearer has a Token but no URL"))
	}
	p, err := parsePrefix(b.URL)
	if err != nil {
		return closeBody(req, err)
	}
	if t, ok := target(req.URL); !ok || !p.match(t) {
		return base.RoundTrip(req)
	}
	return base.RoundTrip(withHeader(req, "Authorization", "Bearer "+b.Token))
}
