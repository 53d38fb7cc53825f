package download

import (
	"mime"
	"net/url"
	"path"
	"runtime"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/grabhq/grab/internal/httpsyntax"
)

// MaxNameBytes caps the length of a file name download chooses, in bytes
// of UTF-8: 255 (the limit of most file systems) less room for the
// ".part.json.new" of the sidecar being replaced and a " (9999)" collision
// number.
const MaxNameBytes = 255 - len(".part.json.new") - len(" (9999)")

// DefaultName is the name of a file whose URL path names none (a trailing
// slash, a query only, a name made only of unsafe characters).
const DefaultName = "index.html"

// NameFromURL returns the file name for rawURL: its last path segment,
// percent-decoded, made safe by [SafeName] with Windows rules when portable
// is set. A URL without a usable name gives [DefaultName].
func NameFromURL(rawURL string, portable bool) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return DefaultName
	}
	return nameFromURL(u, portable)
}

// nameFromURL is NameFromURL for a URL already parsed.
func nameFromURL(u *url.URL, portable bool) string {
	p := u.EscapedPath()
	seg := p[strings.LastIndexByte(p, '/')+1:]
	if dec, err := url.PathUnescape(seg); err == nil {
		seg = dec
	}
	if name := SafeName(seg, portable); name != "" {
		return name
	}
	return DefaultName
}

// NameFromDisposition returns the file name a Content-Disposition field
// value gives, made safe by [SafeName], or "" when it names nothing usable:
// the caller then falls back to the URL's name. filename* (RFC 8187, in
// UTF-8 or ISO-8859-1; RFC 2231 continuations included) is preferred to
// filename, which is used when filename* gives no usable name; its bytes
// are UTF-8 when valid, else ISO-8859-1, as HTTP reads obs-text. As browsers
// and curl -J do, a value the strict grammar refuses is still read: an
// unquoted filename runs to the next ';' (spaces and raw UTF-8 included);
// continuations (filename*0, filename*1) need a value the strict grammar
// reads. A value that gives filename or filename* twice is not trusted.
func NameFromDisposition(value string, portable bool) string {
	if value == "" {
		return ""
	}
	p, ok := dispositionParams(value)
	if !ok {
		return "" // duplicate parameters: not trusted
	}
	plain := headerText(p.plain)
	if p.hasStar {
		if name := SafeName(decodeExtValue(p.star), portable); name != "" {
			return name
		}
		return SafeName(plain, portable) // as browsers fall back
	}
	if _, params, err := mime.ParseMediaType(value); err == nil && params["filename"] != "" {
		return SafeName(headerText(params["filename"]), portable) // RFC 2231 continuations
	}
	return SafeName(plain, portable)
}

// headerText reads s, a field's bytes, as UTF-8 when it is valid UTF-8,
// else as ISO-8859-1, as HTTP reads obs-text and CPython's http.client
// decodes a header ("caf\xe9.txt" is "café.txt"): the invalid bytes
// would otherwise be dropped from the name.
func headerText(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return latin1(s)
}

// latin1 decodes s as ISO-8859-1: each byte is the rune of its value.
func latin1(s string) string {
	b := make([]rune, 0, len(s))
	for i := 0; i < len(s); i++ {
		b = append(b, rune(s[i]))
	}
	return string(b)
}

// disposition holds the filename parameters of a Content-Disposition value.
type disposition struct {
	plain   string // filename, unquoted
	star    string // filename*, as sent
	hasStar bool
}

// dispositionParams reads value's parameters leniently: they are split at
// the semicolons outside quoted strings, names compared without case. It
// reports false when filename or filename* is given twice.
func dispositionParams(value string) (disposition, bool) {
	var d disposition
	var seenPlain bool
	typ, rest, _ := strings.Cut(value, ";")
	if strings.Contains(typ, "=") { // no type, only parameters
		rest = value
	}
	for rest != "" {
		// The parameter's name ends at its '=', unless a ';' comes first:
		// looking no further than either keeps the whole value linear.
		i := strings.IndexAny(rest, ";=")
		if i < 0 {
			break // a last parameter without '='
		}
		if rest[i] == ';' { // a parameter without '='
			rest = rest[i+1:]
			continue
		}
		name := strings.ToLower(strings.TrimSpace(rest[:i]))
		v := strings.TrimLeft(rest[i+1:], " \t")
		var val string
		if strings.HasPrefix(v, `"`) {
			var end int
			val, end = httpsyntax.Quoted(v, 0)
			v = v[end:]
			_, rest, _ = strings.Cut(v, ";")
		} else {
			val, rest, _ = strings.Cut(v, ";")
			val = strings.TrimSpace(val)
		}
		switch name {
		case "filename":
			if seenPlain {
				return d, false
			}
			d.plain, seenPlain = val, true
		case "filename*":
			if d.hasStar {
				return d, false
			}
			d.star, d.hasStar = val, true
		}
	}
	return d, true
}

