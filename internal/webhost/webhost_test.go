package webhost

import (
	"net/netip"
	"strings"
	"testing"
)

func TestCanon(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"example.com", "example.com", true},
		{"127.0.0.1", "127.0.0.1", true},
		{"0x7f.1", "127.0.0.1", true},
		{"0X7F.0.0.01", "127.0.0.1", true},
		{"0177.0.0.1.", "127.0.0.1", true},
		{"2130706433", "127.0.0.1", true},
		{"127.1", "127.0.0.1", true},
		{"1.2.65535", "1.2.255.255", true},
		{"0x", "0.0.0.0", true},
		{"4294967295", "255.255.255.255", true},
		{"4294967296", "", false},
		{"1.2.65536", "", false},
		{"256.1.1.1", "", false},
		{"1.2.3.4.5", "", false},
		{"a.1", "", false},
		{"09", "", false},
		{"1..2", "", false},
		{"99999999999999999999999", "", false},
		{"a.123x", "a.123x", true},
		{"0xg.com", "0xg.com", true},
		{"a.", "a.", true},
		{"::1", "[::1]", true},
		{"0:0::FFFF:7f00:1", "[::ffff:7f00:1]", true},
		{"::ffff:127.0.0.1", "[::ffff:7f00:1]", true},
		{"fe80::1%eth0", "", false},
		{"1:2", "", false},
	}
	for _, tt := range tests {
		got, ok := Canon(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Canon(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestEndsInNumber(t *testing.T) {
	for _, h := range []string{"127.1", "0x7f.1", "a.b.123", "1.", "0x", "09", "a.0X1F"} {
		if !EndsInNumber(h) {
			t.Errorf("EndsInNumber(%q) = false", h)
		}
	}
	for _, h := range []string{"", ".", "example.com", "1.test.com", "123.example", "0xg.com", "a..", "1.2.3x"} {
		if EndsInNumber(h) {
			t.Errorf("EndsInNumber(%q) = true", h)
		}
	}
}

func TestIPv6Zone(t *testing.T) {
	if got := IPv6(netip.MustParseAddr("::ffff:1.2.3.4%eth0")); got != "::ffff:102:304%eth0" {
		t.Errorf("IPv6 = %q", got)
	}
}

// FuzzCanon: Canon never panics; an IPv4 answer is a dotted quad netip
// reads, and reads back as itself.
func FuzzCanon(f *testing.F) {
	for _, s := range []string{"0x7f.1", "1.2.3", "::1", "a.b", "0x", "4294967296", "1.2.3.4."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := Canon(s)
		if !ok || got == s || strings.HasPrefix(got, "[") {
			return
		}
		if a, err := netip.ParseAddr(got); err != nil || !a.Is4() {
			t.Fatalf("Canon(%q) = %q, not an IPv4 address", s, got)
		}
		if again, ok := Canon(got); !ok || again != got {
			t.Errorf("Canon(%q) = %q, then %q, %v", s, got, again, ok)
		}
	})
}
