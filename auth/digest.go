package auth

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"golang.org/x/net/http/httpguts"

	"github.com/grabhq/grab/internal/httpsyntax"
	"github.com/grabhq/grab/internal/redact"
)

// Digest is an http.RoundTripper that answers HTTP Digest challenges (RFC
// 7616, and RFC 2069 servers without qop): urllib's
// HTTPDigestAuthHandler. It is also a Handler for fetch's Opener (Wrap).
//
// It supports the algorithms MD5, SHA-256 and SHA-512-256 and their -sess
// variants, qop "auth" and "auth-int" (the body hashed through GetBody),
// userhash, opaque and nextnonce. Of several Digest challenges it answers
// the strongest (SHA-512-256, then SHA-256, then MD5; with a qop before
// without). It never answers Basic.
//
// The credentials are the fixed User and Password for URL (and Realm, when
// set), or else those Passwords finds, for the challenge's realm and each
// request's own URL: after a redirect to another origin nothing is sent
// unless that origin challenges and has credentials of its own.
//
// After a successful answer Digest keeps the session (nonce, nonce count,
// realm) for that origin only, and sends the next request to the same
// origin with an answer at once, counting nc up; the session is never
// used for another scheme, host or port (HOSTILE.md U4). Requests in
// parallel share the nonce counts: none sends a (nonce, nc) pair another
// sent, even when every challenge carries the same nonce. At most three
// requests are sent per RoundTrip: a 401 to a fresh answer ends the
// exchange unless it says stale=true with a new nonce, which is answered
// once. The final 401 response is then returned as it is, or an [*Error]
// with ReturnError. A request that carries an Authorization field is
// passed through untouched; a request with a body and no GetBody is not
// retried. Digest is safe for concurrent use; use it through a pointer,
// and make copies with Wrap, not by assignment.
type Digest struct {
	// URL is the URI prefix the fixed credentials are for (see
	// [Passwords.Add]); required with User or Password.
	URL string
	// Realm, if not "", limits the fixed credentials to that realm.
	Realm string
	// User and Password are the fixed credentials.
	User, Password string
	// Passwords finds credentials for requests the fixed ones do not
	// cover; nil means none.
	Passwords PasswordManager
	// ReturnError makes refused credentials an [*Error] (wrapping
	// ErrAuthFailed) instead of the final 401 response.
	ReturnError bool
	// Base is the transport the requests go through; nil means
	// http.DefaultTransport.
	Base http.RoundTripper

	sessions sessions
}

// Wrap returns a copy of d over next, for fetch's Opener. The copy starts
// with no sessions.
func (d *Digest) Wrap(next http.RoundTripper) http.RoundTripper {
	return &Digest{URL: d.URL, Realm: d.Realm, User: d.User, Password: d.Password,
		Passwords: d.Passwords, ReturnError: d.ReturnError, Base: next}
}

// RoundTrip sends req, answering a Digest challenge where credentials
// belong.
func (d *Digest) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := httpsyntax.CheckRequest(req); err != nil {
		return nil, err
	}
	e := digestExchange{
		creds:       creds{"Digest", d.URL, d.Realm, d.User, d.Password, d.Passwords},
		kind:        originKind,
		returnError: d.ReturnError,
		base:        transport(d.Base),
		sessions:    &d.sessions,
	}
	req = e.dropUserinfo(req)
	return e.roundTrip(req, req.URL, req.URL.RequestURI())
}

// maxDigestAttempts bounds the requests of one Digest RoundTrip (U2).
const maxDigestAttempts = 3

// digestExchange is one RoundTrip of Digest or ProxyDigest.
type digestExchange struct {
	creds
	kind
	returnError bool
	base        http.RoundTripper
	sessions    *sessions
}

