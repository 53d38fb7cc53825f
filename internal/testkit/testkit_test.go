package testkit

import (
	"fmt"
	"net"
	"strings"
	"testing"
)

// errorsTB is a testing.TB that keeps what Errorf reports.
type errorsTB struct {
	testing.TB
	errs []string
}

func (e *errorsTB) Errorf(format string, args ...any) {
	e.errs = append(e.errs, fmt.Sprintf(format, args...))
}

// TestGuard (HOSTILE.md J6): a dial to a non-loopback address fails the
// test at once, without a packet sent; loopback and aliases connect.
func TestGuard(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	tb := &errorsTB{TB: t}
	g := NewGuard(tb)
	g.Alias("Evil.Example:80", ln.Addr().String())
	for _, addr := range []string{ln.Addr().String(), "evil.example:80"} {
		c, err := g.DialContext(t.Context(), "tcp", addr)
		if err != nil {
			t.Fatalf("dial %s: %v", addr, err)
		}
		c.Close()
	}
	// 192.0.2.1 is TEST-NET-1, and no name needs a resolver: the guard
	// refuses before dialling.
	for _, addr := range []string{"192.0.2.1:80", "[2001:db8::1]:443", "unaliased.example:80"} {
		if c, err := g.DialContext(t.Context(), "tcp", addr); err == nil {
			c.Close()
			t.Errorf("dial %s: connected", addr)
		}
	}
	if len(tb.errs) != 3 || !strings.Contains(tb.errs[0], "guard: dial to non-loopback 192.0.2.1:80") {
		t.Errorf("reported %q, want the three refused dials", tb.errs)
	}
	if g.Total() != 5 || g.Dials("evil.example:80") != 1 {
		t.Errorf("Total %d, Dials(evil.example:80) %d; want 5 and 1", g.Total(), g.Dials("evil.example:80"))
	}
}
