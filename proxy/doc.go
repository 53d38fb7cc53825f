// Package proxy chooses and dials proxies: Python's ProxyHandler and
// ProxyBasicAuthHandler as net/http-native pieces.
//
//	sel, err := proxy.New(map[string]string{"http": "http://proxy:3128/"}, "localhost,.internal")
//	if err != nil { ... }                 // names the bad key or URL, password redacted
//	sel.SetCredentials("user", "password") // ProxyBasicAuthHandler.add_password
//	client := &http.Client{Transport: &http.Transport{
//		Proxy:                  sel.Proxy,           // ProxyHandler
//		OnProxyConnectResponse: proxy.CheckConnect,  // typed CONNECT failures
//	}}
//
//	sel, err = proxy.FromEnvironment(nil)   // HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, NO_PROXY, now
//
//	conn, err := proxy.Dial(ctx, proxyURL, "example.com:443", nil, nil) // a tunnel; TLS to the target is yours
//
// A [Selector] picks the proxy for a request from its URL's scheme and host
// (never its Host header): HTTP for http://, HTTPS for https://, All for
// anything without a proxy of its own, or none; [Selector.Proxy] has the
// signature of [http.Transport.Proxy]. A [Dialer] (or [Dial]) connects to a
// host:port through one proxy, for transports that dial themselves, such as
// fetch/conn, and for socks5 with local name resolution; [CheckConnect]
// gives net/http's own CONNECT failures the same typed errors.
//
// # Proxies and credentials
//
// A proxy URL has the scheme http, https (TLS to the proxy, verified),
// socks5 (the client resolves the target's name) or socks5h (the proxy
// does); a bare "host:port" means http://host:port. Default ports are
// net/http's: 80, 443 and 1080. A path of "/" is allowed; any other path, a
// query or a fragment is an error, as is any other scheme.
//
// Credentials live in the proxy URL's userinfo, so they belong to that one
// proxy (HOSTILE.md C3): [Selector.SetCredentials] sets them on the
// proxies the Selector has when it is called, [Selector.SetProxyCredentials]
// on one proxy named by scheme, host and port; an empty user clears them,
// those written in the URL included, and net/http pools connections per
// proxy URL with its userinfo, so cleared credentials are not reused by a
// pooled tunnel. The http proxy's credentials never reach the https proxy,
// and none reaches an origin: net/http sends them as Proxy-Authorization in
// the CONNECT for an https target (C1) and in the absolute-form request for
// an http one, which the proxy consumes. A CONNECT carries Host and
// Proxy-Authorization only, never the request's own fields (C2); a
// [Dialer] adds the fields of Dialer.Header, for a proxy that wants them
// (curl's --proxy-header). SOCKS5 gets the user name and password of RFC
// 1929 (1 to 255 bytes each).
//
// A Proxy-Authorization field a caller sets on a request is not this
// package's: net/http forwards it to an https origin inside the tunnel.
// fetch removes it; with a plain http.Client, put proxy credentials in the
// Selector instead (B6).
//
// # NO_PROXY
//
// NoProxy holds comma-separated entries, case-insensitive, spaces around
// them ignored:
//
//   - a name matches itself and its subdomains ("example.com"); with a
//     leading "." or "*." only its subdomains (".example.com"); names are
//     compared in their IDNA ASCII form, with one trailing dot ignored on
//     both sides ("EXAMPLE.COM." is example.com);
//   - an IP address ("10.1.2.3", "::1", "[::1]") matches that address, an
//     IPv4-mapped IPv6 address its IPv4 address, and a CIDR block
//     ("10.0.0.0/8", "fd00::/8") the addresses in it; zones are ignored on
//     both sides;
//   - any of these with a port ("example.com:8080", "[::1]:8080",
//     "10.1.2.3:80") matches that port only, the request's default port
//     (80, 443) filled in;
//   - "*" matches every host.
//
// A host that is an IP address (after IDNA mapping, so the full-width
// spelling of 127.0.0.1 is 127.0.0.1) is matched against addresses and
// blocks only, never against names: "[::1%25.example.com]" has the zone
// ".example.com" and does not match "*.example.com" (C4, CVE-2025-22870).
// A host holding anything a DNS name cannot ('%', spaces) matches no name.
// Entries that cannot match anything are ignored.
//
// These are the rules of golang.org/x/net/http/httpproxy (net/http's), and
// the tests check the two agree wherever httpproxy is defined. Its
// Config.ProxyFunc is not used as is because it never proxies loopback
// (New must: tests and local proxies need it), silently goes direct for an
// invalid proxy URL, has no ALL_PROXY, and misses trailing-dot names,
// "[::1]" entries and upper-case "LOCALHOST"; the matcher here fills those
// gaps on the safe side (a doubtful host goes through the proxy).
//
// # Selector choices
//
//   - New (ProxyHandler with an explicit map) proxies every host the
//     noProxy list does not name, loopback included. FromEnvironment
//     follows net/http: localhost and loopback addresses always go direct
//     ([Selector.DirectLoopback]).
//   - FromEnvironment reads the variables when it is called (once per
//     opener, not cached per process): lower case wins when both cases are
//     set, as in curl and Python's urllib (net/http's ProxyFromEnvironment
//     takes the upper case), and a lower-case variable set empty hides the
//     upper-case one (read through os.LookupEnv or FromLookup, which tell
//     empty from unset). When REQUEST_METHOD is set
//     (a CGI script), HTTP_PROXY and http_proxy are ignored: a client's
//     "Proxy:" header arrives as HTTP_PROXY (httpoxy, C5). ALL_PROXY, which
//     no request header can set, still applies.
//   - An invalid proxy URL is an error naming the key or the variable; the
//     error never shows the password ([Redact], C7).
//   - net/http's transport treats socks5 as socks5h (the proxy resolves the
//     name). For local resolution use a [Dialer] with a socks5 URL as the
//     transport's DialContext.
//
// # Dialing
//
// [Dial] and [Dialer.DialContext] connect to the proxy (through the given
// dial function, or a net.Dialer), do TLS with an https proxy (verified
// with the given config; nil means the system roots), then a CONNECT or a
// SOCKS5 handshake, and return the tunnel; the caller does TLS with the
// target over it. Bounds (C6):
//
//   - the whole dial is bounded by the context and by Dialer.Timeout
//     ([DefaultTimeout], one minute, as net/http's CONNECT);
//   - the CONNECT answer's head is read up to Dialer.MaxReplyBytes
//     ([DefaultMaxReplyBytes], 64 KiB); bytes that do not start with
//     "HTTP/" are refused at once; any 2xx opens the tunnel;
//   - one CONNECT per dial, never a retry: a 407 is [ErrProxyAuth] at once;
//   - a SOCKS5 read is fixed-size or has a one-byte length; a target name
//     longer than 255 bytes is refused before connecting for socks5h
//     (never a silent switch to local resolution, curl CVE-2023-38545);
//   - the target must be host:port with a port from 1 to 65535 and a host
//     that is an IP address without a zone or a DNS name (IDNA mapped), so
//     nothing can bend the CONNECT line.
//
// Failures are [*ProxyError] values (proxy redacted, target, CONNECT
// status) matching [ErrProxyAuth], [ErrProxyRefused], [ErrProxyClosed] or
// [ErrProxyProtocol], or wrapping the dial, TLS or context error. A tunnel
// the proxy closes before the target sent a byte (CONNECT 200, then
// close) reads as [ErrProxyClosed], still matching io.EOF; a proxy that
// hangs up with our first bytes unread resets the connection instead,
// and that reads as [ErrProxyClosed] too, matching syscall.ECONNRESET.
//
// The package never logs, prints or panics on its input, and keeps no
// state between calls but the Selector's.
package proxy