// roundTrip sends req, answering Digest challenges with credentials found
// for at (the request's URL or the proxy's); uri is the digest-uri, the
// request-target as the transport writes it.
func (e *digestExchange) roundTrip(req *http.Request, at *url.URL, uri string) (*http.Response, error) {
	if _, _, err := e.check(); err != nil {
		return closeBody(req, err)
	}
	t, ok := target(at)
	if !ok || req.Header.Get(e.answer) != "" {
		return e.base.RoundTrip(req)
	}
	find := func(realm string) (string, string, bool) {
		user, password, ok, _ := e.find(realm, at, true)
		return user, password, ok
	}

	attempts := 1
	first := req
	cached, user, password, nc, ok := e.sessions.take(t, find)
	if ok {
		if value, err := cached.authorize(user, password, req, uri, nc); err == nil {
			first = withHeader(req, e.answer, value)
		}
	}
	resp, err := e.base.RoundTrip(first)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != e.status {
		if first != req {
			e.sessions.next(t, cached, user, password, resp.Header.Get(e.info))
		}
		return resp, nil
	}

	last := cached // the challenge last answered
	fresh := false // resp answers credentials sent for the previous response's challenge
	staleLeft := 1
	refused := func(resp *http.Response) (*http.Response, error) {
		e.sessions.drop(t, last.realm)
		return failed(resp, e.returnError, &Error{Scheme: "Digest", Realm: last.realm, URL: redact.URL(at), Proxy: e.kind == proxyKind, Attempts: attempts})
	}
	for {
		chs := ParseChallenges(resp.Header.Values(e.challenge)...)
		ch, ok := pickDigest(chs, at)
		switch {
		case !ok && first != req && !fresh && len(chs) == 0:
			return refused(resp) // the session's answer, without a new challenge
		case !ok && first != req && !fresh:
			// Another scheme's challenge: the session's answer is not for
			// this path (a Basic one beside Digest ones). Asked again
			// without it, the handler of that scheme can answer; the
			// session stays for its own paths.
			if !replayable(req) {
				return refused(resp)
			}
			retry, err := anew(req)
			if err != nil {
				return refused(resp)
			}
			discard(resp)
			return e.base.RoundTrip(retry)
		case fresh && (!ok || !ch.stale || ch.nonce == last.nonce || staleLeft == 0 || attempts >= maxDigestAttempts):
			return refused(resp) // a fresh answer, not merely stale
		case fresh:
			staleLeft--
		}
		if !ok || attempts >= maxDigestAttempts || !replayable(req) {
			return resp, nil
		}
		user, password, found := find(ch.realm)
		if !found {
			return resp, nil
		}
		nc := e.sessions.count(t, ch, user, password)
		value, err := ch.authorize(user, password, req, uri, nc)
		if err != nil {
			return resp, nil
		}
		retry, err := again(req, e.answer, value)
		if err != nil {
			return resp, nil
		}
		discard(resp)
		attempts++
		if resp, err = e.base.RoundTrip(retry); err != nil {
			return nil, err
		}
		last, fresh = ch, true
		if resp.StatusCode != e.status {
			e.sessions.confirm(t, ch, user, password, nc)
			e.sessions.next(t, ch, user, password, resp.Header.Get(e.info))
			return resp, nil
		}
	}
}

// An algorithm is a Digest hash algorithm.
type algorithm struct {
	name string // canonical, without -sess
	sess bool
	rank int
	new  func() hash.Hash
}

var algorithms = map[string]algorithm{
	"MD5":         {"MD5", false, 1, md5.New},
	"SHA-256":     {"SHA-256", false, 2, sha256.New},
	"SHA-512-256": {"SHA-512-256", false, 3, sha512.New512_256},
}

// parseAlgorithm returns the algorithm named s ("" is MD5).
func parseAlgorithm(s string) (algorithm, bool) {
	name := strings.ToUpper(s)
	if name == "" {
		name = "MD5"
	}
	sess := strings.HasSuffix(name, "-SESS")
	a, ok := algorithms[strings.TrimSuffix(name, "-SESS")]
	a.sess = sess
	return a, ok
}

