// Package auth sends credentials where they belong: urllib's
// HTTPBasicAuthHandler, HTTPDigestAuthHandler, ProxyBasicAuthHandler and
// password managers, as http.RoundTripper decorators that work with a
// plain http.Client and as Handlers of grab's fetch.Opener.
//
//	pw := new(auth.Passwords) // HTTPPasswordMgrWithDefaultRealm
//	pw.Add("PDQ Application", "https://mahler:8092/site-updates.py", "klem", "kadidd!ehopper")
//	client := &http.Client{Transport: &auth.Basic{Passwords: pw}}
//
//	client = &http.Client{Transport: &auth.Digest{URL: "https://api.example.com/", User: "u", Password: "p"}}
//	client = &http.Client{Transport: &auth.Bearer{URL: "https://api.example.com/", Token: token}}
//	o, err := fetch.BuildOpener(&auth.Digest{Passwords: pw}) // fetch calls Wrap
//
// [Basic], [Digest], [Bearer], [ProxyBasic] and [ProxyDigest] each have a
// Base transport (nil means http.DefaultTransport) and a Wrap method that
// returns a copy over another transport, which is what fetch's Handler
// interface asks for; the proxy handlers have an Order method too
// ([ProxyOrder]). Credentials are fixed (URL, Realm, User, Password) or
// found by a [PasswordManager]: [*Passwords] (realm and URI prefix) or a
// netrc file (package auth/netrc). [ParseChallenges] parses
// WWW-Authenticate and Proxy-Authenticate fields.
//
// # Where credentials go
//
// The handlers never trust the redirect machinery: http.Client calls
// RoundTrip once per hop, and each request is judged by its own URL.
//
//   - Credentials go only to the origin (scheme, host, port) and path
//     prefix they are configured for, and to the realm when one is given
//     (HOSTILE.md U1). Credentials for https never go over http; a URI
//     without a scheme means https; http needs a URI that says http://.
//   - After a redirect to another origin nothing is added, and a Digest
//     session of origin A is never used at B (U4).
//   - A request that already has an Authorization (Proxy-Authorization)
//     field is passed through untouched: net/http puts the URL's userinfo
//     there, and the caller's own field wins. A RoundTripper never
//     modifies its request: every change is made on a clone.
//   - Proxy credentials go only to the proxy the request actually uses
//     (the Proxy function, the same as the transport's), never in answer
//     to a 407 from an origin.
//
// # Retries and failures
//
// Basic sends credentials not tied to a realm with the first request
// (preemptively, as curl; Basic.Challenge waits for a 401, as urllib), and
// answers a 401 at most once. Digest answers a challenge and, after a
// stale=true 401 with a new nonce, once more: at most three requests per
// RoundTrip (U2). When the credentials are refused, the final 401 (407)
// response is returned as it is, body unread, so fetch reports it as an
// HTTPError and a plain client sees the status; with ReturnError the
// handler closes it and returns an [*Error] naming the scheme, realm and
// URL (password redacted) that wraps [ErrAuthFailed]. A 401 for which no
// credentials are configured is returned as it is in every case.
//
// A retried request gets its body again from GetBody (http.NewRequest
// sets it for in-memory bodies); a request with a body and no GetBody is
// not retried and its 401 is returned.
//
// # Choices
//
//   - Strongest scheme: Digest answers the strongest Digest challenge
//     (SHA-512-256, SHA-256, then MD5); Basic does not answer a challenge
//     that also offers Digest unless AllowDowngrade is set (U3), so Basic
//     and Digest compose in either order.
//   - Digest: MD5, SHA-256, SHA-512-256 and -sess variants; qop auth
//     preferred to auth-int (which hashes the body read once more through
//     GetBody); no qop for RFC 2069 servers; opaque echoed; userhash when
//     the server asks; a non-ASCII user name as username*; nc counted per
//     nonce and a random 128-bit cnonce per answer; nextnonce from
//     Authentication-Info applied. Sessions are kept per origin and realm
//     (at most 4 per origin, 256 origins) and reused only for URLs whose
//     credentials are the same ones; Wrap starts a copy with none.
//   - Basic keeps no state between requests: realm-tied credentials cost
//     a 401 round trip on every request, as in urllib (credentials without
//     a realm are sent up front, the mode of Python's
//     HTTPPasswordMgrWithPriorAuth). The downgrade rule looks at one
//     response: a server that offers only Basic after Digest was refused
//     is answered by a Basic handler configured for it.
//   - Digest challenges whose realm, nonce or opaque hold control
//     characters are not answered (nothing hostile is echoed).
//   - The challenge parser is linear, lenient (it skips what it cannot
//     read) and bounded: 1 MiB of header text, 64 challenges, 64
//     parameters each; of a parameter given twice the first wins.
//   - Passwords: the longest matching prefix wins, an entry for the
//     challenge's realm before the default realm (""), as
//     HTTPPasswordMgrWithDefaultRealm; matching is by scheme, host and
//     port, and path prefix at segment boundaries on the cleaned path
//     (escaped, so "%2F" is not a separator; unreserved escapes decoded,
//     so "%2e%2e" climbs as ".." does and "%7E" is "~": stricter than
//     Python's is_suburi, which does not resolve dot segments at all).
//   - https through a proxy: net/http sends the CONNECT itself, from the
//     proxy URL's userinfo or Transport.ProxyConnectHeader; no
//     RoundTripper can answer that 407. ProxyBasic and ProxyDigest cover
//     plain-http proxying; for https put the credentials in the proxy URL.
//   - The package reads no environment and never logs or prints; bad
//     settings (User without URL, a bad URL, a colon in a Basic user
//     name) are errors returned by RoundTrip.
package auth
