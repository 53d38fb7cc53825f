// Package netrc reads .netrc files, the credentials file of ftp, curl,
// wget and Python's netrc module, and finds the entry for a host.
//
//	f, err := netrc.ParseFile(netrc.DefaultPath(os.Getenv("NETRC"), home))
//	if err != nil { ... }           // errors.Is(err, fs.ErrNotExist): no file
//	c := &auth.Basic{Passwords: f}  // *File is an auth.PasswordManager
//
// A file is a list of tokens separated by white space: "machine NAME"
// starts an entry for a host, "default" an entry for every host that has
// no machine entry; "login" (or "user", as Python reads it), "password"
// and "account" (kept, unused) give its fields; "macdef NAME" defines a
// macro, whose body, from the next line up to a blank line, is skipped. A token may be quoted as curl
// allows ("a b", with \" \\ \n \r \t escapes, on one line). A token
// starting with "#" where a keyword is expected begins a comment to the
// end of the line. Keywords are case-insensitive. Parse refuses an unknown
// keyword, a keyword without its value, a field before any entry and an
// unterminated quote, naming the line, as Python does.
//
// Lookups follow each host exactly (HOSTILE.md U5): an entry is used only
// for the host it names (compared without case), or the default entry for
// a host with no machine entry at all; when the URL names a user, only an
// entry with that login; an entry without a password gives none.
//
// A netrc file names hosts, not schemes or ports: its credentials go to
// the host over http as well as https, on any port, as curl and wget send
// them.
//
// The package reads no environment variables: the caller (grab's CLI)
// passes $NETRC and the home directory to [DefaultPath].
package netrc

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// MaxSize caps the size of a netrc file Parse reads.
const MaxSize = 1 << 20

// ErrTooLarge is returned for a file over MaxSize.
var ErrTooLarge = errors.New("netrc: file too large")

// An Entry is one machine or default entry.
type Entry struct {
	// Machine is the host name of a machine entry; "" for default.
	Machine string
	// Default marks the default entry.
	Default bool
	// Login, Password and Account are the entry's fields; "" when absent.
	Login, Password, Account string
}

// A File is a parsed netrc file. Its FindUserPassword method makes it an
// auth.PasswordManager.
type File struct {
	// Entries are the file's entries in order.
	Entries []Entry
}

// A SyntaxError reports a malformed netrc file.
type SyntaxError struct {
	Path string // the file, from ParseFile; "" from Parse
	Line int    // 1-based
	Msg  string // what is wrong; never a password
}

func (e *SyntaxError) Error() string {
	if e.Path != "" {
		return fmt.Sprintf("netrc: %s: line %d: %s", e.Path, e.Line, e.Msg)
	}
	return fmt.Sprintf("netrc: line %d: %s", e.Line, e.Msg)
}

// DefaultPath returns the netrc file to read: netrcEnv (the value of the
// NETRC environment variable, which the caller reads) when it is not "",
// else .netrc in home (the caller's os.UserHomeDir), else "".
func DefaultPath(netrcEnv, home string) string {
	switch {
	case netrcEnv != "":
		return netrcEnv
	case home != "":
		return filepath.Join(home, ".netrc")
	}
	return ""
}

// ParseFile reads and parses the netrc file at path. Its errors start
// with "netrc: " and name the file: a missing file wraps fs.ErrNotExist, a
// malformed one is a *SyntaxError with the Path, one over MaxSize wraps
// ErrTooLarge.
func ParseFile(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("netrc: %w", err) // the *PathError names the file
	}
	defer f.Close()
	nf, err := Parse(f)
	var se *SyntaxError
	switch {
	case err == nil:
		return nf, nil
	case errors.As(err, &se):
		se.Path = path
		return nil, se
	case errors.Is(err, ErrTooLarge):
		return nil, fmt.Errorf("%w: %s", err, path)
	}
	return nil, fmt.Errorf("netrc: %w", err) // an *os.File's *PathError: "read PATH: is a directory"
}

// Parse reads a netrc file from r, at most MaxSize bytes.
func Parse(r io.Reader) (*File, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxSize {
		return nil, ErrTooLarge
	}
	return parse(string(data))
}

// lexer splits a netrc file into tokens.
type lexer struct {
	s    string
	i    int
	line int
}