// String returns the algorithm's name as RFC 7616 spells it.
func (a algorithm) String() string {
	if a.sess {
		return a.name + "-sess"
	}
	return a.name
}

// h returns the lower-case hex digest of the parts joined by colons.
func (a algorithm) h(parts ...string) string {
	d := a.new()
	for i, p := range parts {
		if i > 0 {
			io.WriteString(d, ":")
		}
		io.WriteString(d, p)
	}
	return hex.EncodeToString(d.Sum(nil))
}

// A digestChallenge is a Digest challenge this package can answer.
type digestChallenge struct {
	realm, nonce, opaque string
	hasOpaque            bool
	alg                  algorithm
	hasAlg               bool // the challenge named its algorithm
	qop                  string
	stale, userhash      bool
	space                []prefix // the domain parameter's URIs on at's origin
}

// parseDigest reads c as a Digest challenge for a request to at.
func parseDigest(c Challenge, at *url.URL) (digestChallenge, bool) {
	if !strings.EqualFold(c.Scheme, "Digest") {
		return digestChallenge{}, false
	}
	p := c.Params
	ch := digestChallenge{realm: p["realm"], nonce: p["nonce"]}
	ch.opaque, ch.hasOpaque = p["opaque"]
	algName, hasAlg := p["algorithm"]
	alg, ok := parseAlgorithm(algName)
	if !ok || ch.nonce == "" {
		return digestChallenge{}, false
	}
	ch.alg, ch.hasAlg = alg, hasAlg
	if qops, ok := p["qop"]; ok {
		offered := strings.Split(qops, ",")
		for i := range offered {
			offered[i] = strings.ToLower(strings.TrimSpace(offered[i]))
		}
		switch {
		case slices.Contains(offered, "auth"):
			ch.qop = "auth"
		case slices.Contains(offered, "auth-int"):
			ch.qop = "auth-int"
		default:
			return digestChallenge{}, false
		}
	}
	ch.stale = strings.EqualFold(p["stale"], "true")
	ch.userhash = strings.EqualFold(p["userhash"], "true")
	if t, ok := target(at); ok {
		for _, d := range strings.Fields(p["domain"]) {
			if u, err := at.Parse(d); err == nil {
				if dt, ok := target(u); ok && dt.sameOrigin(t) {
					ch.space = append(ch.space, dt)
				}
			}
		}
	}
	for _, v := range []string{ch.realm, ch.nonce, ch.opaque} {
		if !httpguts.ValidHeaderFieldValue(v) {
			return digestChallenge{}, false // never echo control characters
		}
	}
	return ch, true
}

// pickDigest returns the strongest Digest challenge of chs.
func pickDigest(chs []Challenge, at *url.URL) (digestChallenge, bool) {
	var best digestChallenge
	found := false
	for _, c := range chs {
		ch, ok := parseDigest(c, at)
		if ok && (!found || ch.strength() > best.strength()) {
			best, found = ch, true
		}
	}
	return best, found
}

func (ch digestChallenge) strength() int {
	s := ch.alg.rank * 2
	if ch.qop != "" {
		s++
	}
	return s
}

// authorize returns the Authorization (or Proxy-Authorization) value
// answering ch for req with nonce count nc.
func (ch digestChallenge) authorize(user, password string, req *http.Request, uri string, nc uint32) (string, error) {
	cnonce := newCnonce()
	return ch.answer(user, password, req, uri, nc, cnonce)
}

