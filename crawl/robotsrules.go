package crawl

import (
	"bytes"
	"fmt"
	"iter"
	"strings"

	"github.com/grabhq/grab/internal/urlpath"
)

// Rule matching is the crawl's own: temoto/robotstxt (which picks the
// group and reads Crawl-delay) compiles a rule with "*" or "$" into an
// unanchored regexp, so "Disallow: /a/*/b" also blocks "/x?u=/a/1/b", and
// it compares escapes as written ("%7E" is not "~"). RFC 9309 §2.2.2
// anchors every rule at the start of the path.

// maxRuleBytes caps one rule (a longer one is ignored).
const maxRuleBytes = 4096

type rule struct {
	allow   bool
	pattern string // escapes normalized
}

// groupFor returns the user-agent of body's groups that applies to a
// crawler whose product token is token (lower case): token itself when a
// group names it, in any case, else "*".
func groupFor(body []byte, token string) string {
	for key, val := range fields(body) {
		if key == "user-agent" && strings.EqualFold(val, token) {
			return token
		}
	}
	return "*"
}

// fields yields the "key: value" lines of a robots.txt, the key in lower
// case and both trimmed, after a BOM; a line ends at CR or LF, a comment
// at '#'.
func fields(body []byte) iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		body := bytes.TrimPrefix(body, []byte("\ufeff"))
		for len(body) > 0 {
			var line []byte
			if i := bytes.IndexAny(body, "\r\n"); i >= 0 {
				line, body = body[:i], body[i+1:]
			} else {
				line, body = body, nil
			}
			if i := bytes.IndexByte(line, '#'); i >= 0 {
				line = line[:i]
			}
			k, v, ok := bytes.Cut(line, []byte(":"))
			if ok && !yield(strings.ToLower(strings.TrimSpace(string(k))), strings.TrimSpace(string(v))) {
				return
			}
		}
	}
}

// rulesFor returns the rules of the groups of body whose user-agent is
// agent (lower case; "*" for the default group), merged as RFC 9309 §2.2.1
// merges groups of one agent.
func rulesFor(body []byte, agent string) []rule {
	var out []rule
	var agents []string
	inAgents := false // the previous line was a user-agent line
	match := false
	for key, val := range fields(body) {
		switch key {
		case "user-agent":
			if !inAgents {
				agents = agents[:0]
			}
			agents = append(agents, strings.ToLower(val))
			inAgents = true
			match = false
			for _, a := range agents {
				if a == agent {
					match = true
				}
			}
		case "allow", "disallow":
			inAgents = false
			if match && val != "" && len(val) <= maxRuleBytes {
				out = append(out, rule{allow: key == "allow", pattern: normPattern(val)})
			}
		default:
			inAgents = false
		}
	}
	return out
}

// normPattern writes a rule as URLs are compared: bytes outside printable
// ASCII percent-encoded, escapes normalized as Normalize does.
func normPattern(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if c := p[i]; c <= ' ' || c >= 0x7f {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return urlpath.NormEscapes(b.String())
}

// allowed applies the rules to path (path and query, as requested): the
// longest matching rule wins, Allow on a tie; no match allows.
func allowed(rules []rule, path string) bool {
	best, ok := -1, true
	for _, r := range rules {
		if len(r.pattern) < best || !wildMatch(r.pattern, path) {
			continue
		}
		if len(r.pattern) > best || r.allow {
			best, ok = len(r.pattern), r.allow
		}
	}
	return ok
}

// wildMatch reports whether pattern, anchored at the start, matches path:
// "*" matches any run of bytes, a final "$" the end. It runs in time
// linear in len(path) times the number of "*".
func wildMatch(pattern, path string) bool {
	end := strings.HasSuffix(pattern, "$")
	if end {
		pattern = pattern[:len(pattern)-1]
	}
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(path, parts[0]) {
		return false
	}
	if len(parts) == 1 {
		return !end || len(path) == len(parts[0])
	}
	pos := len(parts[0])
	last := len(parts) - 1
	for _, seg := range parts[1:last] {
		i := strings.Index(path[pos:], seg)
		if i < 0 {
			return false
		}
		pos += i + len(seg)
	}
	if end {
		return len(path)-pos >= len(parts[last]) && strings.HasSuffix(path, parts[last])
	}
	return strings.Contains(path[pos:], parts[last])
}
