package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"strconv"
)

// SOCKS5 (RFC 1928) and its username/password authentication (RFC 1929).
const (
	socksVersion        = 5
	socksAuthVersion    = 1
	socksNoAuth         = 0x00
	socksUserPass       = 0x02
	socksNoAcceptable   = 0xff
	socksCmdConnect     = 1
	socksAtypIPv4       = 1
	socksAtypName       = 3
	socksAtypIPv6       = 4
	socksReplySucceeded = 0
)

var socksReplies = [...]string{
	1: "general SOCKS server failure",
	2: "connection not allowed by ruleset",
	3: "network unreachable",
	4: "host unreachable",
	5: "connection refused",
	6: "TTL expired",
	7: "command not supported",
	8: "address type not supported",
}

// socksRequest is what a SOCKS5 handshake sends, checked before
// connecting.
type socksRequest struct {
	auth           bool
	user, password string
	ip             netip.Addr // the target's address, or
	name           string     // its host name (socks5h)
	port           uint16
}

// newSOCKSRequest prepares the handshake for host:port (from splitTarget)
// through p. A name longer than SOCKS5 can carry is an error, never a
// silent switch to local resolution (curl CVE-2023-38545).
func newSOCKSRequest(p *url.URL, scheme, host, port string) (*socksRequest, error) {
	n, _ := strconv.Atoi(port) // checked by splitTarget
	r := &socksRequest{port: uint16(n)}
	if ip, err := netip.ParseAddr(host); err == nil {
		r.ip = ip.Unmap()
	} else {
		r.name = host
		if scheme == "socks5h" && len(host) > maxSOCKSField {
			return nil, fmt.Errorf("target host name of %d bytes is longer than the %d a SOCKS5 request can carry", len(host), maxSOCKSField)
		}
	}
	if p.User != nil {
		r.auth = true
		r.user = p.User.Username()
		r.password, _ = p.User.Password()
		if r.user == "" || len(r.user) > maxSOCKSField || len(r.password) > maxSOCKSField {
			return nil, fmt.Errorf("SOCKS5 credentials need a user name of 1 to %d bytes and a password of at most %d", maxSOCKSField, maxSOCKSField)
		}
	}
	return r, nil
}

// resolve looks host up for a socks5 proxy, preferring an IPv4 address
// when network allows both families.
func (d *Dialer) resolve(ctx context.Context, network, host string) (netip.Addr, error) {
	r := d.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	family := "ip"
	switch network {
	case "tcp4":
		family = "ip4"
	case "tcp6":
		family = "ip6"
	}
	addrs, err := r.LookupNetIP(ctx, family, host)
	if err != nil {
		if cause := context.Cause(ctx); cause != nil {
			err = cause
		}
		return netip.Addr{}, fmt.Errorf("resolving the target for the socks5 proxy (socks5h leaves it to the proxy): %w", err)
	}
	var best netip.Addr
	for _, a := range addrs {
		a = a.Unmap().WithZone("")
		if !best.IsValid() || (a.Is4() && !best.Is4()) {
			best = a
		}
	}
	if !best.IsValid() {
		return netip.Addr{}, fmt.Errorf("resolving the target for the socks5 proxy: no address for %s", host)
	}
	return best, nil
}

