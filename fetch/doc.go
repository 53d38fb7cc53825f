// Package fetch opens URLs: Python's urllib.request for Go, composed from
// net/http and safer than both.
//
//	resp, err := fetch.Urlopen(ctx, "http://www.example.com/", nil)
//	if err != nil { ... }           // *fetch.HTTPError for a 404, *url.Error for no answer
//	defer resp.Close()
//	text, err := resp.Text()        // decoded by its charset
//
// A [Request] carries a URL, a method, headers, and data or a body; data
// makes a POST with a form Content-Type, as urllib does. An [Opener] (its
// zero value is ready) opens it over an http.Client. Its default
// transport ([EngineAuto]) sends plain http on fetch/conn's
// [conn.Transport] (HTTP/1.1 either way, and a sequential request costs
// fewer goroutine hand-offs there, and polls for a fast server's answer
// rather than sleep: see fetch/conn) and https on net/http's (HTTP/2),
// but any request through a proxy on fetch/conn, whose CONNECT caps and
// types a proxy's answer; [Opener.Engine] puts everything on one of them,
// and any
// http.RoundTripper can be given instead. [BuildOpener] makes an
// Opener from pieces in any order (a transport, a cookie jar, Handlers
// such as auth handlers or [Retry], Timeouts, Limits, Redirects), and
// [InstallOpener] makes it the one [Urlopen] and [Retrieve] use.
//
// # Schemes
//
// http and https; file: for a local regular file, opened directly (never
// through a redirect; [Opener.DisableFile] refuses them); data: (RFC 2397).
// Any other scheme is refused before anything is sent.
//
// # Safe defaults
//
// Every limit has a default and a field to change it (a negative value
// switches it off):
//
//   - The URL, method and header fields are checked before dialing: a
//     control character, space or DEL anywhere in the URL is refused with
//     its position (not stripped, so the host sent is the host given), and
//     so is a header value with CR, LF or NUL (ErrInvalidRequest).
//   - Redirects ([Redirects]): at most 10; never to a scheme other than
//     http and https; credentials (Authorization, Cookie, userinfo, and
//     fields named sensitive) dropped once the chain leaves the first
//     origin and never restored; Proxy-Authorization is never sent to an
//     origin (a handler's is dropped unless the transport's own proxy
//     choice takes the request to an http(s) proxy; for a Transport fetch
//     does not know, one that is not an *http.Transport or a
//     *conn.Transport, that choice is the transport's). No automatic Referer.
//   - Timeouts ([Timeouts]): connect 30s, TLS handshake 10s, response head
//     60s per exchange, stall 60s (a read that waits that long for a byte),
//     no total unless set.
//   - Limits ([Limits]): response head 1 MiB; gzip, deflate, br and zstd
//     decoded (fetch sends Accept-Encoding and decodes itself) up to 1 GiB
//     inflated and a chain of 2 codings; Bytes and Text read at most 64 MiB
//     (ErrBodyTooLarge past it, never a silent cut).
//   - A body that ends before its Content-Length, or a chunked body without
//     its last chunk, is a [TruncatedError]; a body that ends with the
//     connection is flagged Response.LengthUnknown.
//   - A final status outside 2xx is an [*HTTPError] holding the first 4 KiB
//     of the body, the response closed; [Opener.AllowErrorStatus] returns it
//     as a Response instead.
//
// User-Agent is "grab/VERSION" unless set. Response.Timings records each
// phase of the exchange (with [Opener.Trace] over net/http's transport).
//
// # Choices where urllib, curl and Go differ
//
//   - URL userinfo ("http://user:pass@host/") becomes Basic credentials for
//     that origin, as curl does (urllib refuses such URLs); a login alone
//     is sent as "user:". A handler's credentials win over them (curl's -u
//     over the URL); handlers see the userinfo, so that a password manager
//     (auth/netrc's File) finds the entry of the login the URL names, and
//     a password in the URL wins over the manager's (curl's URL over -n).
//   - A redirect keeps the request's explicit Referer only within its
//     origin and adds none (curl and urllib add none; Go's client does).
//   - An unknown Content-Encoding is left as it is, with its header.
//   - A Content-Encoding chain longer than Limits.Encodings fails the
//     request (ErrTooManyEncodings) rather than returning undecoded bytes.
//   - Retries are opt-in ([Retry]), for idempotent requests only.
package fetch
