package parse

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"

	"github.com/grabhq/grab/internal/urlpath"
	"github.com/grabhq/grab/internal/webhost"
	"github.com/grabhq/grab/urlx"
)

// maxDirCache bounds the directories a resolver remembers.
const maxDirCache = 4096

// resolver turns the references of one page into the absolute URLs a
// browser requests: resolved with urlx.Join against the document base URL,
// then normalised as the WHATWG URL parser does for http and https (scheme
// and host lower-cased, IDNA host, IP hosts canonical, default port
// dropped, dot segments removed, the characters a browser escapes
// percent-encoded, the fragment dropped).
type resolver struct {
	base     string            // document base URL; "" when there is none
	httpBase bool              // base is http(s), so relative references resolve
	enc      encoding.Encoding // query encoding; nil means UTF-8
	keepData bool

	// dirs maps the directory part of a reference ("../img/") to the
	// normalised absolute URL it resolves to, so that most references cost
	// a map lookup and a concatenation instead of a full resolution.
	dirs map[string]dirEntry
}

type dirEntry struct {
	prefix string // the absolute URL of the directory
	fast   bool   // false: the directory needs the slow path
	same   bool   // prefix is the directory as written
}

// ErrZone reports a page URL whose IPv6 host has a zone
// ("http://[fe80::1%25eth0]/"): the WHATWG URL parser refuses one, as
// browsers do, so no reference of the page could resolve against it. Give
// "" as the page URL to keep the page's absolute references alone.
var ErrZone = errors.New("an IPv6 zone (%25...) in the page URL: the WHATWG URL parser refuses it, so references cannot resolve against it")

// CheckPageURL returns the error Images and Links return for pageURL as a
// page URL, before any page is read: one that is not absolute, has a bad
// port, or (http or https) an IPv6 zone (ErrZone). "" is no error.
func CheckPageURL(pageURL string) error {
	if pageURL == "" {
		return nil
	}
	r, err := urlx.Split(pageURL)
	if err != nil {
		return fmt.Errorf("parse: page URL: %w", err)
	}
	if r.Scheme == "" {
		return fmt.Errorf("parse: page URL %q is not absolute: it has no scheme", clip(pageURL))
	}
	if _, _, err := r.Port(); err != nil {
		return fmt.Errorf("parse: page URL: %w", err)
	}
	if s := strings.ToLower(r.Scheme); s == "http" || s == "https" {
		if host, err := r.ASCIIHostname(); err == nil && strings.IndexByte(host, ':') >= 0 && strings.IndexByte(host, '%') >= 0 {
			return fmt.Errorf("parse: page URL %q: %w", clip(pageURL), ErrZone)
		}
	}
	return nil
}

// newResolver makes the resolver of a page fetched from pageURL (already
// checked by CheckPageURL) whose first <base href> is baseHref ("" if
// none), for queries in the encoding o.Charset names.
func newResolver(pageURL, baseHref string, o *Options) *resolver {
	r := &resolver{keepData: o.KeepData, dirs: make(map[string]dirEntry)}
	if o.Charset != "" {
		// htmlindex, not x/net/html/charset, whose encoders write what
		// they cannot encode as "&#N;" unescaped; escape writes it.
		if e, err := htmlindex.Get(o.Charset); err == nil {
			// A UTF-16 page's URLs are encoded as UTF-8, as browsers do.
			if name, _ := htmlindex.Name(e); name != "utf-8" && !strings.HasPrefix(name, "utf-16") {
				r.enc = e
			}
		}
	}
	fallback := pageURL
	if u, ok := r.normalize(pageURL); ok {
		fallback = u
	}
	r.base = fallback
	if b := cleanRef(trimSpace(baseHref)); b != "" {
		if j, err := urlx.Join(fallback, b); err == nil && j != "" && schemeOf(j) != "" {
			u, ok := r.normalize(j)
			switch {
			case ok:
				r.base = u
			case schemeOf(j) != "http" && schemeOf(j) != "https":
				r.base = j // another scheme: relative references resolve to nothing, as documented
			}
			// An http(s) base that does not parse ("http://exa mple.com/",
			// a port past 65535) fails the base URL algorithm: a browser
			// keeps the page's URL as the base.
		}
	}
	s := schemeOf(r.base)
	r.httpBase = s == "http" || s == "https"
	return r
}

// resolve returns the absolute URL of the reference raw, and false when a
// browser would not request it over http(s) (or it is a data: URI left
// out).
func (r *resolver) resolve(raw string) (string, bool) {
	return r.resolveIn(raw, nil)
}

// resolveIn is resolve writing the URLs the directory cache makes into a
// (nil: their own strings). A reference already written as the browser
// requests it is its own URL.
func (r *resolver) resolveIn(raw string, a *strArena) (string, bool) {
	s := trimSpace(raw)
	if s == "" || s[0] == '#' {
		return "", false
	}
	e, rest, done := r.fast(s)
	switch {
	case !done:
		return r.slow(s)
	case e.same:
		return s, true
	case a != nil:
		return a.concat(e.prefix, rest), true
	}
	return e.prefix + rest, true
}

