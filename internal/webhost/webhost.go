// Package webhost reads IP address hosts as the WHATWG URL Standard (and
// so a browser) does, for the packages that must agree with a browser on
// which host a URL names: parse (the links and images of a page), crawl
// (its dedup key), cookies (which hosts are addresses) and fetch (the
// address it dials for "127.1"). A host whose
// last label is a number is an IPv4 address in any of its old spellings
// ("0x7f.1", "0177.0.0.1", "2130706433" are 127.0.0.1), or no host at
// all; an IPv6 address is written as the standard's serializer writes it.
package webhost

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
)

// EndsInNumber reports whether host's last label (after one trailing
// dot) is a number: decimal digits, or "0x" and hex digits. The WHATWG
// host parser reads such a host as an IPv4 address, whatever its other
// labels hold.
func EndsInNumber(host string) bool {
	host = strings.TrimSuffix(host, ".")
	last := host[strings.LastIndexByte(host, '.')+1:]
	if last == "" {
		return false
	}
	if _, ok := number(last); ok {
		return true
	}
	return strings.Trim(last, "0123456789") == ""
}

// ipv4 returns the dotted quad of host, a host that ends in a number:
// each label decimal, octal ("0" first) or hex ("0x" first), the last
// filling the bytes left ("0x7f.1" is 127.0.0.1). ok is false when a
// label is not a number, a number is too large, or there are more than
// four labels: the WHATWG parser fails such a URL.
func ipv4(host string) (_ string, ok bool) {
	labels := strings.Split(strings.TrimSuffix(host, "."), ".")
	if len(labels) > 4 {
		return "", false
	}
	var addr uint64
	for i, l := range labels {
		n, ok := number(l)
		switch {
		case !ok, i < len(labels)-1 && n > 255:
			return "", false
		case i < len(labels)-1:
			addr |= n << (8 * (3 - i))
		case n >= 1<<(8*(5-len(labels))):
			return "", false
		default:
			addr |= n
		}
	}
	return fmt.Sprintf("%d.%d.%d.%d", byte(addr>>24), byte(addr>>16), byte(addr>>8), byte(addr)), true
}

// IPv6 writes an IPv6 address as WHATWG's serializer does: as netip does
// (RFC 5952: lower case, the longest run of zero pieces as "::"), but an
// IPv4-mapped address in hex pieces too. A zone is kept, after '%'.
func IPv6(a netip.Addr) string {
	if a.Is4In6() {
		b := a.As16()
		s := fmt.Sprintf("::ffff:%x:%x", uint16(b[12])<<8|uint16(b[13]), uint16(b[14])<<8|uint16(b[15]))
		if z := a.Zone(); z != "" {
			s += "%" + z
		}
		return s
	}
	return a.String()
}

// Canon returns an ASCII host as a browser writes it: an IPv4 address
// (a host that ends in a number) as a dotted quad, an IPv6 address in
// brackets as IPv6 writes it, any other host as it is. ok is false for a
// host the WHATWG parser fails: one that ends in a number but is no IPv4
// address, or one with a colon that is no IPv6 address, or has a zone.
func Canon(host string) (_ string, ok bool) {
	if strings.IndexByte(host, ':') >= 0 {
		a, err := netip.ParseAddr(host)
		if err != nil || !a.Is6() || a.Zone() != "" {
			return "", false
		}
		return "[" + IPv6(a) + "]", true
	}
	if !EndsInNumber(host) {
		return host, true
	}
	return ipv4(host)
}

// number reads one label of an IPv4 host: decimal, octal with a leading
// "0", hex with a leading "0x" or "0X" (which may have no digits). A
// number too large for any label reads as math.MaxUint64.
func number(s string) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	base := 10
	switch {
	case len(s) >= 2 && (s[:2] == "0x" || s[:2] == "0X"):
		s, base = s[2:], 16
	case len(s) >= 2 && s[0] == '0':
		s, base = s[1:], 8
	}
	if s == "" {
		return 0, true
	}
	n, err := strconv.ParseUint(s, base, 64)
	switch {
	case err == nil:
		return n, true
	case errors.Is(err, strconv.ErrRange) && strings.Trim(strings.ToLower(s), "0123456789abcdef"[:base]) == "":
		return math.MaxUint64, true
	}
	return 0, false
}
