package urlx

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/grabhq/grab/internal/redact"
	"github.com/grabhq/grab/internal/utf8x"
)

// MaxLength is the longest URL, in bytes, that [Split], [Parse], [Join] and
// [Defrag] accept; a longer one is an error that matches [ErrTooLong].
// CPython has no limit; this one keeps hostile input (HOSTILE.md row K7) from
// costing unbounded time and memory further down. 1 MiB is half of what
// browsers keep and far more than any server accepts in a request line.
const MaxLength = 1 << 20

// tooLong is the error of op for a URL longer than MaxLength.
func tooLong(op, rawurl string) *Error {
	return &Error{op, rawurl, fmt.Errorf("URL of %d bytes is %w of %d bytes", len(rawurl), ErrTooLong, MaxLength)}
}

// ErrTooLong is matched (with [errors.Is]) by the error for a URL longer than
// [MaxLength].
var ErrTooLong = errors.New("longer than the limit")

// Error reports a URL or query that urlx cannot split or read, naming what
// was wrong and where, as in
//
//	urlx: invalid port "65536" (out of range 0-65535) in "http://h:65536/"
type Error struct {
	Op    string // the function that failed: "split", "join", "port", "parse query", ...
	Input string // the URL or query as given
	Err   error  // what was wrong
}

func (e *Error) Error() string {
	var shown string
	switch {
	case e.Op == "parse query":
		shown = redact.Query(e.Input)
	case e.Op == "port" && !cutPassword(e.Input):
		// The netloc is known: its password and the query's secrets are
		// masked, not an '@' of the path or query taken for the end of
		// a password.
		shown = maskKnownNetloc(e.Input)
	default:
		shown = redact.Parsed(e.Input, nil)
	}
	return "urlx: " + fmt.Sprint(e.Err) + " in " + quoteInput(shown) // Sprint: a zero Error says <nil>
}

// shownNetloc is netloc for an error message, its password masked as
// Error masks the input's, shortened as the input is: errors name the
// netloc they refuse.
func shownNetloc(netloc string) string {
	return quoteInput(redact.Parsed(netloc, nil))
}

func (e *Error) Unwrap() error { return e.Err }

// quoteInput quotes s for an error message, shortening a long one.
func quoteInput(s string) string {
	const keep = 200
	if len(s) <= keep {
		return strconv.Quote(s)
	}
	cut := keep
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s (%d bytes)", strconv.Quote(s[:cut]+"..."), len(s))
}

// Scheme classes, as CPython's urllib.parse defines them.
var (
	usesRelative = set("", "ftp", "http", "gopher", "nntp", "imap", "wais", "file", "https",
		"shttp", "mms", "prospero", "rtsp", "rtsps", "rtspu", "sftp", "svn", "svn+ssh", "ws", "wss")
	usesNetloc = set("", "ftp", "http", "gopher", "nntp", "telnet", "imap", "wais", "file",
		"mms", "https", "shttp", "snews", "prospero", "rtsp", "rtsps", "rtspu", "rsync", "svn",
		"svn+ssh", "sftp", "nfs", "git", "git+ssh", "ws", "wss")
	usesParams = set("", "ftp", "hdl", "prospero", "http", "imap", "https", "shttp", "rtsp",
		"rtsps", "rtspu", "sip", "sips", "mms", "sftp", "tel")
)

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// SplitResult holds the five parts of a URL that [Split] finds, as
// CPython's urlsplit returns them.
type SplitResult struct{ Scheme, Netloc, Path, Query, Fragment string }

// ParseResult holds the six parts of a URL that [Parse] finds: the parts of
// [SplitResult] with the last path segment's ";params" taken apart, as
// CPython's urlparse returns them.
type ParseResult struct{ Scheme, Netloc, Path, Params, Query, Fragment string }

