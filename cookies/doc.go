// Package cookies is Python's http.cookiejar for Go: a cookie jar that is
// an [http.CookieJar], so it plugs into any http.Client (and into
// fetch.BuildOpener, the HTTPCookieProcessor of urllib), with the listing,
// clearing and cookies.txt files of CookieJar and MozillaCookieJar.
//
//	jar := new(cookies.Jar)                    // the zero Jar is ready; cookies.New(&cookies.Options{...}) for options
//	client := &http.Client{Jar: jar}
//	resp, err := client.Get("https://example.com/login") // Set-Cookie is stored, later requests carry it
//	for _, c := range jar.All() { fmt.Println(c.Domain, c.Path, c.Name, c.Expires) }
//	err = jar.Save("cookies.txt", &cookies.SaveOptions{Session: true}) // atomic; curl -b reads it
//	err = jar.Load("cookies.txt")              // curl -c, wget --save-cookies, browser exports
//
// Python's names map to these:
//
//   - CookieJar(), HTTPCookieProcessor(jar): new(Jar), or New, as an
//     http.Client's Jar or a piece of fetch.BuildOpener
//   - DefaultCookiePolicy(blocked_domains=..., allowed_domains=...):
//     New(&Options{Block: ..., Allow: ...})
//   - extract_cookies, add_cookie_header: SetCookies, Cookies (the
//     http.Client calls them)
//   - set_cookie_if_ok: Set, which also says why a cookie is refused
//   - iterating the jar: All, and For(url) for what a URL receives
//   - clear(), clear(domain), clear_session_cookies(): Clear, ClearDomain,
//     ClearSession
//   - MozillaCookieJar load and save(ignore_discard=True): Load, LoadFrom,
//     Save(path, &SaveOptions{Session: true}), SaveTo
//
// # Rules
//
// The jar follows RFC 6265 and its revision RFC 6265bis, with the public
// suffix list of golang.org/x/net/publicsuffix always on: no option or
// zero value makes a jar without it.
//
//   - A cookie without a Domain attribute is host-only. A Domain attribute
//     (one leading dot ignored, case folded, IDNA-converted) must be the
//     request host or a parent of it within the same registrable domain;
//     one that ends in a dot is refused; one that is a public suffix
//     ("com", "co.uk", "github.io", "xn--p1ai") is refused unless it is
//     the request host itself, which then gets a host-only cookie (RFC
//     6265 §5.3 step 5).
//   - IP hosts, and hosts whose last label is a number as a browser would
//     read them ("127.1"), get host-only cookies only: a Domain attribute
//     other than the exact address is refused, and they are never
//     suffix-matched.
//   - Matching is on label boundaries: a cookie for example.com is never
//     sent to aexample.com or example.com.evil, nor one for 1.test.com to
//     11.test.com. A host with a trailing dot is the same host without it.
//     Paths match as RFC 6265 §5.1.4 says, against the URL's escaped path.
//   - Secure cookies are set from and sent to https only, and to loopback
//     hosts (localhost, *.localhost, 127.0.0.0/8, ::1), which count as
//     secure contexts as in browsers and curl; so after a redirect from
//     https to http, Secure cookies stay behind. An insecure origin may not
//     set a cookie that would overwrite or shadow a Secure cookie of the
//     same name (RFC 6265bis "leave Secure cookies alone").
//   - Prefixes (matched without regard to case): a "__Secure-" cookie must
//     be Secure; a "__Host-" cookie must be Secure, host-only (no Domain
//     attribute at all) and have Path=/.
//   - Names are tokens; values are printable ASCII without '"', ';' or
//     '\'. A cookie with a control character, CR, LF, TAB, NUL, DEL or a
//     byte over 0x7e in its name or value, or in its path, is dropped,
//     never cleaned up; [Jar.Set] reports why.
//   - Max-Age wins over Expires; a zero or negative Max-Age, or an Expires
//     in the past, deletes the cookie. Expires is read with RFC 6265's
//     forgiving date algorithm. Expiry is capped at [MaxLifetime] (400
//     days).
//   - The Cookie header lists longer paths first, then earlier creation.
//     Replacing a cookie keeps its creation time. Name, domain, host-only
//     flag and path identify a cookie (RFC 6265bis).
//   - SameSite and HttpOnly are kept, listed and saved, not enforced: a
//     client has no top-level site, and no script to hide cookies from.
//
// Sibling domains can still toss cookies at each other, as in every
// browser (RFC 6265 §8.6): evil.example.com may set sid with
// Domain=example.com and Path=/account, and example.com/account then
// receives it before its own sid. "__Host-" cookies are the defence: they
// cannot be set with a Domain attribute, so a sibling cannot shadow them.
//
// # Limits
//
// Each limit has a default and an [Options] field (negative switches it
// off): [DefaultMaxPerResponse] (50 cookies from one response, the rest
// ignored), [DefaultMaxPerDomain] (50 per registrable domain) and
// [DefaultMaxTotal] (3000): over them the jar evicts expired cookies,
// then cookies that are not Secure, then the least recently used, and the
// cookie just set may be the one to go; [DefaultMaxHeaderBytes] (8 KiB of
// Cookie header per request, the least specific cookies left out) and
// [DefaultMaxFileBytes] (64 MiB of jar file). Fixed rules: [MaxCookieBytes]
// (4096 bytes of name and value), [MaxAttrBytes] (a Domain or Path
// attribute over 1024 bytes is ignored), [MaxLifetime], [MaxLineBytes]
// (64 KiB per cookies.txt line).
//
// # Files
//
// [Jar.Load] and [Jar.LoadFrom] read the Netscape cookies.txt format and
// grab's JSON format, told apart by the first byte ("{" is JSON), after an
// optional UTF-8 BOM. [Jar.Save] and [Jar.SaveTo] write either
// ([SaveOptions.Format]).
//
// Netscape lines hold 7 TAB-separated fields: domain, include-subdomains
// (TRUE for a domain cookie, written with a leading dot; FALSE for a
// host-only one), path, secure (TRUE/FALSE), expiry (Unix seconds; 0, or
// empty as Python writes it, for a session cookie), name and value. A "#HttpOnly_" prefix on the domain
// marks an HttpOnly cookie; other lines starting with "#" or "$", and
// blank lines, are comments. Save writes the "# Netscape HTTP Cookie File"
// magic line first; Load accepts its "# HTTP Cookie File" variant or none.
// Lines end in LF or CRLF. A value in double quotes is a quoted value.
// wget's files load too: the ":PORT" wget writes after the host of a
// cookie from a server on another port than the scheme's is dropped (a
// cookie goes to the host on every port, RFC 6265 §8.5), and a domain
// cookie for an IP address (".127.0.0.1 TRUE", which only that address
// can set) is loaded host-only, as the jar keeps it from a Set-Cookie.
//
// The JSON format is one object:
//
//	{
//	  "format": "grab-cookies",
//	  "version": 1,
//	  "cookies": [
//	    {"name": "sid", "value": "x", "domain": "example.com", "host_only": true, "path": "/",
//	     "secure": true, "http_only": true, "same_site": "Lax",
//	     "expires": "2026-01-02T03:04:05Z", "created": "2025-01-02T03:04:05.123456789Z"}
//	  ]
//	}
//
// where domain has no leading dot, a session cookie has no "expires",
// "same_site" is "Strict", "Lax", "None" or absent, "quoted": true marks a
// quoted value, and unknown fields are ignored.
//
// Everything loaded is checked as if a server had set it (public
// suffixes, IP hosts, prefixes, control characters, sizes, the policy),
// since a file is input too; a domain cookie for a single label the
// list does not know (curl's ".localhost TRUE", which only a Set-Cookie
// from localhost itself makes) is kept host-only. The 400-day cap applies
// from the time of loading. A Secure cookie from a file is sent over https only (and to
// loopback hosts), whatever host it names. Expired cookies are skipped
// quietly. A line that is malformed (wrong field count, a bad TRUE/FALSE,
// an expiry that is not a whole non-negative number of seconds, a NUL
// byte, longer than 64 KiB) or refused is skipped, and the load returns a [*LoadError] naming each
// such line while keeping all the good ones: never a silent partial load.
// Any other error (unreadable, too long, invalid JSON) loads nothing.
//
// [Jar.Save] replaces the file atomically (a temporary file in the same
// directory, synced, then renamed): a crash or an error leaves the old
// file or the new one, never a truncated one; a new file is created with
// mode 0600 and an existing one keeps its permission bits. A symbolic link
// at the path is refused, never written through. A temporary file may be
// left behind by a process killed during a save; it is named
// ".NAME.tmp-*" beside the jar. Two processes saving the same path: the
// last one to rename wins, whole; nothing is merged or interleaved.
//
// The library only takes paths. What names such as "-", "none" or "" mean
// (stdin, stdout, no file) is for the command line to decide and document.
//
// # Where browsers, curl and Python differ
//
//   - Public suffixes: browsers and curl (with libpsl) refuse them; Python
//     only refuses a few obvious forms; Go's net/http/cookiejar only with a
//     list given. Here: always.
//   - Loopback over http is a secure context here, as in browsers and curl;
//     not in Python or Go's cookiejar.
//   - Prefixes and "leave Secure cookies alone": browsers and curl enforce
//     them; Python and Go's cookiejar do not. Here: enforced, with the
//     prefixes matched without regard to case as RFC 6265bis now says.
//   - Caps: curl allows 50 cookies per response and sends at most 150 in
//     an 8 KiB header; Chrome keeps 180 per registrable domain and 3300 in
//     all; Python has none. Here: 50 per response, 50 per registrable
//     domain, 3000 in all, 8 KiB of header, 4096 bytes per cookie.
//   - Expiry: Chrome and Firefox cap it at 400 days; Python does not.
//     Here: capped.
//   - SameSite: browsers enforce it and refuse SameSite=None without
//     Secure; curl, Python and Go ignore it. Here: kept, not enforced, and
//     SameSite=None without Secure is accepted.
//   - Partitioned (CHIPS) cookies are stored unpartitioned, as curl does.
//   - Nameless cookies ("=v", or "v" alone), which browsers accept, are
//     refused here (net/http's parser drops them before the jar sees them).
//   - Values: browsers accept bytes net/http will not send (8-bit, '"',
//     '\'); those cookies are dropped here. A Domain attribute ending in a
//     dot is refused here, as in Go's cookiejar.
//   - Identity: RFC 6265bis, Python and this jar tell a host-only cookie
//     from a domain cookie of the same name and path; RFC 6265 and Go's
//     cookiejar make them one.
//   - Only http and https URLs get cookies (not ws, wss or file).
//   - Saving session cookies: curl -c always does; Python's save does only
//     with ignore_discard=True; here only with SaveOptions.Session.
//   - Loading session cookies: curl and this jar load them; Python's load
//     drops them unless ignore_discard=True. Python writes a session
//     cookie's expiry as an empty field, which Load reads as a session
//     cookie; Save writes 0 as curl does (older curl cannot read an empty
//     field), which Python's load reads as expired.
//   - The magic line: Python's load fails without it; curl and this jar do
//     not need it.
//   - Malformed lines: Python fails the whole load; curl skips them
//     silently; this jar skips them and reports each one in a LoadError.
//   - A 6-field line (no value field) is a cookie with an empty value, as
//     in curl; Python fails. The include-subdomains field, not the leading
//     dot, decides a domain cookie, as in curl; Python fails when they
//     disagree.
//   - A symbolic link at the jar path: Python's save writes through it to
//     its target, curl's rename replaces the link; Save refuses it.
package cookies