// next returns the next token; keyword tells that a keyword is expected
// (a "#" token then starts a comment). ok is false at the end.
func (l *lexer) next(keyword bool) (tok string, ok bool, err error) {
	for {
		for l.i < len(l.s) && isSpace(l.s[l.i]) {
			if l.s[l.i] == '\n' {
				l.line++
			}
			l.i++
		}
		if l.i == len(l.s) {
			return "", false, nil
		}
		if keyword && l.s[l.i] == '#' {
			for l.i < len(l.s) && l.s[l.i] != '\n' {
				l.i++
			}
			continue
		}
		break
	}
	if l.s[l.i] != '"' {
		start := l.i
		for l.i < len(l.s) && !isSpace(l.s[l.i]) {
			l.i++
		}
		return l.s[start:l.i], true, nil
	}
	var b strings.Builder
	for l.i++; l.i < len(l.s); l.i++ {
		switch c := l.s[l.i]; c {
		case '"':
			l.i++
			return b.String(), true, nil
		case '\n':
			return "", false, &SyntaxError{Line: l.line, Msg: "unterminated quoted token"}
		case '\\':
			if l.i+1 < len(l.s) && l.s[l.i+1] != '\n' {
				l.i++
				switch c = l.s[l.i]; c {
				case 'n':
					c = '\n'
				case 'r':
					c = '\r'
				case 't':
					c = '\t'
				}
			}
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return "", false, &SyntaxError{Line: l.line, Msg: "unterminated quoted token"}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// skipMacro skips the rest of the line and the macro body: the lines up to
// and including a blank one (empty, or a lone CR), or the end of the file.
func (l *lexer) skipMacro() {
	for l.i < len(l.s) {
		nl := strings.IndexByte(l.s[l.i:], '\n')
		if nl < 0 {
			l.i = len(l.s)
			return
		}
		l.i += nl + 1
		l.line++
		if rest := l.s[l.i:]; strings.HasPrefix(rest, "\n") || strings.HasPrefix(rest, "\r\n") || rest == "\r" {
			return
		}
	}
}

func parse(s string) (*File, error) {
	l := &lexer{s: s, line: 1}
	f := &File{}
	cur := -1 // index of the entry fields go to
	for {
		tok, ok, err := l.next(true)
		if err != nil {
			return nil, err
		}
		if !ok {
			return f, nil
		}
		line := l.line
		value := func() (string, error) {
			v, ok, err := l.next(false)
			if err == nil && !ok {
				err = &SyntaxError{Line: line, Msg: fmt.Sprintf("%q without a value", tok)}
			}
			return v, err
		}
		switch kw := strings.ToLower(tok); kw {
		case "machine":
			name, err := value()
			if err != nil {
				return nil, err
			}
			f.Entries = append(f.Entries, Entry{Machine: name})
			cur = len(f.Entries) - 1
		case "default":
			f.Entries = append(f.Entries, Entry{Default: true})
			cur = len(f.Entries) - 1
		case "login", "user", "password", "account":
			if cur < 0 {
				return nil, &SyntaxError{Line: line, Msg: fmt.Sprintf("%q before any machine or default", tok)}
			}
			v, err := value()
			if err != nil {
				return nil, err
			}
			e := &f.Entries[cur]
			switch kw {
			case "login", "user": // "user" is Python's other spelling
				e.Login = v
			case "password":
				e.Password = v
			default:
				e.Account = v
			}
		case "macdef":
			if _, err := value(); err != nil {
				return nil, err
			}
			l.skipMacro()
			cur = -1
		default:
			return nil, &SyntaxError{Line: line, Msg: fmt.Sprintf("unknown token %q", short(tok))}
		}
	}
}

// short cuts a token for an error message.
func short(s string) string {
	if len(s) > 32 {
		return s[:32] + "…"
	}
	return s
}

// Lookup returns the entry for host (compared without case) and, when
// login is not "", that login: the first machine entry that matches; or,
// when no machine entry names host at all, the first default entry that
// matches. It reports false when none does.
func (f *File) Lookup(host, login string) (Entry, bool) {
	if f == nil || host == "" {
		return Entry{}, false
	}
	named := false
	for _, e := range f.Entries {
		if e.Default || !strings.EqualFold(e.Machine, host) {
			continue
		}
		named = true
		if login == "" || e.Login == login {
			return e, true
		}
	}
	if named {
		return Entry{}, false
	}
	for _, e := range f.Entries {
		if e.Default && (login == "" || e.Login == login) {
			return e, true
		}
	}
	return Entry{}, false
}

// FindUserPassword returns the login and password of the entry for u's
// host and user (see [File.Lookup]); the realm is not used. It reports
// false when there is no such entry or the entry has no password. With
// it, *File is an auth.PasswordManager.
func (f *File) FindUserPassword(realm string, u *url.URL) (user, password string, ok bool) {
	if u == nil {
		return "", "", false
	}
	login := u.User.Username() // "" for a nil User
	e, ok := f.Lookup(u.Hostname(), login)
	if !ok || e.Password == "" {
		return "", "", false
	}
	return e.Login, e.Password, true
}