// fast finds the cached resolution of the directory of s, when s is made
// of characters no step of the resolution changes: s resolves to the
// entry's prefix followed by rest. done is false when s needs the slow
// path.
func (r *resolver) fast(s string) (e dirEntry, rest string, done bool) {
	q, slash := len(s), -1 // the first "?" and the last "/" before it
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !fastChar[c] {
			return dirEntry{}, "", false
		}
		if q == len(s) {
			switch c {
			case '/':
				slash = i
			case '?':
				q = i
			}
		}
	}
	dir, last := s[:slash+1], s[slash+1:q]
	switch {
	case q == len(s)-1: // an empty query: the resolvers disagree on it
		return dirEntry{}, "", false
	case dir == "" && (last == "" || strings.IndexByte(last, ':') >= 0): // no path, or maybe a scheme
		return dirEntry{}, "", false
	case isDot(last) != 0:
		return dirEntry{}, "", false
	}
	e, cached := r.dirs[dir]
	if !cached {
		e = r.resolveDir(dir)
		if len(r.dirs) < maxDirCache {
			r.dirs[dir] = e
		}
	}
	if !e.fast {
		return dirEntry{}, "", false
	}
	return e, s[slash+1:], true
}

// resolveDir resolves a directory part by resolving a file in it.
func (r *resolver) resolveDir(dir string) dirEntry {
	u, ok := r.slow(dir + "x")
	if !ok {
		return dirEntry{}
	}
	if !strings.HasSuffix(u, "/x") {
		return dirEntry{}
	}
	prefix := u[:len(u)-1]
	return dirEntry{prefix: prefix, fast: true, same: prefix == dir}
}

// slow resolves s (trimmed, not empty) with urlx.Join and normalises the
// result.
func (r *resolver) slow(s string) (string, bool) {
	s = cleanRef(s)
	switch schemeOf(s) {
	case "":
		if !r.httpBase {
			return "", false
		}
	case "http", "https":
	case "data":
		if r.keepData {
			return s, true
		}
		return "", false
	default:
		return "", false // javascript:, file:, mailto:, ...
	}
	j, err := urlx.Join(r.base, s)
	if err != nil {
		return "", false
	}
	return r.normalize(j)
}

// normalize returns the http(s) URL u as a browser requests it.
func (r *resolver) normalize(u string) (_ string, ok bool) {
	sr, err := urlx.Split(u)
	if err != nil {
		return "", false
	}
	scheme := strings.ToLower(sr.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", false
	}
	host, err := sr.ASCIIHostname()
	if err != nil || !validHost(host) {
		return "", false
	}
	if host, ok = webhost.Canon(host); !ok {
		return "", false
	}
	port, hasPort, err := sr.Port()
	if err != nil {
		return "", false
	}
	var b strings.Builder
	b.Grow(len(u) + 8)
	b.WriteString(scheme)
	b.WriteString("://")
	if at := strings.LastIndexByte(sr.Netloc, '@'); at >= 0 {
		b.WriteString(sr.Netloc[:at+1])
	}
	b.WriteString(host)
	if hasPort && !(scheme == "http" && port == 80 || scheme == "https" && port == 443) {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(port))
	}
	path := removeDots(sr.Path)
	if path == "" || path[0] != '/' {
		path = "/" + path
	}
	escape(&b, path, pathEscape, nil)
	if sr.Query != "" {
		b.WriteByte('?')
		escape(&b, sr.Query, queryEscape, r.enc)
	}
	return b.String(), true
}

// validHost reports whether host (in its ASCII form) is a name or address
// a client can look up: letters, digits, "-", "." and "_", or an IPv6
// address. WHATWG lets a few more characters through (such as '"' and
// "{"), which no DNS name holds; a URL with them is left out.
func validHost(host string) bool {
	if host == "" {
		return false
	}
	ipv6 := strings.IndexByte(host, ':') >= 0
	for i := 0; i < len(host); i++ {
		c := host[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '.', c == '_':
		case ipv6 && c == ':':
		default:
			return false
		}
	}
	return true
}

// Sets of bytes: those no step of resolution changes, and those a browser
// percent-encodes in the path and in the query of an http(s) URL.
var (
	fastChar = byteSet(func(c byte) bool {
		return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("-._~!$&()*+,=:@/%?", c) >= 0
	})
	pathEscape  = byteSet(func(c byte) bool { return c <= 0x20 || c >= 0x7f || strings.IndexByte("\"#<>?`{}", c) >= 0 })
	queryEscape = byteSet(func(c byte) bool { return c <= 0x20 || c >= 0x7f || strings.IndexByte("\"#<>'", c) >= 0 })
)

func byteSet(in func(c byte) bool) *[256]bool {
	var s [256]bool
	for c := range 256 {
		s[c] = in(byte(c))
	}
	return &s
}

