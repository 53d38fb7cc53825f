package proxy_test

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/grabhq/grab/internal/testkit"
	"github.com/grabhq/grab/proxy"
)

// socksServer is a small SOCKS5 server (RFC 1928, RFC 1929) for the tests:
// it records each handshake and connects to loopback targets only, through
// the test's guard.
type socksServer struct {
	socksConfig
	g *testkit.Guard

	mu   sync.Mutex
	seen []socksSeen
	f    *fake
}

type socksConfig struct {
	user, password string // required when user is not ""
	reply          byte   // the reply code to send; 0 connects
}

type socksSeen struct {
	Methods        []byte
	User, Password string
	Atyp           byte
	Host           string // as sent: a name or an address
	Port           int
}

func startSOCKS(t *testing.T, s *socksServer) *socksServer {
	if s.g == nil {
		s.g = testkit.NewGuard(t)
	}
	s.f = startFake(t, s.serve)
	return s
}

func (s *socksServer) url(scheme, user, password string) *url.URL {
	u := s.f.url(scheme)
	if user != "" {
		u.User = url.UserPassword(user, password)
	}
	return u
}

func (s *socksServer) records() []socksSeen {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]socksSeen(nil), s.seen...)
}

func (s *socksServer) serve(c net.Conn) {
	var seen socksSeen
	recorded := false
	record := func() {
		if !recorded {
			recorded = true
			s.mu.Lock()
			s.seen = append(s.seen, seen)
			s.mu.Unlock()
		}
	}
	defer record() // a handshake that stopped early
	b := make([]byte, 512)
	if _, err := io.ReadFull(c, b[:2]); err != nil || b[0] != 5 {
		return
	}
	seen.Methods = make([]byte, b[1])
	if _, err := io.ReadFull(c, seen.Methods); err != nil {
		return
	}
	method := byte(0xff)
	for _, m := range seen.Methods {
		if (s.user == "" && m == 0) || (s.user != "" && m == 2) {
			method = m
		}
	}
	if method == 0xff {
		record()
		c.Write([]byte{5, method})
		return
	}
	c.Write([]byte{5, method})
	if method == 2 {
		if _, err := io.ReadFull(c, b[:2]); err != nil {
			return
		}
		user := make([]byte, b[1])
		io.ReadFull(c, user)
		io.ReadFull(c, b[:1])
		pw := make([]byte, b[0])
		if _, err := io.ReadFull(c, pw); err != nil {
			return
		}
		seen.User, seen.Password = string(user), string(pw)
		if seen.User != s.user || seen.Password != s.password {
			record()
			c.Write([]byte{1, 1})
			return
		}
		c.Write([]byte{1, 0})
	}
	if _, err := io.ReadFull(c, b[:4]); err != nil || b[1] != 1 {
		return
	}
	seen.Atyp = b[3]
	switch seen.Atyp {
	case 1, 4:
		n := 4
		if seen.Atyp == 4 {
			n = 16
		}
		if _, err := io.ReadFull(c, b[:n]); err != nil {
			return
		}
		a, _ := netip.AddrFromSlice(b[:n])
		seen.Host = a.String()
	case 3:
		if _, err := io.ReadFull(c, b[:1]); err != nil {
			return
		}
		name := make([]byte, b[0])
		if _, err := io.ReadFull(c, name); err != nil {
			return
		}
		seen.Host = string(name)
	default:
		return
	}
	if _, err := io.ReadFull(c, b[:2]); err != nil {
		return
	}
	seen.Port = int(binary.BigEndian.Uint16(b[:2]))
	record() // before answering, so the client never runs ahead of it
	fail := func(code byte) { c.Write([]byte{5, code, 0, 1, 0, 0, 0, 0, 0, 0}) }
	if s.reply != 0 {
		fail(s.reply)
		return
	}
	host := seen.Host
	if host == "localhost" {
		host = "127.0.0.1"
	}
	up, err := s.g.DialContext(context.Background(), "tcp", net.JoinHostPort(host, strconv.Itoa(seen.Port)))
	if err != nil {
		fail(5)
		return
	}
	c.Write([]byte{5, 0, 0, 1, 127, 0, 0, 1, 0x12, 0x34})
	pipe(c, up)
}

