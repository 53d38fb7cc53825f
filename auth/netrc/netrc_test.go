package netrc_test

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/grabhq/grab/auth/netrc"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []netrc.Entry
	}{
		{"one line", "machine a.example login u password p", []netrc.Entry{{Machine: "a.example", Login: "u", Password: "p"}}},
		{"lines and default", "machine a\n  login u\n  password p\n  account acct\n\ndefault login anon password guest\n", []netrc.Entry{
			{Machine: "a", Login: "u", Password: "p", Account: "acct"},
			{Default: true, Login: "anon", Password: "guest"},
		}},
		{"keywords case-insensitive", "MACHINE a LOGIN u PASSWORD p", []netrc.Entry{{Machine: "a", Login: "u", Password: "p"}}},
		{"user for login, as Python", "machine h user alice password pw", []netrc.Entry{{Machine: "h", Login: "alice", Password: "pw"}}},
		{"quoted tokens", `machine a login "user name" password "p\"w\\d\n\tx" account ""`, []netrc.Entry{{Machine: "a", Login: "user name", Password: "p\"w\\d\n\tx"}}},
		{"comments", "# a comment machine evil\nmachine a # another\nlogin u password #notacomment\n", []netrc.Entry{{Machine: "a", Login: "u", Password: "#notacomment"}}},
		{"no password", "machine a login u", []netrc.Entry{{Machine: "a", Login: "u"}}},
		{"keyword as value", "machine a login machine password default", []netrc.Entry{{Machine: "a", Login: "machine", Password: "default"}}},
		{"macdef skipped", "machine a login u\nmacdef init\ncd /pub\nmachine evil login x password y\n\nmachine b password q\n", []netrc.Entry{
			{Machine: "a", Login: "u"},
			{Machine: "b", Password: "q"},
		}},
		{"macdef CRLF", "macdef m\r\nmachine evil password y\r\n\r\nmachine b password q\r\n", []netrc.Entry{{Machine: "b", Password: "q"}}},
		{"macdef to EOF", "machine a password p\nmacdef m\nstuff", []netrc.Entry{{Machine: "a", Password: "p"}}},
		{"tabs and CR", "machine\ta\r\n\tlogin\tu\r\n\tpassword\tp\r\n", []netrc.Entry{{Machine: "a", Login: "u", Password: "p"}}},
		{"empty", "", nil},
		{"last value wins", "machine a password p1 password p2", []netrc.Entry{{Machine: "a", Password: "p2"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := netrc.Parse(strings.NewReader(tt.in))
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if !reflect.DeepEqual(f.Entries, tt.want) {
				t.Errorf("Parse(%q) =\n%+v\nwant\n%+v", tt.in, f.Entries, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in   string
		line int
		want string
	}{
		{"machine", 1, `"machine" without a value`},
		{"machine a\nlogin", 2, `"login" without a value`},
		{"login u password p", 1, `"login" before any machine`},
		{"machine a\nport 21", 2, `unknown token "port"`},
		{"machine a password \"unterminated\nmachine b", 1, "unterminated quoted token"},
		{"machine a password \"unterminated", 1, "unterminated quoted token"},
		{"machine a password p\nmacdef", 2, `"macdef" without a value`},
		{"macdef m\nx\n\nlogin u", 4, `"login" before any machine`},
	}
	for _, tt := range tests {
		_, err := netrc.Parse(strings.NewReader(tt.in))
		var se *netrc.SyntaxError
		if !errors.As(err, &se) || se.Line != tt.line || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) = %v, want line %d: %s", tt.in, err, tt.line, tt.want)
		}
	}
	// An error never shows a password.
	_, err := netrc.Parse(strings.NewReader("machine a password s3cret unknown"))
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("error %v", err)
	}
	if _, err := netrc.Parse(strings.NewReader(strings.Repeat(" ", netrc.MaxSize+1))); !errors.Is(err, netrc.ErrTooLarge) {
		t.Errorf("over MaxSize: %v", err)
	}
}

// HOSTILE.md U5: lookup by each hop's exact host; the user must match;
// no password from another entry; default only when no machine matches.
func TestLookup(t *testing.T) {
	f, err := netrc.Parse(strings.NewReader(`
machine a.example login alice password pa
machine a.example login bob password pb
machine nopw.example login alice
machine NoLogin.example password pn
default login anon password guest
`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		url            string
		user, password string // "" means none found
	}{
		{"https://a.example/", "alice", "pa"},
		{"https://bob@a.example/", "bob", "pb"},
		{"https://carol@a.example/", "", ""},        // user must match; not default
		{"https://A.EXAMPLE:8443/x", "alice", "pa"}, // hosts without case, any port
		{"https://sub.a.example/", "anon", "guest"}, // exact host only
		{"https://a.example.evil/", "anon", "guest"},
		{"http://nopw.example/", "", ""},       // entry without password: none, not default's
		{"http://alice@nopw.example/", "", ""}, // same with the user
		{"http://nologin.example/", "", "pn"},
		{"http://alice@nologin.example/", "", ""}, // entry has no login: the user does not match
		{"http://other.example/", "anon", "guest"},
		{"http://anon@other.example/", "anon", "guest"},
		{"http://bob@other.example/", "", ""},
		{"http://[::1]/", "anon", "guest"},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		user, password, ok := f.FindUserPassword("any realm", u)
		if ok != (tt.password != "") || user != tt.user || password != tt.password {
			t.Errorf("FindUserPassword(%s) = %q, %q, %v, want %q, %q", tt.url, user, password, ok, tt.user, tt.password)
		}
	}
	var nilFile *netrc.File
	if _, ok := nilFile.Lookup("a.example", ""); ok {
		t.Error("nil File found an entry")
	}
	if _, _, ok := f.FindUserPassword("", nil); ok {
		t.Error("nil URL found an entry")
	}
}

func TestDefaultPath(t *testing.T) {
	tests := []struct{ env, home, want string }{
		{"/etc/netrc", "/home/u", "/etc/netrc"},
		{"", "/home/u", filepath.Join("/home/u", ".netrc")},
		{"", "", ""},
	}
	for _, tt := range tests {
		if got := netrc.DefaultPath(tt.env, tt.home); got != tt.want {
			t.Errorf("DefaultPath(%q, %q) = %q, want %q", tt.env, tt.home, got, tt.want)
		}
	}
}

func TestParseFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ".netrc")
	if err := os.WriteFile(path, []byte("machine h login u password p\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := netrc.ParseFile(path)
	if err != nil || len(f.Entries) != 1 {
		t.Errorf("ParseFile = %v, %v", f, err)
	}
	if _, err := netrc.ParseFile(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want fs.ErrNotExist", err)
	}
	if _, err := netrc.ParseFile(filepath.Join(dir, "missing")); err == nil || !strings.HasPrefix(err.Error(), "netrc: open "+dir) {
		t.Errorf("missing file: %v, want netrc: open %s...", err, dir)
	}
	if _, err := netrc.ParseFile(dir); err == nil || !strings.HasPrefix(err.Error(), "netrc: ") || strings.Count(err.Error(), dir) != 1 {
		t.Errorf("a directory: %v, want netrc: and the path once", err)
	}
	os.WriteFile(path, []byte("bogus"), 0o600)
	_, err = netrc.ParseFile(path)
	var se *netrc.SyntaxError
	if !errors.As(err, &se) || se.Path != path || se.Line != 1 || !strings.HasPrefix(err.Error(), "netrc: "+path+": line 1: ") {
		t.Errorf("bad file: %v, want a *SyntaxError naming it once, prefixed netrc:", err)
	}
	os.WriteFile(path, []byte(strings.Repeat(" ", netrc.MaxSize+1)), 0o600)
	if _, err := netrc.ParseFile(path); !errors.Is(err, netrc.ErrTooLarge) || !strings.Contains(err.Error(), path) || strings.Count(err.Error(), "netrc") != 1+strings.Count(path, "netrc") {
		t.Errorf("large file: %v, want ErrTooLarge naming the file, netrc: once", err)
	}
}

// FuzzNetrc: no panic, and lookups agree with the entries parsed.
func FuzzNetrc(f *testing.F) {
	for _, s := range []string{
		"machine a login u password p\ndefault login d password q\n",
		"machine a login \"x y\" password \"\\\"\"\nmacdef m\nline\n\nmachine b password c",
		"# c\nmachine a\n", "machine", "\"", "macdef x\n\r\n", "default\x00login\x00x",
	} {
		f.Add(s, "a", "u")
	}
	f.Fuzz(func(t *testing.T, data, host, login string) {
		nf, err := netrc.Parse(strings.NewReader(data))
		if err != nil {
			var se *netrc.SyntaxError
			if !errors.As(err, &se) || se.Line < 1 || se.Line > strings.Count(data, "\n")+1 {
				t.Fatalf("error %v", err)
			}
			return
		}
		e, ok := nf.Lookup(host, login)
		var named, defaults []netrc.Entry
		for _, x := range nf.Entries {
			if x.Default {
				defaults = append(defaults, x)
			} else if strings.EqualFold(x.Machine, host) {
				named = append(named, x)
			}
		}
		if !ok {
			candidates := named
			if len(named) == 0 {
				candidates = defaults
			}
			for _, x := range candidates {
				if host != "" && (login == "" || x.Login == login) {
					t.Fatalf("Lookup(%q, %q) found nothing, but %+v matches", host, login, x)
				}
			}
			return
		}
		if login != "" && e.Login != login {
			t.Fatalf("Lookup(%q, %q) = %+v: another user", host, login, e)
		}
		if e.Default && len(named) > 0 {
			t.Fatalf("Lookup(%q, %q) = default although a machine entry names the host", host, login)
		}
		if !e.Default && !strings.EqualFold(e.Machine, host) {
			t.Fatalf("Lookup(%q, %q) = %+v: another host", host, login, e)
		}
	})
}

func ExampleParse() {
	f, err := netrc.Parse(strings.NewReader(`
machine api.example.com
    login alice
    password "s3cret pass"
default login anonymous password guest@
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, raw := range []string{"https://api.example.com/v1", "https://alice@api.example.com/", "https://bob@api.example.com/", "ftp://other.example.org/"} {
		u, _ := url.Parse(raw)
		user, password, ok := f.FindUserPassword("", u)
		fmt.Printf("%s: %q %q %v\n", raw, user, password, ok)
	}
	// Output:
	// https://api.example.com/v1: "alice" "s3cret pass" true
	// https://alice@api.example.com/: "alice" "s3cret pass" true
	// https://bob@api.example.com/: "" "" false
	// ftp://other.example.org/: "anonymous" "guest@" true
}

// A file at MaxSize of any shape parses in linear time.
func TestParseLarge(t *testing.T) {
	shapes := map[string]string{
		"entries":  "machine a login u password p\n",
		"comments": "# comment comment comment\n",
		"quoted":   `machine "a\"b" password "\\\\\\"`,
		"macdef":   "macdef m\nline line\n",
		"blank":    "\n",
	}
	for name, unit := range shapes {
		data := strings.Repeat(unit, netrc.MaxSize/len(unit))
		start := time.Now()
		f, err := netrc.Parse(strings.NewReader(data))
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s: %v", name, d)
		}
		if err == nil {
			f.Lookup("zzz", "u")
		}
	}
}