func newCnonce() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// answer computes the answer with a given cnonce (tests use fixed ones).
func (ch digestChallenge) answer(user, password string, req *http.Request, uri string, nc uint32, cnonce string) (string, error) {
	a := ch.alg
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	ha1 := a.h(user, ch.realm, password)
	if a.sess {
		ha1 = a.h(ha1, ch.nonce, cnonce)
	}
	var ha2 string
	if ch.qop == "auth-int" {
		body, err := bodyHash(a, req)
		if err != nil {
			return "", err
		}
		ha2 = a.h(method, uri, body)
	} else {
		ha2 = a.h(method, uri)
	}
	ncs := fmt.Sprintf("%08x", nc)
	var response string
	if ch.qop != "" {
		response = a.h(ha1, ch.nonce, ncs, cnonce, ch.qop, ha2)
	} else {
		response = a.h(ha1, ch.nonce, ha2)
	}

	var b strings.Builder
	b.WriteString("Digest ")
	switch {
	case ch.userhash:
		fmt.Fprintf(&b, "username=%s, userhash=true", quote(a.h(user, ch.realm)))
	case needsExtValue(user):
		fmt.Fprintf(&b, "username*=UTF-8''%s", extValue(user))
	default:
		fmt.Fprintf(&b, "username=%s", quote(user))
	}
	fmt.Fprintf(&b, ", realm=%s, nonce=%s, uri=%s", quote(ch.realm), quote(ch.nonce), quote(uri))
	if ch.hasAlg {
		fmt.Fprintf(&b, ", algorithm=%s", a)
	}
	fmt.Fprintf(&b, ", response=%s", quote(response))
	if ch.qop != "" || a.sess {
		fmt.Fprintf(&b, ", cnonce=%s", quote(cnonce))
	}
	if ch.qop != "" {
		fmt.Fprintf(&b, ", qop=%s, nc=%s", ch.qop, ncs)
	}
	if ch.hasOpaque {
		fmt.Fprintf(&b, ", opaque=%s", quote(ch.opaque))
	}
	return b.String(), nil
}

