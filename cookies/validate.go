package cookies

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// checkNameValue checks a cookie's name and value, whether a server, a
// program or a jar file gave them (HOSTILE.md D6): the name is a non-empty
// token (RFC 9110), the value holds printable ASCII other than '"', ';'
// and '\' (what net/http sends unchanged; quotes around it are the
// Quoted flag), and the two together are at most MaxCookieBytes long.
// Control characters, CR, LF, TAB, NUL and bytes over 0x7e are refused,
// never stripped.
func checkNameValue(name, value string) error {
	if name == "" {
		return errors.New("empty cookie name")
	}
	if len(name)+len(value) > MaxCookieBytes {
		return fmt.Errorf("name and value are %d bytes, more than %d", len(name)+len(value), MaxCookieBytes)
	}
	for i := 0; i < len(name); i++ {
		if !httpguts.IsTokenRune(rune(name[i])) {
			return fmt.Errorf("invalid byte %#02x in cookie name at offset %d", name[i], i)
		}
	}
	for i := 0; i < len(value); i++ {
		if !isValueByte(value[i]) {
			return fmt.Errorf("invalid byte %#02x in cookie value at offset %d", value[i], i)
		}
	}
	return nil
}

func isValueByte(c byte) bool {
	return 0x20 <= c && c < 0x7f && c != '"' && c != ';' && c != '\\'
}

// checkPath checks a cookie path: it starts with "/", is at most
// MaxAttrBytes long and holds printable ASCII only.
func checkPath(p string) error {
	if p == "" || p[0] != '/' {
		return fmt.Errorf("path %q does not start with /", clip(p))
	}
	if len(p) > MaxAttrBytes {
		return fmt.Errorf("path is %d bytes, more than %d", len(p), MaxAttrBytes)
	}
	for i := 0; i < len(p); i++ {
		if p[i] < 0x20 || p[i] >= 0x7f {
			return fmt.Errorf("invalid byte %#02x in path at offset %d", p[i], i)
		}
	}
	return nil
}

// checkPrefix applies the cookie name prefixes of RFC 6265bis §4.1.3,
// matched without regard to case as browsers do: a "__Secure-" cookie
// must be Secure; a "__Host-" cookie must be Secure, have no Domain
// attribute and have the Path attribute "/" (HOSTILE.md D4). That the
// origin was secure is checked with Secure itself.
func checkPrefix(name string, secure, hasDomain bool, path string) error {
	switch {
	case hasPrefixFold(name, "__Secure-") && !secure:
		return fmt.Errorf("%q without Secure", name)
	case hasPrefixFold(name, "__Host-") && (!secure || hasDomain || path != "/"):
		return fmt.Errorf("%q needs Secure, Path=/ and no Domain", name)
	}
	return nil
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// clip shortens s for an error message.
func clip(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
