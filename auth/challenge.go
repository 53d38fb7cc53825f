package auth

import (
	"strings"

	"golang.org/x/net/http/httpguts"

	"github.com/grabhq/grab/internal/httpsyntax"
)

// Limits of ParseChallenges.
const (
	// MaxChallengeBytes caps the header text ParseChallenges reads: the
	// field values are parsed in order until their total length would
	// pass it, and the rest is ignored (HOSTILE.md U3).
	MaxChallengeBytes = 1 << 20
	// MaxChallenges caps the challenges returned.
	MaxChallenges = 64
	// MaxParams caps the auth-params kept per challenge.
	MaxParams = 64
)

// A Challenge is one challenge of a WWW-Authenticate or Proxy-Authenticate
// field (RFC 9110, section 11.6.1).
type Challenge struct {
	// Scheme is the auth-scheme as sent, such as "Basic" or "digest";
	// schemes are case-insensitive, so compare with strings.EqualFold.
	Scheme string
	// Token68 is the challenge's token68 form, if it has one (it then has
	// no Params).
	Token68 string
	// Params holds the auth-params by lower-case name, quoted strings
	// unquoted and unescaped; of a name given twice the first is kept.
	Params map[string]string
}

// Realm returns the challenge's realm parameter, "" if it has none.
func (c Challenge) Realm() string { return c.Params["realm"] }

// ParseChallenges parses the values of WWW-Authenticate or
// Proxy-Authenticate fields, as resp.Header.Values("WWW-Authenticate")
// returns them, into their challenges in order. A field may hold several
// challenges, separated by commas like their parameters:
//
//	Digest realm="a, b", nonce="x\"y", qop="auth,auth-int", Basic realm="a"
//
// The parser is lenient and linear in time: text it cannot read is
// skipped up to the next comma, parameters before any scheme are dropped,
// an unterminated quoted string ends the field. It reads at most
// MaxChallengeBytes and returns at most MaxChallenges.
func ParseChallenges(values ...string) []Challenge {
	var out []Challenge
	budget := MaxChallengeBytes
	for _, v := range values {
		if len(v) > budget || len(out) >= MaxChallenges {
			break
		}
		budget -= len(v)
		out = parseField(out, v, true)
	}
	return out
}

// parseParams parses a field of auth-params only, such as
// Authentication-Info.
func parseParams(v string) map[string]string {
	if len(v) > MaxChallengeBytes {
		return nil
	}
	out := parseField([]Challenge{{Params: map[string]string{}}}, v, false)
	return out[0].Params
}

// parseField appends the challenges of one field value s to out. With
// schemes false, every element is an auth-param of out's last challenge.
func parseField(out []Challenge, s string, schemes bool) []Challenge {
	cur := -1 // index in out of the challenge parameters go to
	if !schemes {
		cur = len(out) - 1
	}
	i := 0
	for i < len(s) {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == ',') {
			i++
		}
		if i == len(s) {
			break
		}
		start := i
		for i < len(s) && httpguts.IsTokenRune(rune(s[i])) {
			i++
		}
		if i == start {
			i = skipElement(s, i)
			continue
		}
		name := s[start:i]
		j := skipOWS(s, i)
		if isParam := j < len(s) && s[j] == '='; isParam || !schemes {
			// An auth-param: name = ( token / quoted-string ), or a bare
			// name in a list of parameters only.
			value := ""
			i = j
			if isParam {
				value, i = parseValue(s, j)
			}
			if cur >= 0 && len(out[cur].Params) < MaxParams {
				key := strings.ToLower(name)
				if _, dup := out[cur].Params[key]; !dup {
					out[cur].Params[key] = value
				}
			}
			if i = skipOWS(s, i); i < len(s) && s[i] != ',' {
				i = skipElement(s, i)
			}
			continue
		}
		// A new challenge: auth-scheme [ 1*SP ( token68 / #auth-param ) ].
		if len(out) >= MaxChallenges {
			break
		}
		out = append(out, Challenge{Scheme: name, Params: map[string]string{}})
		cur = len(out) - 1
		i = skipOWS(s, i)
		if tok, next, ok := token68(s, i); ok {
			out[cur].Token68 = tok
			i = next
			cur = -1 // a token68 challenge has no parameters
		}
	}
	return out
}

// parseValue reads the value of an auth-param after the "=" at s[j] (or
// at j == len(s)) and returns it with the index after it.
func parseValue(s string, j int) (string, int) {
	if j >= len(s) {
		return "", j
	}
	i := skipOWS(s, j+1)
	if i < len(s) && s[i] == '"' {
		return httpsyntax.Quoted(s, i)
	}
	start := i
	for i < len(s) && s[i] != ',' && s[i] != ' ' && s[i] != '\t' {
		i++
	}
	return s[start:i], i
}

// token68 reads a token68 at s[i:] if one stands there alone, up to the
// end of the field or a comma.
func token68(s string, i int) (string, int, bool) {
	start := i
	for i < len(s) && isToken68Char(s[i]) {
		i++
	}
	if i == start {
		return "", start, false
	}
	for i < len(s) && s[i] == '=' {
		i++
	}
	end := i
	if i = skipOWS(s, i); i < len(s) && s[i] != ',' {
		return "", start, false
	}
	return s[start:end], i, true
}

// skipElement skips to the next comma outside a quoted string.
func skipElement(s string, i int) int {
	for i < len(s) && s[i] != ',' {
		if s[i] == '"' {
			_, i = httpsyntax.Quoted(s, i)
			continue
		}
		i++
	}
	return i
}

func skipOWS(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}

func isToken68Char(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~+/", c) >= 0
}