func TestDialSOCKS5(t *testing.T) {
	rec := &testkit.Recorder{}
	urls, _ := origins(t, rec, "origin")
	addr := hostOf(urls["origin"])
	_, port, _ := net.SplitHostPort(addr)
	byName := net.JoinHostPort("localhost", port)
	secret := testkit.Canary("pw")

	tests := []struct {
		name     string
		server   socksConfig
		scheme   string
		user, pw string
		addr     string
		wantErr  error // nil: the tunnel works
		wantAtyp byte
		wantHost string
	}{
		{"socks5 address", socksConfig{}, "socks5", "", "", addr, nil, 1, "127.0.0.1"},
		{"socks5 resolves locally", socksConfig{}, "socks5", "", "", byName, nil, 1, "127.0.0.1"},
		{"socks5h sends the name", socksConfig{}, "socks5h", "", "", byName, nil, 3, "localhost"},
		{"socks5h address", socksConfig{}, "socks5h", "", "", addr, nil, 1, "127.0.0.1"},
		{"ipv6 literal", socksConfig{reply: 4}, "socks5h", "", "", "[::1]:" + port, proxy.ErrProxyRefused, 4, "::1"},
		{"user and password", socksConfig{user: "u", password: secret}, "socks5h", "u", secret, byName, nil, 3, "localhost"},
		{"wrong password", socksConfig{user: "u", password: secret}, "socks5h", "u", "wrong", byName, proxy.ErrProxyAuth, 0, ""},
		{"credentials needed", socksConfig{user: "u", password: secret}, "socks5", "", "", addr, proxy.ErrProxyAuth, 0, ""},
		{"credentials offered, none needed", socksConfig{}, "socks5", "u", "pw", addr, nil, 1, "127.0.0.1"},
		{"host unreachable", socksConfig{reply: 4}, "socks5h", "", "", byName, proxy.ErrProxyRefused, 3, "localhost"},
		{"not allowed", socksConfig{reply: 2}, "socks5", "", "", addr, proxy.ErrProxyRefused, 1, "127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startSOCKS(t, &socksServer{socksConfig: tt.server})
			c, err := proxy.Dial(t.Context(), s.url(tt.scheme, tt.user, tt.pw), tt.addr, testkit.NewGuard(t).DialContext, nil)
			if tt.wantErr != nil {
				var pe *proxy.ProxyError
				if !errors.Is(err, tt.wantErr) || !errors.As(err, &pe) {
					t.Fatalf("Dial = %v, want a *ProxyError matching %v", err, tt.wantErr)
				}
				if tt.pw != "" && (strings.Contains(err.Error(), tt.pw) || strings.Contains(err.Error(), secret)) {
					t.Errorf("error %q shows the password", err)
				}
			} else {
				if err != nil {
					t.Fatalf("Dial: %v", err)
				}
				if code, body := roundTrip(t, c, tt.addr, "/hello"); code != 200 || body != "Hello World" {
					t.Errorf("GET /hello through SOCKS5 = %d %q, want 200 \"Hello World\"", code, body)
				}
				c.Close()
			}
			recs := s.records()
			if len(recs) != 1 {
				t.Fatalf("SOCKS5 server saw %d handshakes, want 1", len(recs))
			}
			r := recs[0]
			if r.Atyp != tt.wantAtyp || r.Host != tt.wantHost || (tt.wantAtyp != 0 && strconv.Itoa(r.Port) != port) {
				t.Errorf("SOCKS5 request = atyp %d host %q port %d, want atyp %d host %q port %s", r.Atyp, r.Host, r.Port, tt.wantAtyp, tt.wantHost, port)
			}
			wantMethods := "\x00"
			if tt.user != "" {
				wantMethods = "\x00\x02"
			}
			if string(r.Methods) != wantMethods {
				t.Errorf("methods offered = %q, want %q", r.Methods, wantMethods)
			}
			if tt.server.user != "" && tt.user != "" && (r.User != tt.user || r.Password != tt.pw) {
				t.Errorf("credentials sent = %q %q, want %q %q", r.User, r.Password, tt.user, tt.pw)
			}
		})
	}
}

// TestClientSOCKS5: net/http's transport with a socks5h Selector, and
// with a socks5 Dialer as its DialContext (local resolution).
func TestClientSOCKS5(t *testing.T) {
	rec := &testkit.Recorder{}
	urls, pool := origins(t, rec, "origin")
	_, port, _ := net.SplitHostPort(hostOf(urls["origin"]))
	target := "http://localhost:" + port + "/hello"
	secret := testkit.Canary("pw")
	g := testkit.NewGuard(t)

	s := startSOCKS(t, &socksServer{socksConfig: socksConfig{user: "u", password: secret}})
	sel, _ := proxy.New(map[string]string{"all": s.url("socks5h", "u", secret).String()}, "")
	c, _ := client(t, g, pool, sel.Proxy)
	if code, body := get(t, c, target, nil); code != 200 || body != "Hello World" {
		t.Errorf("GET %s through socks5h = %d %q", target, code, body)
	}
	if r := s.records(); len(r) != 1 || r[0].Host != "localhost" || r[0].Password != secret {
		t.Errorf("SOCKS5 server saw %+v, want the name localhost and the password", r)
	}

	s2 := startSOCKS(t, &socksServer{})
	d := &proxy.Dialer{Proxy: s2.url("socks5", "", ""), Dial: g.DialContext}
	tr := &http.Transport{DialContext: d.DialContext}
	t.Cleanup(tr.CloseIdleConnections)
	if code, body := get(t, &http.Client{Transport: tr}, target, nil); code != 200 || body != "Hello World" {
		t.Errorf("GET %s through socks5 = %d %q", target, code, body)
	}
	if r := s2.records(); len(r) != 1 || r[0].Atyp != 1 || r[0].Host != "127.0.0.1" {
		t.Errorf("SOCKS5 server saw %+v, want the address 127.0.0.1 resolved by the client", r)
	}
	if leaks := originLeaks(rec, secret); len(leaks) > 0 {
		t.Errorf("SOCKS5 password reached the origin: %v", leaks)
	}
}
