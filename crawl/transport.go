package crawl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/grabhq/grab/fetch"
)

// ErrBlockedAddress reports a connection PublicOnly refused: to a private,
// loopback, link-local or otherwise non-public address, or to a port not
// allowed.
var ErrBlockedAddress = errors.New("crawl: blocked address")

// opener returns the Opener the crawl fetches with: o's transport, proxy,
// handlers, timeouts and limits, but no jar (colly's client keeps the
// cookies), no file: URLs, and every status returned as a response (the
// crawl records a non-2xx as an *fetch.HTTPError itself).
func opener(o *fetch.Opener, dial func(context.Context, string, string) (net.Conn, error)) *fetch.Opener {
	n := &fetch.Opener{
		Transport:          o.Transport,
		Engine:             o.Engine,
		TLSConfig:          o.TLSConfig,
		ProxyTLSConfig:     o.ProxyTLSConfig,
		Proxy:              o.Proxy,
		Dial:               o.Dial,
		Handlers:           o.Handlers,
		Header:             o.Header,
		UserAgent:          o.UserAgent,
		Redirects:          o.Redirects,
		Timeouts:           o.Timeouts,
		Limits:             o.Limits,
		DisableCompression: o.DisableCompression,
		DisableFile:        true,
		AllowErrorStatus:   true,
		Trace:              o.Trace,
	}
	if dial != nil {
		n.Dial = dial
	}
	return n
}

// transport is the http.RoundTripper colly's client runs on: each
// exchange is one fetch.Opener.Open without redirects (colly's client
// follows them, asking the crawl at every hop), so fetch's validation,
// timeouts, size caps, decoding, proxies and credential handlers apply.
type transport struct {
	o      *fetch.Opener
	logins logins // the seeds' credentials, by origin
	// deadline, when set, returns the deadline of the page a request
	// (by its header) belongs to; zero for none.
	deadline func(http.Header) time.Time
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		req.Body.Close()
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return nil, fmt.Errorf("%w: %q", ErrScheme, req.URL.Scheme)
	}
	h := req.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	h.Del(jobHeader)
	if req.Host != "" && req.Host != req.URL.Host {
		h.Set("Host", req.Host)
	}
	ctx := req.Context()
	cancel := context.CancelFunc(func() {})
	if t.deadline != nil {
		if d := t.deadline(req.Header); !d.IsZero() {
			ctx, cancel = context.WithDeadline(ctx, d)
		}
	}
	resp, err := t.o.Open(ctx, &fetch.Request{URL: t.logins.of(req.URL).String(), Method: req.Method, Header: h, NoRedirect: true})
	if err != nil {
		cancel()
		var ue *url.Error
		if errors.As(err, &ue) {
			return nil, ue.Err // the client wraps it in its own *url.Error
		}
		return nil, err
	}
	major, minor, ok := http.ParseHTTPVersion(resp.Proto)
	if !ok {
		major, minor = 1, 1
	}
	return &http.Response{
		Status:        resp.Status,
		StatusCode:    resp.StatusCode,
		Proto:         resp.Proto,
		ProtoMajor:    major,
		ProtoMinor:    minor,
		Header:        resp.Header,
		Body:          &cancelBody{resp.Body, cancel},
		ContentLength: resp.ContentLength,
		// fetch decodes Content-Encoding, within its limits; colly would
		// gunzip a ".xml.gz" path or a gzip Content-Type again, without
		// one (HOSTILE.md F7). What comes through is left as it is.
		Uncompressed: true,
		TLS:          resp.TLS,
		Request:      req,
	}, nil
}

// cancelBody is a response body that ends its exchange's context when
// closed.
type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// CloseIdleConnections closes the idle connections of the Opener.
func (t *transport) CloseIdleConnections() { t.o.CloseIdleConnections() }

// blocked are the networks PublicOnly refuses (HOSTILE.md J1).
var blocked = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
		"172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16",
		"198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
		"::/128", "::1/128", "100::/64", "2001:db8::/32", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

var (
	nat64      = netip.MustParsePrefix("64:ff9b::/96")
	nat64Local = netip.MustParsePrefix("64:ff9b:1::/48")
	sixToFour  = netip.MustParsePrefix("2002::/16")
)

// publicIP reports whether ip is a public unicast address. IPv4 addresses
// embedded in IPv6 (mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96 and
// 64:ff9b:1::/48, 6to4 2002::/16) are judged by the IPv4 address.
func publicIP(ip netip.Addr) bool {
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		b := ip.As16()
		switch {
		case nat64.Contains(ip), nat64Local.Contains(ip):
			return publicIP(netip.AddrFrom4([4]byte(b[12:16])))
		case sixToFour.Contains(ip):
			return publicIP(netip.AddrFrom4([4]byte(b[2:6])))
		}
	}
	for _, p := range blocked {
		if p.Contains(ip) {
			return false
		}
	}
	return ip.IsValid()
}

// PublicOnlyDial returns a dial function for fetch.Opener.Dial that
// refuses what Crawler.PublicOnly refuses: every address that is not
// public unicast, and every port but 80, 443 and ports. It resolves the
// host once, refuses unless every address is public, and dials the
// address it checked (so a DNS answer that changes between the check and
// the dial cannot slip through, HOSTILE.md J4). base dials the checked
// address (nil means a net.Dialer), resolver resolves (nil means
// net.DefaultResolver).
func PublicOnlyDial(base func(context.Context, string, string) (net.Conn, error), resolver *net.Resolver, ports ...int) func(context.Context, string, string) (net.Conn, error) {
	allowed := map[string]bool{"80": true, "443": true}
	for _, p := range ports {
		allowed[strconv.Itoa(p)] = true
	}
	if base == nil {
		base = (&net.Dialer{Timeout: fetch.DefaultConnectTimeout, KeepAlive: 30 * time.Second}).DialContext
	}
	if resolver == nil {
		resolver = net.DefaultResolver
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		if !allowed[port] {
			return nil, fmt.Errorf("dial %s: %w (port %s not allowed)", addr, ErrBlockedAddress, port)
		}
		var ips []netip.Addr
		if ip, err := netip.ParseAddr(strings.TrimSuffix(host, ".")); err == nil {
			ips = []netip.Addr{ip}
		} else {
			ips, err = resolver.LookupNetIP(ctx, "ip", host)
			if err != nil {
				return nil, err
			}
		}
		if len(ips) == 0 {
			return nil, fmt.Errorf("dial %s: no address", addr)
		}
		for _, ip := range ips {
			if !publicIP(ip) {
				return nil, fmt.Errorf("dial %s: %w (%s)", addr, ErrBlockedAddress, ip)
			}
		}
		var first error
		for _, ip := range ips {
			c, err := base(ctx, network, net.JoinHostPort(ip.String(), port))
			if err == nil {
				return c, nil
			}
			if first == nil {
				first = err
			}
		}
		return nil, first
	}
}