// Options carries urlsplit's, urlparse's and urljoin's optional arguments.
// The zero value gives CPython's defaults, which the package-level functions
// use.
type Options struct {
	// Scheme is the scheme a URL that names none gets (urlsplit's scheme
	// argument). Leading and trailing C0 controls and spaces are stripped from
	// it, and tab, CR and LF removed, as CPython does; it is not lower-cased.
	Scheme string
	// NoFragments leaves "#" in the path or query instead of splitting off a
	// fragment (allow_fragments=False).
	NoFragments bool
}

// Split splits rawurl into scheme, netloc, path, query and fragment exactly
// as CPython 3.11's urllib.parse.urlsplit does, with the deviations listed in
// the package documentation. Percent-escapes are left as they are.
func Split(rawurl string) (SplitResult, error) { return Options{}.Split(rawurl) }

// Parse is CPython's urlparse: [Split], then for schemes that use params
// (http, https, ftp, sip, ...) the text after the first ";" of the last path
// segment becomes Params.
func Parse(rawurl string) (ParseResult, error) { return Options{}.Parse(rawurl) }

// isC0OrSpace reports whether c is stripped from the start of a URL: a C0
// control or a space, as the WHATWG URL standard and CPython do.
func isC0OrSpace(c byte) bool { return c <= ' ' }

