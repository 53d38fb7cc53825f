package proxy

import (
	"net"
	"net/netip"
	"strings"

	"github.com/grabhq/grab/internal/webhost"
	"github.com/grabhq/grab/urlx"
)

// noProxyList is a parsed NO_PROXY value. Its rules are those of
// golang.org/x/net/http/httpproxy (Config.NoProxy), with the gaps listed
// in the package documentation filled.
type noProxyList struct {
	all      bool           // "*"
	prefixes []netip.Prefix // CIDR entries: 10.0.0.0/8, fd00::/8
	ips      []ipEntry      // IP entries: 10.1.2.3, ::1, [::1], [::1]:8080
	names    []nameEntry    // name entries: example.com, .example.com, *.example.com:443
}

type ipEntry struct {
	addr netip.Addr // unmapped, zone removed
	port string     // "" for any
}

type nameEntry struct {
	suffix string // ".example.com": the name with a leading dot
	exact  bool   // the name itself matches too, not only its subdomains
	port   string // "" for any
}

// parseNoProxy parses a NO_PROXY value: comma-separated entries, spaces
// around them ignored, case-insensitive. Entries that cannot match any
// host are ignored, as httpproxy and curl ignore them.
func parseNoProxy(s string) noProxyList {
	var l noProxyList
	for p := range strings.SplitSeq(s, ",") {
		p = strings.ToLower(strings.TrimSpace(p))
		if p == "" {
			continue
		}
		if p == "*" {
			return noProxyList{all: true}
		}
		if pfx, err := netip.ParsePrefix(p); err == nil {
			l.prefixes = append(l.prefixes, pfx.Masked())
			continue
		}
		host, port, err := net.SplitHostPort(p)
		if err != nil {
			host, port = p, ""
			// "[::1]" without a port (httpproxy reads it as a name).
			if len(host) > 2 && host[0] == '[' && host[len(host)-1] == ']' {
				host = host[1 : len(host)-1]
			}
		}
		if host == "" {
			continue
		}
		if ip, err := netip.ParseAddr(host); err == nil {
			l.ips = append(l.ips, ipEntry{addr: ip.WithZone("").Unmap(), port: port})
			continue
		}
		if strings.HasPrefix(host, "*.") {
			host = host[1:]
		}
		exact := !strings.HasPrefix(host, ".")
		host = strings.TrimPrefix(host, ".")
		host = normalizeName(host)
		if host == "" || !nameOK(host) {
			continue
		}
		l.names = append(l.names, nameEntry{suffix: "." + host, exact: exact, port: port})
	}
	return l
}

// match reports whether a request to host (as [normalizeHost] returns it)
// and port bypasses the proxy.
func (l *noProxyList) match(h hostInfo, port string) bool {
	if l.all {
		return true
	}
	if h.isIP {
		for _, p := range l.prefixes {
			if p.Contains(h.ip) {
				return true
			}
		}
		for _, e := range l.ips {
			if e.addr == h.ip && (e.port == "" || e.port == port) {
				return true
			}
		}
		// An address never matches a name entry: this is what keeps
		// "[::1%25.example.com]" (zone ".example.com") out of
		// "*.example.com" (CVE-2025-22870).
		return false
	}
	if !h.nameOK {
		return false
	}
	for _, e := range l.names {
		if e.port != "" && e.port != port {
			continue
		}
		if strings.HasSuffix(h.name, e.suffix) || (e.exact && h.name == e.suffix[1:]) {
			return true
		}
	}
	return false
}

// hostInfo is a request host as the matcher sees it.
type hostInfo struct {
	isIP   bool
	ip     netip.Addr // unmapped, zone removed
	name   string     // lower-case ASCII (IDNA), one trailing dot removed
	nameOK bool       // name holds only characters a DNS name can
}

// normalizeHost reads a request URL's host (url.URL.Hostname: no brackets,
// no port). An IP address is recognised before and after IDNA mapping, so
// the full-width spelling of 127.0.0.1 is the address it dials, as are the
// numeric spellings of an IPv4 address.
func normalizeHost(host string) hostInfo {
	if ip, err := netip.ParseAddr(host); err == nil {
		return hostInfo{isIP: true, ip: ip.WithZone("").Unmap()}
	}
	name := normalizeName(host)
	if ip, err := netip.ParseAddr(name); err == nil {
		return hostInfo{isIP: true, ip: ip.WithZone("").Unmap()}
	}
	// "127.1", "2130706433", "0x7f.0.0.1": the IPv4 address fetch (and
	// curl, and a browser) dials for them.
	if canon, ok := webhost.Canon(name); ok {
		if ip, err := netip.ParseAddr(canon); err == nil {
			return hostInfo{isIP: true, ip: ip}
		}
	}
	return hostInfo{name: name, nameOK: nameOK(name)}
}

// normalizeName lower-cases a host name, maps it to its IDNA ASCII form
// when it is not ASCII (as net/http does before dialing; the name is kept
// if it has none) and removes one trailing dot.
func normalizeName(s string) string {
	if a, err := urlx.DialHostname(s); err == nil {
		s = a
	}
	s = strings.ToLower(s)
	return strings.TrimSuffix(s, ".")
}

// nameOK reports whether s could be a DNS host name: ASCII letters,
// digits, '-', '_' and '.' only. A host with anything else (a '%' of a
// zone, a bracket, a colon, a space) never matches a name entry.
func nameOK(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// isLoopback reports whether h is localhost or a loopback address, the
// hosts net/http's environment proxies never serve.
func (h hostInfo) isLoopback() bool {
	if h.isIP {
		return h.ip.IsLoopback()
	}
	return h.name == "localhost"
}