// handshake runs the SOCKS5 exchange on c. Every read has a fixed size or
// a one-byte length, so a hostile proxy cannot make it buffer more.
func (r *socksRequest) handshake(c net.Conn, shown, target string) (net.Conn, error) {
	fail := func(err error) error { return &ProxyError{Proxy: shown, Target: target, Err: err} }
	read := func(b []byte, what string) error {
		if _, err := io.ReadFull(c, b); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return fail(fmt.Errorf("%w before its %s", ErrProxyClosed, what))
			}
			return fail(fmt.Errorf("reading the SOCKS5 %s: %w", what, err))
		}
		return nil
	}
	write := func(b []byte) error {
		if _, err := c.Write(b); err != nil {
			return fail(fmt.Errorf("sending to the SOCKS5 proxy: %w", err))
		}
		return nil
	}

	greeting := []byte{socksVersion, 1, socksNoAuth}
	if r.auth {
		greeting = []byte{socksVersion, 2, socksNoAuth, socksUserPass}
	}
	if err := write(greeting); err != nil {
		return nil, err
	}
	b := make([]byte, 2, 4+maxSOCKSField+2)
	if err := read(b, "method selection"); err != nil {
		return nil, err
	}
	if b[0] != socksVersion {
		return nil, fail(fmt.Errorf("%w: SOCKS version %d in the method selection, want 5", ErrProxyProtocol, b[0]))
	}
	switch m := b[1]; {
	case m == socksNoAuth:
	case m == socksUserPass && r.auth:
		msg := make([]byte, 0, 3+len(r.user)+len(r.password))
		msg = append(msg, socksAuthVersion, byte(len(r.user)))
		msg = append(msg, r.user...)
		msg = append(msg, byte(len(r.password)))
		msg = append(msg, r.password...)
		if err := write(msg); err != nil {
			return nil, err
		}
		if err := read(b[:2], "authentication reply"); err != nil {
			return nil, err
		}
		if b[0] != socksAuthVersion && b[0] != socksVersion {
			return nil, fail(fmt.Errorf("%w: version %d in the authentication reply", ErrProxyProtocol, b[0]))
		}
		if b[1] != 0 {
			return nil, fail(fmt.Errorf("%w: the SOCKS5 proxy refused the user name and password", ErrProxyAuth))
		}
	case m == socksNoAcceptable:
		what := "no authentication"
		if r.auth {
			what = "no authentication or a user name and password"
		}
		return nil, fail(fmt.Errorf("%w: the SOCKS5 proxy accepts none of the methods offered (%s)", ErrProxyAuth, what))
	default:
		return nil, fail(fmt.Errorf("%w: the SOCKS5 proxy chose method %d, which was not offered", ErrProxyProtocol, m))
	}

	req := make([]byte, 0, 6+1+maxSOCKSField)
	req = append(req, socksVersion, socksCmdConnect, 0)
	switch {
	case r.ip.Is4():
		a := r.ip.As4()
		req = append(req, socksAtypIPv4)
		req = append(req, a[:]...)
	case r.ip.Is6():
		a := r.ip.As16()
		req = append(req, socksAtypIPv6)
		req = append(req, a[:]...)
	default:
		req = append(req, socksAtypName, byte(len(r.name)))
		req = append(req, r.name...)
	}
	req = append(req, byte(r.port>>8), byte(r.port))
	if err := write(req); err != nil {
		return nil, err
	}

	b = b[:4]
	if err := read(b, "reply"); err != nil {
		return nil, err
	}
	if b[0] != socksVersion {
		return nil, fail(fmt.Errorf("%w: SOCKS version %d in the reply, want 5", ErrProxyProtocol, b[0]))
	}
	if rep := b[1]; rep != socksReplySucceeded {
		text := fmt.Sprintf("reply code %d", rep)
		if int(rep) < len(socksReplies) {
			text = socksReplies[rep]
		}
		return nil, fail(fmt.Errorf("%w: SOCKS5: %s", ErrProxyRefused, text))
	}
	var n int
	switch b[3] {
	case socksAtypIPv4:
		n = 4
	case socksAtypIPv6:
		n = 16
	case socksAtypName:
		if err := read(b[:1], "reply"); err != nil {
			return nil, err
		}
		n = int(b[0])
	default:
		return nil, fail(fmt.Errorf("%w: SOCKS5 address type %d in the reply", ErrProxyProtocol, b[3]))
	}
	b = b[:n+2] // the bound address and port, unused
	if err := read(b, "reply"); err != nil {
		return nil, err
	}
	return &tunnelConn{Conn: c, proxy: shown, target: target}, nil
}
