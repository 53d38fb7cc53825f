package cookies

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/grabhq/grab/internal/atomicfile"
)

// Format is a jar file format.
type Format int

const (
	// Netscape is the cookies.txt format of curl (-b, -c), wget
	// (--load-cookies, --save-cookies), Python's MozillaCookieJar and
	// browser exports.
	Netscape Format = iota
	// JSON is grab's own format, which also keeps SameSite, the Quoted
	// flag and creation times (see the package documentation).
	JSON
)

func (f Format) String() string {
	switch f {
	case Netscape:
		return "Netscape"
	case JSON:
		return "JSON"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// SaveOptions says what [Jar.Save] and [Jar.SaveTo] write. The zero value
// (or nil) writes the persistent cookies in the Netscape format.
type SaveOptions struct {
	// Session writes session cookies too, with expiry 0 as curl -c
	// does; Python's save(ignore_discard=True) saves them too but with an
	// empty expiry, and its load takes 0 for expired (the package doc's
	// differences). Expired cookies are never written.
	Session bool
	// Format is the file format; the default is Netscape.
	Format Format
}

// MaxLineErrors is how many skipped lines a [LoadError] describes; it
// counts them all.
const MaxLineErrors = 100

// LoadError reports the lines of a jar file that were skipped while the
// others were loaded, and the cookies the jar's limits evicted during the
// load. A load that returns it has added every valid cookie; one that
// fails with another error has added none.
type LoadError struct {
	Path    string      // the file, "" for LoadFrom
	Lines   []LineError // the first MaxLineErrors skipped lines, in order
	Skipped int         // how many lines were skipped
	Evicted int         // valid cookies the jar's limits removed while loading
}

func (e *LoadError) Error() string {
	var b strings.Builder
	b.WriteString("cookies: load")
	if e.Path != "" {
		b.WriteString(" " + e.Path)
	}
	b.WriteString(":")
	if e.Skipped > 0 {
		fmt.Fprintf(&b, " %d %s skipped", e.Skipped, plural(e.Skipped, "line", "lines"))
		for i, le := range e.Lines {
			if i == 3 {
				b.WriteString(", ...")
				break
			}
			if i == 0 {
				b.WriteString(" (")
			} else {
				b.WriteString("; ")
			}
			b.WriteString(le.Error())
		}
		if len(e.Lines) > 0 {
			b.WriteString(")")
		}
	}
	if e.Evicted > 0 {
		if e.Skipped > 0 {
			b.WriteString(";")
		}
		fmt.Fprintf(&b, " %d %s evicted by the jar's limits", e.Evicted, plural(e.Evicted, "cookie", "cookies"))
	}
	return b.String()
}

// Unwrap returns the line errors.
func (e *LoadError) Unwrap() []error {
	out := make([]error, len(e.Lines))
	for i := range e.Lines {
		out[i] = &e.Lines[i]
	}
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// LineError is one skipped line of a jar file: malformed, or a cookie the
// jar refuses (a public suffix domain, a control character, ...). For a
// JSON file, Line is where the cookie's object starts.
type LineError struct {
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// Load adds the cookies of the jar file at path (Netscape or JSON, told
// apart by the first byte) to the jar, replacing those with the same
// name, domain, host-only flag and path. Every cookie is checked as if a
// server had set it (public suffixes, IP hosts, prefixes, control
// characters, sizes); expired ones are skipped quietly. Malformed or
// refused lines are skipped and reported in a [*LoadError] while the
// good ones are kept. Any other error (the file cannot be read, is longer
// than MaxFileBytes, or is not valid JSON) adds nothing. A missing file is
// an error that matches [fs.ErrNotExist]; Load reads through a symbolic
// link.
func (j *Jar) Load(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("cookies: load: %w", err)
	}
	defer f.Close()
	err = j.load(f)
	var le *LoadError
	switch {
	case errors.As(err, &le):
		le.Path = path
	case err != nil:
		err = fmt.Errorf("cookies: load %s: %w", path, err)
	}
	return err
}

// LoadFrom is [Jar.Load] reading from r; a nil r is an error.
func (j *Jar) LoadFrom(r io.Reader) error {
	if r == nil {
		return errors.New("cookies: load: nothing to read: the io.Reader is nil")
	}
	err := j.load(r)
	var le *LoadError
	if err != nil && !errors.As(err, &le) {
		err = fmt.Errorf("cookies: load: %w", err)
	}
	return err
}

var bom = []byte("\xef\xbb\xbf")

// DetectFormat tells the format of a jar file from its first bytes, as
// Load does: JSON when the first byte after a UTF-8 byte order mark and
// white space is '{', Netscape otherwise.
func DetectFormat(head []byte) Format {
	head = bytes.TrimPrefix(head, bom)
	if t := bytes.TrimLeft(head, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		return JSON
	}
	return Netscape
}

func (j *Jar) load(r io.Reader) error {
	max := j.maxFileBytes()
	data, err := io.ReadAll(io.LimitReader(r, max+1)) // max+1 to see a longer file
	if err != nil {
		return err
	}
	if int64(len(data)) > max {
		return fmt.Errorf("jar file longer than %d bytes", max)
	}
	le := &LoadError{}
	// Skipped lines are counted, and only the first MaxLineErrors kept,
	// as the readers find them: a file of millions of bad lines costs no
	// more memory than one of a hundred.
	skip := func(b LineError) {
		le.Skipped++
		if len(le.Lines) < MaxLineErrors {
			le.Lines = append(le.Lines, b)
		}
	}
	now := wallNow()
	add := func(rec record) {
		e, expired, err := j.fromRecord(&rec.Cookie, now)
		if err == nil && !expired {
			var n int
			j.mu.Lock()
			n, err = j.insert(e, false, true, now)
			j.mu.Unlock()
			le.Evicted += n
		}
		if err != nil {
			skip(LineError{Line: rec.line, Err: err})
		}
	}
	data = bytes.TrimPrefix(data, bom)
	if DetectFormat(data) == JSON {
		err = readJSON(data, add, skip)
	} else {
		readNetscape(data, add, skip)
	}
	j.mu.Lock()
	le.Evicted += j.trim(now) // what was added before an error too
	j.mu.Unlock()
	if err != nil {
		return err
	}
	if le.Skipped > 0 || le.Evicted > 0 {
		return le
	}
	return nil
}

// record is a cookie read from a file, before the jar checks it.
type record struct {
	Cookie
	line int
}

// fromRecord checks a cookie read from a jar file the way fromHTTP checks
// one a server set (HOSTILE.md D9), and returns it as an entry, or
// expired when it is of no use.
func (j *Jar) fromRecord(c *Cookie, now time.Time) (e *entry, expired bool, err error) {
	if err := checkNameValue(c.Name, c.Value); err != nil {
		return nil, false, err
	}
	d := strings.TrimPrefix(c.Domain, ".")
	if strings.HasSuffix(d, ".") {
		return nil, false, fmt.Errorf("domain %q ends with a dot", clip(c.Domain))
	}
	cd, err := canonHost(d)
	if err != nil {
		return nil, false, fmt.Errorf("domain %q: %w", clip(c.Domain), err)
	}
	if !c.HostOnly {
		switch {
		case isIPHost(cd):
			// Only the address itself can set Domain=ADDRESS, which the
			// jar keeps host-only (as a Set-Cookie's); wget writes it
			// ".127.0.0.1 TRUE".
			c.HostOnly = true
		case unlistedLabel(cd):
			// A single label the public suffix list does not know
			// ("localhost", "intranet") is a host: a Set-Cookie of
			// Domain=localhost from localhost is kept host-only (RFC 6265
			// §5.3 step 5), and curl writes it ".localhost TRUE".
			c.HostOnly = true
		case isPublicSuffix(cd):
			return nil, false, fmt.Errorf("domain %q is a public suffix", cd)
		}
	}
	if err := checkPath(c.Path); err != nil {
		return nil, false, err
	}
	if err := checkPrefix(c.Name, c.Secure, !c.HostOnly, c.Path); err != nil {
		return nil, false, err
	}
	if !j.pol.allowed(cd) {
		return nil, false, errors.New("domain blocked by the jar's policy")
	}
	e = &entry{Cookie: *c}
	e.Domain = cd
	e.SameSite = sameSite(c.SameSite)
	e.LastAccess = time.Time{}
	if !e.Expires.IsZero() {
		if !e.Expires.After(now) {
			return nil, true, nil
		}
		if limit := now.Add(MaxLifetime); e.Expires.After(limit) {
			e.Expires = limit
		}
	}
	return e, false, nil
}

// SaveTo writes the jar's cookies to w in creation order, so that loading
// them keeps the order the Cookie header uses: the persistent ones, and
// the session ones too when opts.Session is set; never expired ones.
func (j *Jar) SaveTo(w io.Writer, opts *SaveOptions) error {
	if opts == nil {
		opts = &SaveOptions{}
	}
	now := wallNow()
	j.mu.Lock()
	var cs []Cookie
	for _, e := range j.liveLocked(now) {
		if opts.Session || !e.Expires.IsZero() {
			cs = append(cs, e.Cookie)
		}
	}
	j.mu.Unlock()
	var err error
	switch opts.Format {
	case Netscape:
		err = writeNetscape(w, cs)
	case JSON:
		err = writeJSON(w, cs)
	default:
		err = fmt.Errorf("unknown format %v", opts.Format)
	}
	if err != nil {
		return fmt.Errorf("cookies: save: %w", err)
	}
	return nil
}

// Save writes the jar to the file at path as SaveTo does, replacing the
// file atomically: the cookies go to a new temporary file in the same
// directory, which is synced to disk and then renamed over path, so the
// file is always the old jar or the new one, never a mix or a truncation,
// and a failed save leaves the old file as it was. A new file gets mode
// 0600; an existing file keeps its permission bits (never widened). Save
// refuses to write when path is a symbolic link to a regular file, a
// directory or another file that is not regular, rather than write through
// the link; if a link is planted while it runs, the rename replaces the
// link itself, never its target. A device or a pipe, itself or through a
// link (/dev/null, curl's way to keep cookies for one command only;
// /dev/stdout onto a terminal or a pipe), is written to as it is: there
// is no file to replace.
//
// Two processes (or two Jars) saving the same path each replace the whole
// file: the last rename wins, and the other's cookies are not merged in.
// To keep both, Load the file into the jar before saving it (what is
// loaded replaces the jar's cookies of the same name, domain and path).
func (j *Jar) Save(path string, opts *SaveOptions) error {
	var buf bytes.Buffer
	if err := j.SaveTo(&buf, opts); err != nil {
		return err
	}
	if err := writeFileAtomic(path, func(w io.Writer) error {
		_, err := w.Write(buf.Bytes())
		return err
	}); err != nil {
		return fmt.Errorf("cookies: save %s: %w", path, err)
	}
	return nil
}

// writeFileAtomic writes path through a temporary file in its directory
// and a rename (HOSTILE.md D10); a new file is 0600, an existing one keeps
// its permissions.
func writeFileAtomic(path string, write func(io.Writer) error) (err error) {
	fi, err := os.Lstat(path)
	if err == nil && !fi.Mode().IsRegular() {
		if st, serr := os.Stat(path); serr == nil && st.Mode()&(fs.ModeCharDevice|fs.ModeDevice|fs.ModeNamedPipe) != 0 {
			f, err := os.OpenFile(path, os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			return errors.Join(write(f), f.Close())
		}
	}
	switch {
	case err == nil && fi.Mode()&fs.ModeSymlink != 0:
		return errors.New("is a symbolic link; not writing through it")
	case err == nil && !fi.Mode().IsRegular():
		return errors.New("not a regular file")
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return err
	}
	return atomicfile.WriteFile(path, 0o600, write)
}

// sameSiteName and parseSameSite convert SameSite for the JSON format.
func sameSiteName(s http.SameSite) string {
	switch s {
	case http.SameSiteStrictMode:
		return "Strict"
	case http.SameSiteLaxMode:
		return "Lax"
	case http.SameSiteNoneMode:
		return "None"
	}
	return ""
}

func parseSameSite(s string) (http.SameSite, bool) {
	switch strings.ToLower(s) {
	case "":
		return 0, true
	case "strict":
		return http.SameSiteStrictMode, true
	case "lax":
		return http.SameSiteLaxMode, true
	case "none":
		return http.SameSiteNoneMode, true
	}
	return 0, false
}