// escape writes s to b with the bytes of set percent-encoded. Non-ASCII
// text is encoded with enc first when enc is not nil; a character enc
// cannot encode becomes "%26%23" its decimal code point "%3B", an HTML
// numeric character reference percent-encoded whole, as the WHATWG URL
// parser's "percent-encode after encoding" writes it.
func escape(b *strings.Builder, s string, set *[256]bool, enc encoding.Encoding) {
	for i := 0; i < len(s); {
		c := s[i]
		if !set[c] {
			b.WriteByte(c)
			i++
			continue
		}
		if c >= 0x80 && enc != nil {
			j := i
			for j < len(s) && s[j] >= 0x80 {
				j++
			}
			escapeEncoded(b, s[i:j], set, enc)
			i = j
			continue
		}
		percent(b, c)
		i++
	}
}

// escapeEncoded writes the non-ASCII run s encoded with enc, the bytes
// of set percent-encoded, a character at a time when the run as a whole
// does not encode.
func escapeEncoded(b *strings.Builder, s string, set *[256]bool, enc encoding.Encoding) {
	en := enc.NewEncoder() // String resets it each time
	out, err := en.String(s)
	if err == nil {
		writeEncoded(b, out, set)
		return
	}
	// Encode the runs of characters that encode, each run at once, so
	// that a stateful encoding (ISO-2022-JP) switches once a run, as a
	// browser's does.
	flush := func(run string) {
		out, _ := en.String(run) // each character of run encodes
		writeEncoded(b, out, set)
	}
	start := 0
	for i, r := range s {
		if _, err := en.String(string(r)); err == nil {
			continue
		}
		flush(s[start:i])
		b.WriteString("%26%23")
		b.WriteString(strconv.Itoa(int(r)))
		b.WriteString("%3B")
		start = i + utf8.RuneLen(r)
	}
	flush(s[start:])
}

// writeEncoded writes the encoded bytes out, those of set and those
// outside ASCII percent-encoded.
func writeEncoded(b *strings.Builder, out string, set *[256]bool) {
	for k := 0; k < len(out); k++ {
		if o := out[k]; o < 0x80 && !set[o] {
			b.WriteByte(o)
		} else {
			percent(b, o)
		}
	}
}

// percent writes c to b as %XX.
func percent(b *strings.Builder, c byte) {
	const hex = "0123456789ABCDEF"
	b.WriteByte('%')
	b.WriteByte(hex[c>>4])
	b.WriteByte(hex[c&15])
}

// isDot reports whether a path segment is "." (1) or ".." (2), percent-
// encoded dots included, as the WHATWG URL parser reads them; 0 otherwise.
func isDot(seg string) int {
	if len(seg) > 6 || len(seg) == 0 {
		return 0
	}
	switch strings.ToLower(seg) {
	case ".", "%2e":
		return 1
	case "..", ".%2e", "%2e.", "%2e%2e":
		return 2
	}
	return 0
}

// removeDots removes the dot segments of an absolute path.
func removeDots(p string) string {
	if !strings.Contains(p, "/.") && !strings.Contains(p, "/%2") {
		return p
	}
	segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
	out := make([]string, 0, len(segs))
	for i, s := range segs {
		last := i == len(segs)-1
		switch isDot(s) {
		case 1:
			if last {
				out = append(out, "")
			}
		case 2:
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, s)
		}
	}
	return "/" + strings.Join(out, "/")
}

// refKey is what tells two raw references apart when counting distinct
// ones: the reference without its fragment, as URLs are reported; a data:
// URI whole, as it is reported ("#" may be part of its data).
func refKey(raw string) string {
	if schemeOf(strings.TrimLeft(raw, " \t\n\f\r")) == "data" {
		return raw
	}
	key, _, _ := strings.Cut(raw, "#")
	return key
}

// trimSpace strips what the URL parser strips from both ends of a URL: C0
// controls and spaces.
func trimSpace[T string | []byte](s T) T {
	i, j := 0, len(s)
	for i < j && s[i] <= ' ' {
		i++
	}
	for j > i && s[j-1] <= ' ' {
		j--
	}
	return s[i:j]
}

// cleanRef removes tabs and newlines anywhere, as the URL parser does, and
// for a reference without a scheme or with http(s) turns backslashes before
// the query or fragment into slashes, as browsers read special URLs.
func cleanRef(s string) string {
	if strings.ContainsAny(s, "\t\n\r") {
		s = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(s)
	}
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	switch schemeOf(s) {
	case "", "http", "https":
	default:
		return s
	}
	end := strings.IndexAny(s, "?#")
	if end < 0 {
		end = len(s)
	}
	return strings.ReplaceAll(s[:end], "\\", "/") + s[end:]
}

// schemeOf returns the lower-cased scheme of s, or "" when s has none.
func schemeOf(s string) string {
	if scheme, _, ok := strings.Cut(s, ":"); ok && urlpath.IsScheme(scheme) {
		return strings.ToLower(scheme)
	}
	return ""
}

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}