// removeTabNewline removes every tab, CR and LF from s.
func removeTabNewline(s string) string {
	if strings.IndexAny(s, "\t\r\n") < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != '\t' && c != '\r' && c != '\n' {
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isSchemeChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '+' || c == '-' || c == '.'
}

func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// Split is [Split] with the options o.
func (o Options) Split(rawurl string) (SplitResult, error) {
	if len(rawurl) > MaxLength {
		return SplitResult{}, tooLong("split", rawurl)
	}
	// Only the start is stripped: CPython keeps trailing spaces, which some
	// applications rely on.
	url := rawurl
	for len(url) > 0 && isC0OrSpace(url[0]) {
		url = url[1:]
	}
	url = removeTabNewline(url)
	scheme := o.Scheme
	for len(scheme) > 0 && isC0OrSpace(scheme[0]) {
		scheme = scheme[1:]
	}
	for len(scheme) > 0 && isC0OrSpace(scheme[len(scheme)-1]) {
		scheme = scheme[:len(scheme)-1]
	}
	scheme = removeTabNewline(scheme)

	var r SplitResult
	if i := strings.IndexByte(url, ':'); i > 0 && isASCIILetter(url[0]) {
		ok := true
		for j := 0; j < i; j++ {
			if !isSchemeChar(url[j]) {
				ok = false
				break
			}
		}
		if ok {
			scheme, url = strings.ToLower(url[:i]), url[i+1:]
		}
	}
	r.Scheme = scheme
	if strings.HasPrefix(url, "//") {
		end := len(url)
		if i := strings.IndexAny(url[2:], "/?#"); i >= 0 {
			end = 2 + i
		}
		r.Netloc, url = url[2:end], url[end:]
		if err := checkBrackets(r.Netloc); err != nil {
			return SplitResult{}, &Error{"split", rawurl, err}
		}
	}
	if !o.NoFragments {
		if i := strings.IndexByte(url, '#'); i >= 0 {
			url, r.Fragment = url[:i], url[i+1:]
		}
	}
	if i := strings.IndexByte(url, '?'); i >= 0 {
		url, r.Query = url[:i], url[i+1:]
	}
	r.Path = url
	if err := checkNFKC(r.Netloc); err != nil {
		return SplitResult{}, &Error{"split", rawurl, err}
	}
	return r, nil
}

// Parse is [Parse] with the options o.
func (o Options) Parse(rawurl string) (ParseResult, error) {
	s, err := o.Split(rawurl)
	if err != nil {
		return ParseResult{}, err
	}
	r := ParseResult{Scheme: s.Scheme, Netloc: s.Netloc, Path: s.Path, Query: s.Query, Fragment: s.Fragment}
	if usesParams[r.Scheme] && strings.IndexByte(r.Path, ';') >= 0 {
		r.Path, r.Params = splitParams(r.Path)
	}
	return r, nil
}

// splitParams splits path at the first ";" of its last segment (or of the
// whole path when it has no "/"), as CPython's _splitparams.
func splitParams(path string) (string, string) {
	start := 0
	if j := strings.LastIndexByte(path, '/'); j >= 0 {
		start = j
	}
	i := strings.IndexByte(path[start:], ';')
	if i < 0 {
		return path, ""
	}
	i += start
	return path[:i], path[i+1:]
}

// checkBrackets validates the brackets of a netloc: they must pair up, and a
// bracketed host must be an IPv6 address (with an optional zone) or an
// IPvFuture literal. It follows CPython releases with the CVE-2025-0938 fix
// (3.11.12 and later), which 3.11.7 lacks: no text may stand before "[" or
// between "]" and the port's ":", and brackets only in the userinfo make the
// host itself subject to the check.
func checkBrackets(netloc string) error {
	open := strings.IndexByte(netloc, '[') >= 0
	closed := strings.IndexByte(netloc, ']') >= 0
	if open != closed {
		return errors.New("invalid IPv6 URL: unbalanced brackets in netloc " + shownNetloc(netloc))
	}
	if !open {
		return nil
	}
	hostport := netloc[strings.LastIndexByte(netloc, '@')+1:]
	var host string
	if before, bracketed, ok := strings.Cut(hostport, "["); ok {
		if before != "" {
			return fmt.Errorf("invalid IPv6 URL: text %q before '[' in netloc %s", before, shownNetloc(netloc))
		}
		var port string
		host, port, _ = strings.Cut(bracketed, "]")
		if port != "" && port[0] != ':' {
			return fmt.Errorf("invalid IPv6 URL: text %q after ']' in netloc %s", port, shownNetloc(netloc))
		}
	} else {
		host, _, _ = strings.Cut(hostport, ":")
	}
	if err := checkBracketedHost(host); err != nil {
		return fmt.Errorf("invalid bracketed host %q in netloc %s: %w", host, shownNetloc(netloc), err)
	}
	return nil
}

// checkBracketedHost accepts what may stand between "[" and "]": an
// IPvFuture literal ("v" hex-digits "." anything) or an IPv6 address as
// CPython's ipaddress module reads one, with an optional "%zone".
func checkBracketedHost(host string) error {
	if strings.HasPrefix(host, "v") {
		i := 1
		for i < len(host) && isHex(host[i]) {
			i++
		}
		if i == 1 || i >= len(host)-1 || host[i] != '.' {
			return errors.New("IPvFuture address is invalid")
		}
		return nil
	}
	if parseIPv4(host) {
		return errors.New("an IPv4 address cannot be in brackets")
	}
	if err := parseIPv6(host); err != nil {
		return err
	}
	return nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// parseIPv4 reports whether s is a dotted-quad IPv4 address as CPython's
// ipaddress.IPv4Address reads one: four decimal octets of one to three ASCII
// digits, no leading zeros, each at most 255.
func parseIPv4(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return false
	}
	for _, p := range parts {
		if p == "" || len(p) > 3 || (len(p) > 1 && p[0] == '0') {
			return false
		}
		n := 0
		for i := 0; i < len(p); i++ {
			if p[i] < '0' || p[i] > '9' {
				return false
			}
			n = n*10 + int(p[i]-'0')
		}
		if n > 255 {
			return false
		}
	}
	return true
}

// parseIPv6 checks s as CPython's ipaddress.IPv6Address reads an address:
// an optional non-empty "%zone" without a further "%", at least two colons,
// at most one "::", hextets of one to four hex digits, and an optional
// trailing dotted-quad IPv4 part.
func parseIPv6(s string) error {
	addr, zone, hasZone := strings.Cut(s, "%")
	if hasZone && (zone == "" || strings.IndexByte(zone, '%') >= 0) {
		return errors.New("invalid IPv6 zone")
	}
	if addr == "" {
		return errors.New("empty address")
	}
	parts := strings.Split(addr, ":")
	if len(parts) < 3 {
		return errors.New("not an IPv6 address: fewer than 2 colons")
	}
	if last := parts[len(parts)-1]; strings.IndexByte(last, '.') >= 0 {
		if !parseIPv4(last) {
			return fmt.Errorf("invalid IPv4 part %q", last)
		}
		// The IPv4 part stands for two hextets.
		parts = append(parts[:len(parts)-1], "0", "0")
	}
	const hextets = 8
	if len(parts) > hextets+1 {
		return errors.New("more than 8 colons")
	}
	skip := -1
	for i := 1; i < len(parts)-1; i++ {
		if parts[i] == "" {
			if skip >= 0 {
				return errors.New("more than one '::'")
			}
			skip = i
		}
	}
	var hi, lo int // hextets before and after the "::"
	if skip >= 0 {
		hi, lo = skip, len(parts)-skip-1
		if parts[0] == "" {
			if hi--; hi != 0 {
				return errors.New("leading ':' only permitted as part of '::'")
			}
		}
		if parts[len(parts)-1] == "" {
			if lo--; lo != 0 {
				return errors.New("trailing ':' only permitted as part of '::'")
			}
		}
		if hextets-(hi+lo) < 1 {
			return errors.New("too many parts with '::'")
		}
	} else {
		if len(parts) != hextets {
			return errors.New("exactly 8 parts expected without '::'")
		}
		if parts[0] == "" || parts[len(parts)-1] == "" {
			return errors.New("leading or trailing ':' only permitted as part of '::'")
		}
		hi = len(parts)
	}
	check := func(p string) error {
		if p == "" || len(p) > 4 {
			return fmt.Errorf("invalid hextet %q", p)
		}
		for i := 0; i < len(p); i++ {
			if !isHex(p[i]) {
				return fmt.Errorf("invalid hextet %q", p)
			}
		}
		return nil
	}
	for _, p := range parts[:hi] {
		if err := check(p); err != nil {
			return err
		}
	}
	for _, p := range parts[len(parts)-lo:] {
		if err := check(p); err != nil {
			return err
		}
	}
	return nil
}

// checkNFKC refuses a non-ASCII netloc whose NFKC form (what IDNA would
// resolve) gains a character that splits URLs, such as U+2100 becoming
// "a/c": CPython's _checknetloc (CVE-2019-9636).
func checkNFKC(netloc string) error {
	if netloc == "" || utf8x.ASCII(netloc) {
		return nil
	}
	n := strings.NewReplacer("@", "", ":", "", "#", "", "?", "").Replace(netloc)
	n2 := norm.NFKC.String(n)
	if n == n2 {
		return nil
	}
	if strings.ContainsAny(n2, "/?#@:") {
		return fmt.Errorf("netloc %s contains invalid characters under NFKC normalization", shownNetloc(netloc))
	}
	return nil
}

// Unsplit joins the parts of r into a URL as CPython 3.11's urlunsplit does.
// The result may differ from the URL that was split while meaning the same,
// as when an empty "?" or "#" is dropped.
func Unsplit(r SplitResult) string { return unsplit(r, "") }

// unsplit is Unsplit with params, when not empty, put after the path with
// a ";", building the string once.
func unsplit(r SplitResult, params string) string {
	path := r.Path
	netloc := r.Netloc != "" || (r.Scheme != "" && usesNetloc[r.Scheme] && !strings.HasPrefix(path, "//"))
	// CPython tests path and params joined ("p;x", or ";x" for no path):
	// a netloc is followed by "/" unless that starts with one.
	slash := netloc && (path != "" && path[0] != '/' || path == "" && params != "")
	if !netloc && r.Scheme == "" && r.Query == "" && r.Fragment == "" && params == "" {
		return path
	}
	var b strings.Builder
	b.Grow(len(r.Scheme) + len(r.Netloc) + len(path) + len(params) + len(r.Query) + len(r.Fragment) + 7)
	if r.Scheme != "" {
		b.WriteString(r.Scheme)
		b.WriteByte(':')
	}
	if netloc {
		b.WriteString("//")
		b.WriteString(r.Netloc)
		if slash {
			b.WriteByte('/')
		}
	}
	b.WriteString(path)
	if params != "" {
		b.WriteByte(';')
		b.WriteString(params)
	}
	if r.Query != "" {
		b.WriteByte('?')
		b.WriteString(r.Query)
	}
	if r.Fragment != "" {
		b.WriteByte('#')
		b.WriteString(r.Fragment)
	}
	return b.String()
}

// Unparse joins the parts of r into a URL as CPython's urlunparse does:
// Params, when not empty, is put back after a ";".
func Unparse(r ParseResult) string {
	return unsplit(SplitResult{r.Scheme, r.Netloc, r.Path, r.Query, r.Fragment}, r.Params)
}

// Defrag is CPython's urldefrag: rawurl without its fragment, and the
// fragment. A URL without "#" comes back exactly as given; one with "#" is
// parsed and put back together, so it is normalised as [Unparse] does.
func Defrag(rawurl string) (url, fragment string, err error) {
	if strings.IndexByte(rawurl, '#') < 0 {
		if len(rawurl) > MaxLength {
			return "", "", tooLong("defrag", rawurl)
		}
		return rawurl, "", nil
	}
	p, err := Parse(rawurl)
	if err != nil {
		return "", "", err
	}
	fragment, p.Fragment = p.Fragment, ""
	return Unparse(p), fragment, nil
}

// String returns [Unsplit](r).
func (r SplitResult) String() string { return Unsplit(r) }

// String returns [Unparse](r).
func (r ParseResult) String() string { return Unparse(r) }

// Hostname returns the host of r.Netloc lower-cased as Python's str.lower
// does (an IPv6 zone after "%" keeps its case), without brackets; ok is false
// where CPython's .hostname is None (no host).
func (r SplitResult) Hostname() (host string, ok bool) { return hostname(r.Netloc) }

// Port returns the port of r.Netloc. ok is false where CPython's .port is
// None (no port, or an empty one); err is set where reading .port raises: a
// port that is not all ASCII digits ("+80", "0x50", non-ASCII digits) or
// is above 65535.
func (r SplitResult) Port() (port int, ok bool, err error) { return portOf(r.Netloc, r.String) }

// Username returns the user name of r.Netloc's userinfo; ok is false where
// CPython's .username is None (no "@").
func (r SplitResult) Username() (string, bool) { return username(r.Netloc) }

// Password returns the password of r.Netloc's userinfo; ok is false where
// CPython's .password is None (no "@", or no ":" in the userinfo).
func (r SplitResult) Password() (string, bool) { return password(r.Netloc) }

// Hostname is [SplitResult.Hostname] for a ParseResult.
func (r ParseResult) Hostname() (host string, ok bool) { return hostname(r.Netloc) }

// Port is [SplitResult.Port] for a ParseResult.
func (r ParseResult) Port() (port int, ok bool, err error) { return portOf(r.Netloc, r.String) }

// Username is [SplitResult.Username] for a ParseResult.
func (r ParseResult) Username() (string, bool) { return username(r.Netloc) }

// Password is [SplitResult.Password] for a ParseResult.
func (r ParseResult) Password() (string, bool) { return password(r.Netloc) }

// userinfo splits netloc at its last "@".
func userinfo(netloc string) (info, hostport string, ok bool) {
	i := strings.LastIndexByte(netloc, '@')
	if i < 0 {
		return "", netloc, false
	}
	return netloc[:i], netloc[i+1:], true
}

func username(netloc string) (string, bool) {
	info, _, ok := userinfo(netloc)
	if !ok {
		return "", false
	}
	user, _, _ := strings.Cut(info, ":")
	return user, true
}

func password(netloc string) (string, bool) {
	info, _, ok := userinfo(netloc)
	if !ok {
		return "", false
	}
	_, pass, ok := strings.Cut(info, ":")
	return pass, ok
}

// hostinfo is CPython's _hostinfo: the host and the raw port of netloc.
func hostinfo(netloc string) (host, port string) {
	_, hostport, _ := userinfo(netloc)
	if _, bracketed, ok := strings.Cut(hostport, "["); ok {
		host, port, _ = strings.Cut(bracketed, "]")
		_, port, _ = strings.Cut(port, ":")
		return host, port
	}
	host, port, _ = strings.Cut(hostport, ":")
	return host, port
}

func hostname(netloc string) (string, bool) {
	host, _ := hostinfo(netloc)
	if host == "" {
		return "", false
	}
	h, zone, hasZone := strings.Cut(host, "%")
	h = pyLower(h)
	if hasZone {
		return h + "%" + zone, true
	}
	return h, true
}

// maskKnownNetloc is redact.Parsed for a URL that splits where it seems
// to: the password of the netloc's userinfo masked, then only the secrets
// of the query (redact.Plain).
func maskKnownNetloc(url string) string {
	start, end, ok := netlocSpan(url)
	if !ok {
		return redact.Parsed(url, nil)
	}
	return url[:start] + redact.Parsed(url[start:end], nil) + redact.Plain(url[end:])
}

// netlocSpan returns where the netloc of the URL url, as Split reads it,
// starts and ends in url; ok is false when url does not split or its
// netloc is not found after "//".
func netlocSpan(url string) (start, end int, ok bool) {
	sr, err := Split(url)
	if err != nil {
		return 0, 0, false
	}
	i := strings.Index(url, "//"+sr.Netloc)
	if i < 0 {
		return 0, 0, false
	}
	return i + 2, i + 2 + len(sr.Netloc), true
}

// cutPassword reports whether the URL url (an unsplit one) may be a URL
// whose password holds a '#', '/' or '?' that ended its netloc early, so
// that what reads as the port is the start of the password: the netloc
// has no '@' but one follows it, unless that '@' sits in a query value
// ("?email=jo@example.org": a '?', then '=', then the '@', and no '/'
// after it). Passwords are often base64, with '/', '+' and '=' in them:
// any other '@' after the netloc counts as a password's.
func cutPassword(url string) bool {
	start, end, ok := netlocSpan(url)
	if !ok {
		return strings.Contains(url, "@")
	}
	if strings.Contains(url[start:end], "@") {
		return false
	}
	rest := url[end:]
	at := strings.IndexByte(rest, '@')
	if at < 0 {
		return false
	}
	q := strings.IndexByte(rest[:at], '?')
	inQueryValue := q >= 0 && strings.Contains(rest[q:at], "=") && !strings.Contains(rest[at:], "/")
	return !inQueryValue
}

// portOf reads the port of netloc; url makes the URL an error names, only
// when there is an error.
func portOf(netloc string, url func() string) (int, bool, error) {
	_, port := hostinfo(netloc)
	if port == "" {
		return 0, false, nil
	}
	bad := func(why string) error {
		u := url()
		shown := quoteInput(port)
		if cutPassword(u) {
			// "http://kim:S3cr#t@h": the "port" may be the start of a
			// password with a '#' (or '/', '?') in it.
			shown = "(not shown: a '#', '/' or '?' in a password ends the host early; percent-encode it)"
		}
		return &Error{"port", u, fmt.Errorf("invalid port %s (%s)", shown, why)}
	}
	n := 0
	for i := 0; i < len(port); i++ {
		c := port[i]
		if c < '0' || c > '9' {
			return 0, false, bad("not a decimal number")
		}
		if n <= 65535 {
			n = n*10 + int(c-'0')
		}
	}
	if n > 65535 {
		return 0, false, bad("out of range 0-65535")
	}
	return n, true, nil
}
