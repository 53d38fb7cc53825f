package proxy_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/grabhq/grab/internal/testkit"
	"github.com/grabhq/grab/proxy"
)

// FuzzNoProxy checks the NO_PROXY matcher: it never panics; an IPv6 zone
// never changes the decision (so a name pattern can never match through a
// zone id, CVE-2025-22870); and where net/http's httpproxy is meant to
// agree (see comparable), it does.
func FuzzNoProxy(f *testing.F) {
	for _, tt := range noProxyTests {
		u, _ := url.Parse(tt.url)
		f.Add(tt.noProxy, u.Host, "")
	}
	f.Add("*.example.com", "::1", ".example.com")
	f.Add("example.com,.example.com", "fe80::1", "example.com")
	f.Add("::1", "::1", "eth0")
	f.Add("fe80::/10", "fe80::1", "x.example.com")
	f.Fuzz(func(t *testing.T, noProxy, host, zone string) {
		s := &proxy.Selector{All: &url.URL{Scheme: "http", Host: "proxy.test:3128"}, NoProxy: noProxy}
		u := &url.URL{Scheme: "http", Host: host}
		p, err := s.ProxyFor(u)
		if err != nil {
			t.Fatalf("ProxyFor(%q) error: %v", host, err)
		}
		if p != nil && p.Host != "proxy.test:3128" {
			t.Fatalf("ProxyFor(%q) = %v", host, p)
		}

		if a, err := netip.ParseAddr(host); err == nil && a.Is6() && zone != "" {
			a = a.WithZone("")
			plain := &url.URL{Scheme: "http", Host: "[" + a.String() + "]"}
			zoned := &url.URL{Scheme: "http", Host: "[" + a.String() + "%" + zone + "]"}
			for _, np := range []string{noProxy, "*." + zone, zone, "." + zone, noProxy + "," + zone} {
				s := &proxy.Selector{All: &url.URL{Scheme: "http", Host: "p:1"}, NoProxy: np}
				p0, _ := s.ProxyFor(plain)
				p1, _ := s.ProxyFor(zoned)
				if (p0 == nil) != (p1 == nil) {
					t.Fatalf("NoProxy %q: %s direct = %t but %s direct = %t: the zone changed the decision", np, plain.Host, p0 == nil, zoned.Host, p1 == nil)
				}
			}
		}

		if isPlain(noProxy) && isPlain(host) && comparable(noProxy, u) {
			if got, want := oursDirect(noProxy, u), theirsDirect(noProxy, u); got != want {
				t.Fatalf("NoProxy %q: host %q direct = %t, httpproxy says %t", noProxy, host, got, want)
			}
		}
	})
}

// isPlain reports whether s is lower-case ASCII without spaces, brackets
// or '%': the inputs whose reading httpproxy and this package share.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || ('A' <= c && c <= 'Z') || strings.IndexByte("[]%/", c) >= 0 {
			return false
		}
	}
	return true
}

// FuzzConnectReply feeds Dial arbitrary proxy answers to CONNECT: it never
// panics, fails with a *ProxyError unless the answer is a 2xx HTTP
// response head, and never reads more of it than the limit.
func FuzzConnectReply(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.1 200 Connection established\r\n\r\n",
		"HTTP/1.1 200 OK\r\n\r\nearly",
		"HTTP/1.0 204 No Content\r\nX: y\r\n\r\n",
		"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n\r\n",
		"HTTP/1.1 200 OK\r\nX-A: b\r\n",
		"HTTP/1.1 20",
		"SSH-2.0-OpenSSH\r\n",
		"\x05\x00",
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
		"HTTP/1.1 200 OK\r\nX: " + strings.Repeat("a", 600) + "\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, reply []byte) {
		const max = 512
		d := &proxy.Dialer{
			Proxy:         &url.URL{Scheme: "http", Host: "proxy.test:3128"},
			MaxReplyBytes: max,
			Timeout:       5 * time.Second,
			Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
				client, server := net.Pipe()
				go func() {
					defer server.Close()
					br := bufio.NewReader(server)
					if _, err := testkit.ReadHead(br); err != nil {
						return
					}
					server.Write(reply)
				}()
				return client, nil
			},
		}
		c, err := d.DialContext(context.Background(), "tcp", "example.com:443")
		if err != nil {
			var pe *proxy.ProxyError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ProxyError", err)
			}
			return
		}
		defer c.Close()
		resp, rerr := http.ReadResponse(bufio.NewReader(bytes.NewReader(reply)), &http.Request{Method: "CONNECT"})
		if rerr != nil || resp.StatusCode/100 != 2 {
			t.Fatalf("Dial accepted %q", reply)
		}
		if n := headLen(reply); n < 0 || n > max {
			t.Fatalf("Dial accepted a head of %d bytes (limit %d): %q", n, max, reply)
		}
		c.SetDeadline(time.Now().Add(time.Second))
		io.Copy(io.Discard, c)
	})
}

// headLen returns the length of the head at the start of b, through its
// empty line, or -1 if there is none.
func headLen(b []byte) int {
	n := 0
	for {
		i := bytes.IndexByte(b[n:], '\n')
		if i < 0 {
			return -1
		}
		line := b[n : n+i+1]
		n += i + 1
		if n > len(line) && (string(line) == "\n" || string(line) == "\r\n") {
			return n
		}
	}
}
