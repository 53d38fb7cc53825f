// Package crawl crawls sites: a polite, resumable, distributable crawler on
// colly v2, and the only grab package that imports colly.
//
//	c := &crawl.Crawler{
//		MaxDepth: 3,
//		Images:   true,
//		OnPage:   func(p crawl.Page) { fmt.Println(p.Status, p.URL, p.Title) },
//	}
//	stats, err := c.Run(ctx, "https://example.com/")
//
// # Engine
//
// Run drives a colly Collector (synchronous, one per Run) from its own
// workers: each worker leases a URL from the Store, fetches it through
// colly, records it, and finishes the lease with the page's links queued.
// colly's client runs on grab's fetch: its transport is a RoundTripper that
// makes each exchange with a fetch.Opener (the Crawler's Opener: its
// transport, proxy, credential handlers, timeouts, header and decompression
// caps), cookies go to the Opener's Jar (colly's SetCookieJar), or else to
// a grab cookies.Jar (kept in the Store with Bolt and Redis), and colly's
// SetProxy is never called (it would replace the transport). colly's own
// robots.txt support, visited set, URL filters and limit rules are off:
// the crawl does each itself, as below. The Collector is built without
// colly's NewCollector, which reads COLLY_* environment variables.
//
// # Politeness
//
//   - robots.txt is read for every origin before its first page and obeyed
//     unless IgnoreRobots is set (colly ignores it by default). Answers map
//     as RFC 9309 §2.3.1 says: a 2xx is parsed (the first MaxRobotsBytes),
//     a 4xx other than 429 means no rules, a 429, a 5xx or no answer (a
//     refused connection, a TLS error, no response within RobotsTimeout, a
//     blocked address) keeps the whole origin disallowed for RobotsRetry
//     (those pages are recorded with ErrRobotsUnavailable, wrapping the
//     cause), up to MaxRobotsRedirects redirects are
//     followed (more means no rules), and the rules read apply to the
//     origin first asked. The group is the one named by the User-Agent's
//     first product name ("grab" for "grab/1.2"), in any case, else "*"
//     (RFC 9309 §2.2.1: a group named by a prefix of it is another
//     agent's); rules are anchored at the start of
//     the path and matched on the path and query exactly as requested,
//     the longest rule winning and Allow winning a tie (temoto leaves rules
//     with "*" unanchored, so matching is the package's own). A link
//     robots.txt disallows is not followed (Stats.Skipped), also one
//     queued before its origin's robots.txt was read; a seed it disallows
//     is recorded with ErrDisallowed.
//   - Crawl-delay is honoured up to MaxCrawlDelay (10s), a longer one
//     reported through OnWarning; Delay and Jitter space requests to one
//     host further; at most PerHost requests run at once on one host and
//     port.
//   - Every redirect hop is checked before it is followed: scope, Allow
//     and Deny, robots.txt of the hop's origin, and whether the target was
//     already crawled, queued, or the target of another page's redirect
//     in flight in this process (so two pages redirected to one new URL
//     at once fetch it once; should that one fetch fail, the other page
//     stays refused). A refused hop ends the chain; the page is
//     recorded with its 3xx status and the reason (ErrOutOfScope,
//     ErrDisallowed, ErrAlreadySeen), counted in Stats.Refused, not
//     Errors: wget -r does not fail on them either (see Page.Refused).
//   - A 429 or 503 is asked again up to Retries times, after its
//     Retry-After (capped at MaxRetryWait) during which the host gets no
//     request.
//   - rel="nofollow" links, and the links of a page with <meta
//     name="robots" content="nofollow">, are not followed unless
//     FollowNofollow is set (wget and colly follow them).
//
// # What is followed
//
// Links of <a>, <area>, <frame> and <iframe> (parse.Links, resolved against
// <base href> and the final URL) are followed when they are in Scope
// (ScopeHost, the default, as wget -r; ScopeDomain; ScopePrefix, as wget's
// --no-parent; ScopeAny), match Allow (if given) and no Deny, are at most
// MaxURLLength bytes, within MaxDepth, and not known to be disallowed.
// URLs are deduplicated after Normalize (scheme and host case, IDNA,
// trailing dot, default port, dot segments, escapes, fragment, userinfo),
// so a trap of equivalent spellings is fetched once; MaxPages caps the crawl,
// MaxPagesPerHost the pages fetched from one host and port (counted by
// each process on its own, not through the Store, so a trap on one host
// cannot take the whole budget), and MaxLinksPerPage a page's links (the
// page is then flagged Truncated).
//
// A seed's user:password (http://alice:secret@host/) are the credentials
// of the seed's origin: every request to it, robots.txt and redirect hops
// included, goes to the Opener with them in its URL, so fetch's rules
// apply as in grab get (Basic with the first request, a Digest challenge
// answered, a credential handler of the Opener for that origin winning).
// They go into no page URL, record or Store entry: a link carrying
// userinfo is the page without it, and sends the seed's credentials, if
// any. The first seed of an origin with userinfo names them.
//
// # Records
//
// Each page is a Page, passed to OnPage one at a time: URL, final URL,
// status, content type, depth, parent, title, links, images (Images: the
// URLs parse.Images finds), named selector matches (Fields), size and
// timings. A failure is a record, never an error of Run: a final status
// outside 2xx is a *fetch.HTTPError, a transport failure the *url.Error of
// the client, a body over MaxBodyBytes fetch.ErrBodyTooLarge (the page is
// not parsed: colly would silently parse the first part). Pages that are
// not HTML are recorded from their head; their body is not read. Bodies are
// decoded by their charset (parse.Decode) before parsing.
//
// # Stores
//
// The Store holds the frontier, the seen set (every URL queued once), the
// leases of pages in flight and the page count; Memory (the default), Bolt
// (a bbolt file: a crawl stopped by Ctrl-C, kill -9 or a crash continues
// when run again) and Redis (one crawl shared by several processes or
// machines: each URL fetched once across them all) implement it, and each
// also implements colly's storage.Storage and queue.Storage (GET requests
// by URL and depth: a request with another method, a body, header fields,
// a Host or context values is refused, not stored in part). A page is
// finished after its record is delivered, in one step with its links
// queued, so after a kill -9 the pages in flight (at most Parallelism) are
// fetched and delivered again; after a cancelled context they are given
// back unrecorded (in-flight pages get three seconds to finish first). With
// Bolt and Redis, and no Opener.Jar, cookies are kept in the store, a
// grab cookies.Jar per site (registrable domain) with RFC 6265's rules
// (Domain, Path, expiry, Max-Age, deletion), so they survive a restart and
// are shared; two processes setting one site's cookies at once keep the
// last write. (colly's storage model, by host with no Path, Domain or
// Max-Age, is used only for another Store that implements its
// storage.Storage.)
// go-redis writes its own connection retries to stderr through a
// process-wide logger: a program that wants silence calls
// redis.SetLogger(&logging.VoidLogger{}), as grab's command does.
//
// # Address policy
//
// PublicOnly refuses, at dial time, every address that is not public
// unicast (HOSTILE.md J1: loopback, RFC 1918, link-local and the cloud
// metadata address, CGNAT, unique-local, multicast, reserved, IPv4 mapped
// or embedded in IPv6) and every port but 80, 443, the seeds' and
// AllowPorts: the host is resolved once and the checked address is dialed,
// so spellings such as 0177.0.0.1 or a rebinding DNS answer cannot get
// past it. It is off by default (HOSTILE.md J1 asks for it on in a crawler;
// grab's tests and its test server run on loopback, and the CLI offers
// --public-only). With a proxy, the address checked is the proxy's.
package crawl