// decodeExtValue decodes an RFC 8187 ext-value, charset'language'%XX...,
// in UTF-8 (or US-ASCII) or ISO-8859-1; "" for another charset or a bad
// escape.
func decodeExtValue(v string) string {
	charset, rest, ok := strings.Cut(v, "'")
	if !ok {
		return ""
	}
	_, enc, ok := strings.Cut(rest, "'")
	if !ok {
		return ""
	}
	raw, err := url.PathUnescape(enc)
	if err != nil {
		return ""
	}
	switch strings.ToLower(charset) {
	case "utf-8", "us-ascii":
		return raw
	case "iso-8859-1", "latin1":
		return latin1(raw)
	}
	return ""
}

// SafeName maps a name a server or a URL gives to a single safe path
// element, or "" when nothing usable is left:
//
//   - only what follows the last '/' or '\' is kept (no directories, so no
//     "..", no absolute path, no drive);
//   - invalid UTF-8, control characters (C0, DEL, C1), bidirectional
//     controls (U+202A to U+202E, U+2066 to U+2069, U+200E, U+200F, U+061C)
//     and zero-width characters (U+200B to U+200D, U+2060, U+FEFF) are
//     dropped, and the result is put in Unicode NFC;
//   - spaces and dots at the end are removed; dots at the start become
//     '_' (no hidden files, no "." or ".."), as does a leading '-' (no
//     name a shell command would read as an option);
//   - names longer than [MaxNameBytes] are cut at a character boundary,
//     keeping an extension of up to 16 bytes;
//   - with portable set, or on Windows, the characters Windows refuses
//     (< > : " | ? *) become '_', and the reserved device names (CON,
//     PRN, AUX, NUL, COM1 to COM9, LPT1 to LPT9, their superscript-digit
//     forms, CONIN$, CONOUT$), with or without an extension, get a '_'
//     in front.
//
// The mapping is deterministic, and SafeName(SafeName(s)) == SafeName(s).
func SafeName(s string, portable bool) string {
	portable = portable || runtime.GOOS == "windows"
	if i := strings.LastIndexAny(s, `/\`); i >= 0 {
		s = s[i+1:]
	}
	var b strings.Builder
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		s = s[size:]
		switch {
		case r == utf8.RuneError && size <= 1:
			continue
		case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0:
			continue
		case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
			continue
		case r >= 0x200b && r <= 0x200d, r == 0x2060, r == 0xfeff:
			continue
		case portable && strings.ContainsRune(`<>:"|?*`, r):
			b.WriteByte('_')
		default:
			b.WriteRune(r)
		}
	}
	name := norm.NFC.String(b.String())
	name = strings.TrimRightFunc(name, func(r rune) bool { return r == '.' || unicode.IsSpace(r) })
	if name == "" {
		return ""
	}
	if lead := len(name) - len(strings.TrimLeft(name, ".")); lead > 0 {
		name = strings.Repeat("_", lead) + name[lead:]
	}
	if name[0] == '-' {
		name = "_" + name[1:]
	}
	if len(name) > MaxNameBytes {
		name = truncateName(name)
	}
	if portable && reservedWindows(name) {
		name = "_" + name
		if len(name) > MaxNameBytes {
			name = truncateName(name)
		}
	}
	return name
}

// truncateName cuts name to MaxNameBytes at a character boundary, keeping
// a short extension.
func truncateName(name string) string {
	ext := shortExt(name)
	stem := name[:len(name)-len(ext)]
	limit := MaxNameBytes - len(ext)
	for len(stem) > limit {
		_, size := utf8.DecodeLastRuneInString(stem)
		stem = stem[:len(stem)-size]
	}
	stem = strings.TrimRightFunc(stem, func(r rune) bool { return r == '.' || unicode.IsSpace(r) })
	if stem == "" {
		stem = "_"
	}
	return stem + ext
}

// reservedWindows reports a name Windows takes for a device, whatever its
// extension and case.
func reservedWindows(name string) bool {
	base, _, _ := strings.Cut(name, ".")
	base = strings.ToUpper(strings.TrimRight(base, " "))
	switch base {
	case "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$":
		return true
	}
	if len(base) >= 4 && (strings.HasPrefix(base, "COM") || strings.HasPrefix(base, "LPT")) {
		switch base[3:] {
		case "1", "2", "3", "4", "5", "6", "7", "8", "9", "¹", "²", "³":
			return true
		}
	}
	return false
}

// numbered returns name with " (n)" before its extension: "a (1).png".
func numbered(name string, n int) string {
	ext := shortExt(name)
	return name[:len(name)-len(ext)] + " (" + strconv.Itoa(n) + ")" + ext
}

// shortExt returns name's extension when it is one to keep: at most 16
// bytes and not the whole name (".bashrc" has none).
func shortExt(name string) string {
	if ext := path.Ext(name); len(ext) <= 16 && len(ext) < len(name) {
		return ext
	}
	return ""
}