// bodyHash returns H(entity-body) for qop auth-int, reading a copy of the
// body through GetBody.
func bodyHash(a algorithm, req *http.Request) (string, error) {
	d := a.new()
	if req.Body != nil && req.Body != http.NoBody {
		if req.GetBody == nil {
			return "", errors.New("auth: qop auth-int needs a request body with GetBody")
		}
		body, err := req.GetBody()
		if err != nil {
			return "", err
		}
		_, err = io.Copy(d, body)
		body.Close()
		if err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(d.Sum(nil)), nil
}

// quote returns s as a quoted-string.
func quote(s string) string {
	if !strings.ContainsAny(s, `"\`) {
		return `"` + s + `"`
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}

// needsExtValue reports whether a user name cannot go in a quoted-string
// and is sent as username* (RFC 7616, section 3.4.4).
func needsExtValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] >= 0x7f {
			return true
		}
	}
	return false
}

// extValue percent-encodes s for an RFC 8187 ext-value: every byte but
// the attr-chars.
func extValue(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// Limits of the Digest session cache.
const (
	maxSessionOrigins    = 256
	maxSessionsPerOrigin = 16
)

// sessions are the Digest sessions of a handler, by origin.
//
// The nonce count is kept per (realm, nonce), from the first answer on:
// requests in parallel that meet one nonce, a session's or a challenge's
// (servers that make nonces from the time hand the same one to every 401
// for a while), each send their own nc, never one pair twice (RFC 7616,
// section 3.3). A session answers requests at once only once confirmed:
// a response other than a challenge came to an answer with its nonce.
type sessions struct {
	mu sync.Mutex
	m  map[string][]*session
}

// A session is a challenge answered for an origin. nc and confirmed
// change under the sessions' lock; the other fields never change.
type session struct {
	ch             digestChallenge
	user, password string
	nc             uint32
	confirmed      bool
}

// covers reports whether the session's protection space holds t.
func (s *session) covers(t prefix) bool {
	if len(s.ch.space) == 0 {
		return true // the whole origin
	}
	return slices.ContainsFunc(s.ch.space, func(p prefix) bool { return p.match(t) })
}

// take returns the newest confirmed session of t's origin that covers t
// and whose credentials find still gives for its realm, with its nonce
// count advanced.
func (ss *sessions) take(t prefix, find func(realm string) (string, string, bool)) (ch digestChallenge, user, password string, nc uint32, ok bool) {
	key := t.origin()
	ss.mu.Lock()
	var list []*session
	for _, s := range ss.m[key] {
		if s.confirmed && s.covers(t) {
			list = append(list, s)
		}
	}
	ss.mu.Unlock()
	for i := len(list) - 1; i >= 0; i-- {
		s := list[i]
		if u, p, ok := find(s.ch.realm); !ok || u != s.user || p != s.password {
			continue // find runs without the lock: it may ask a user
		}
		ss.mu.Lock()
		live := s.confirmed && slices.Contains(ss.m[key], s)
		if live {
			s.nc++
			ch, nc = s.ch, s.nc
		}
		ss.mu.Unlock()
		if live {
			return ch, s.user, s.password, nc, true
		}
	}
	return digestChallenge{}, "", "", 0, false
}

// findSession returns the entry of list for realm and nonce, or -1.
func findSession(list []*session, realm, nonce string) int {
	return slices.IndexFunc(list, func(s *session) bool { return s.ch.realm == realm && s.ch.nonce == nonce })
}

// add appends s to its origin's list, which holds no entry for its realm
// and nonce, forgetting the oldest entry (or origin) over the limits.
// The lock is held.
func (ss *sessions) add(key string, s *session) {
	if ss.m == nil {
		ss.m = map[string][]*session{}
	}
	list := ss.m[key]
	if list == nil && len(ss.m) >= maxSessionOrigins {
		for k := range ss.m { // forget one origin
			delete(ss.m, k)
			break
		}
	}
	if len(list) >= maxSessionsPerOrigin {
		list = slices.Delete(list, 0, 1)
	}
	ss.m[key] = append(list, s)
}

// count returns the nonce count for a new answer to ch, made with user
// and password: 1 for a nonce not met before, or one more than the last
// answer with it.
func (ss *sessions) count(t prefix, ch digestChallenge, user, password string) uint32 {
	key := t.origin()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	list := ss.m[key]
	if i := findSession(list, ch.realm, ch.nonce); i >= 0 {
		list[i].nc++
		return list[i].nc
	}
	ss.add(key, &session{ch: ch, user: user, password: password, nc: 1})
	return 1
}

// confirm makes the entry of ch's nonce t's origin's newest session: an
// answer to ch with nonce count nc came through.
func (ss *sessions) confirm(t prefix, ch digestChallenge, user, password string, nc uint32) {
	key := t.origin()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	list := ss.m[key]
	i := findSession(list, ch.realm, ch.nonce)
	if i < 0 { // forgotten over the limits meanwhile
		ss.add(key, &session{ch: ch, user: user, password: password, nc: nc, confirmed: true})
		return
	}
	s := list[i]
	s.confirmed = true
	ss.m[key] = append(slices.Delete(list, i, i+1), s)
}

// drop stops the sessions of t's origin for realm answering at once;
// their nonce counts stay, for answers to their nonces.
func (ss *sessions) drop(t prefix, realm string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for _, s := range ss.m[t.origin()] {
		if s.ch.realm == realm {
			s.confirmed = false
		}
	}
}

// next applies an Authentication-Info field's nextnonce, sent in answer to
// ch: the next nonce of t's origin's session for ch's realm, nc starting
// at 1.
func (ss *sessions) next(t prefix, ch digestChallenge, user, password, info string) {
	if info == "" {
		return
	}
	nonce := parseParams(info)["nextnonce"]
	if nonce == "" || strings.ContainsFunc(nonce, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return
	}
	ch.nonce = nonce
	key := t.origin()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if i := findSession(ss.m[key], ch.realm, nonce); i >= 0 {
		ss.m[key][i].confirmed = true
	} else {
		ss.add(key, &session{ch: ch, user: user, password: password, confirmed: true})
	}
}
