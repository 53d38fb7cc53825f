package crawl_test

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// fakeDNS starts a DNS server on loopback UDP answering A queries from
// names (lower case, no final dot), and def for any other name; AAAA
// queries get no answer. It returns a Go resolver that asks only it, so a
// test never asks the real DNS.
func fakeDNS(t *testing.T, names map[string]netip.Addr, def netip.Addr) *net.Resolver {
	t.Helper()
	return fakeDNSFunc(t, func(name string) netip.Addr {
		if ip, ok := names[name]; ok {
			return ip
		}
		return def
	})
}

// fakeDNSFunc is fakeDNS answering each A query for name (lower case, no
// final dot) with answer(name), called once a query, with TTL 0.
func fakeDNSFunc(t *testing.T, answer func(name string) netip.Addr) *net.Resolver {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { pc.Close(); <-done })
	go func() {
		defer close(done)
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			var p dnsmessage.Parser
			h, err := p.Start(buf[:n])
			if err != nil {
				continue
			}
			q, err := p.Question()
			if err != nil {
				continue
			}
			b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true})
			b.EnableCompression()
			b.StartQuestions()
			b.Question(q)
			b.StartAnswers()
			if q.Type == dnsmessage.TypeA {
				ip := answer(strings.TrimSuffix(strings.ToLower(q.Name.String()), "."))
				b.AResource(dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 0}, dnsmessage.AResource{A: ip.As4()})
			}
			if msg, err := b.Finish(); err == nil {
				pc.WriteTo(msg, from)
			}
		}
	}()
	addr := pc.LocalAddr().String()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", addr)
	}}
}
