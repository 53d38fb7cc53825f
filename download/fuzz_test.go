package download

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// checkName reports what makes name unsafe, or "".
func checkName(name string, portable bool) string {
	switch {
	case name == "":
		return ""
	case !utf8.ValidString(name):
		return "invalid UTF-8"
	case len(name) > MaxNameBytes:
		return "too long"
	case strings.ContainsAny(name, `/\`):
		return "a separator"
	case name == "." || name == "..", name[0] == '.', name[0] == '-':
		return "a leading dot or dash"
	case strings.HasSuffix(name, ".") || strings.HasSuffix(name, " "):
		return "a trailing dot or space"
	case portable && (strings.ContainsAny(name, `<>:"|?*`) || reservedWindows(name)):
		return "not portable"
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || (r >= 0x202a && r <= 0x202e) || (r >= 0x200b && r <= 0x200f) {
			return "a control character"
		}
	}
	return ""
}

// FuzzSafeName checks HOSTILE.md §5.6's properties of a name from a URL or a
// Content-Disposition: local, a single element, at most MaxNameBytes, not
// reserved, no control characters, and stable.
func FuzzSafeName(f *testing.F) {
	for _, s := range []string{"a.png", "../../.bashrc", `a\..\..\win.ini`, "/etc/cron.d/x", "C:evil", "CON", "com¹.txt", "aux.txt",
		"name. ", "-rf", "evil\u202egpj.exe", "zero\u200bwidth", "\x1b[2J", strings.Repeat("é", 200) + ".tar.gz", "e\u0301", "..", ".", "",
		`attachment; filename=a b; filename*=iso-8859-1''%E9`, `filename="x;y`, `a; b; filename*=UTF-8'en'%2e%2e`} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, portable bool) {
		name := SafeName(s, portable)
		if msg := checkName(name, portable); msg != "" {
			t.Fatalf("SafeName(%q, %v) = %q: %s", s, portable, name, msg)
		}
		if again := SafeName(name, portable); again != name {
			t.Fatalf("SafeName(SafeName(%q)) = %q, want %q", s, again, name)
		}
		cd := NameFromDisposition("attachment; filename*=UTF-8''"+s, portable)
		if msg := checkName(cd, portable); msg != "" {
			t.Fatalf("NameFromDisposition(%q) = %q: %s", s, cd, msg)
		}
		if raw := NameFromDisposition(s, portable); checkName(raw, portable) != "" {
			t.Fatalf("NameFromDisposition(%q) = %q: %s", s, raw, checkName(raw, portable))
		}
		if u := NameFromURL("http://h/d/"+s, portable); u == "" || checkName(u, portable) != "" {
			t.Fatalf("NameFromURL(%q) = %q", s, u)
		}
	})
}

// FuzzContentRange checks the Range/Content-Range parser (HOSTILE.md §5.6):
// what it accepts is a well-formed span inside its total.
func FuzzContentRange(f *testing.F) {
	for _, s := range []string{"bytes 0-99/100", "bytes 5-9/*", "bytes 9-5/10", "bytes 0-99/50", "bytes */100", "bytes -1-5/10", "items 0-1/2", "bytes 1-2/3/4", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		first, last, total, ok := parseContentRange(s)
		if !ok {
			return
		}
		if first < 0 || last < first || (total != -1 && total <= last) {
			t.Fatalf("parseContentRange(%q) = %d, %d, %d", s, first, last, total)
		}
	})
}
