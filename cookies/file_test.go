package cookies_test

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grabhq/grab/cookies"
)

// future is an expiry a day away, in the Netscape format's Unix seconds.
var future = strconv.FormatInt(time.Now().Add(24*time.Hour).Unix(), 10)

// jarFile builds a Netscape file from lines whose fields are separated
// by "|" and whose expiry may be "EXP" (a day from now).
func jarFile(lines ...string) string {
	var b strings.Builder
	for _, l := range lines {
		l = strings.ReplaceAll(l, "|", "\t")
		l = strings.ReplaceAll(l, "EXP", future)
		b.WriteString(l + "\n")
	}
	return b.String()
}

func lineNumbers(err error) []int {
	var le *cookies.LoadError
	if !errors.As(err, &le) {
		return nil
	}
	var out []int
	for _, l := range le.Lines {
		out = append(out, l.Line)
	}
	return out
}

// TestLoadNetscape is HOSTILE.md D8: malformed lines are skipped and
// reported by number, good lines are kept, and a long line never ends
// the load.
func TestLoadNetscape(t *testing.T) {
	long := strings.Repeat("x", cookies.MaxLineBytes+1)
	tests := []struct {
		name string
		file string
		want string // dump of the jar
		bad  []int  // line numbers reported
	}{
		{"curl file",
			jarFile("# Netscape HTTP Cookie File", "# https://curl.se/docs/http-cookies.html", "", "#HttpOnly_127.0.0.1|FALSE|/|FALSE|0|a|1", ".example.com|TRUE|/p|TRUE|EXP|b|2"),
			"a=1 127.0.0.1/ host-only,httponly,session\nb=2 example.com/p secure\n", nil},
		{"old magic and no magic",
			jarFile("# HTTP Cookie File", "example.com|FALSE|/|FALSE|EXP|a|1") + jarFile("example.org|FALSE|/|FALSE|EXP|b|1"),
			"a=1 example.com/ host-only\nb=1 example.org/ host-only\n", nil},
		{"D8 line over 64 KiB then good lines",
			jarFile("example.com|FALSE|/|FALSE|EXP|a|"+long, "example.com|FALSE|/|FALSE|EXP|b|1", long, "example.com|FALSE|/|FALSE|EXP|c|1"),
			"b=1 example.com/ host-only\nc=1 example.com/ host-only\n", []int{1, 3}},
		{"D8 6 fields is an empty value, 8 fields is an error",
			jarFile("example.com|FALSE|/|FALSE|EXP|six", "example.com|FALSE|/|FALSE|EXP|eight|1|x", "example.com|FALSE|/|FALSE|EXP"),
			"six= example.com/ host-only\n", []int{2, 3}},
		{"D8 bad expiry",
			jarFile("h.test|FALSE|/|FALSE|abc|a|1", "h.test|FALSE|/|FALSE|-1|b|1", "h.test|FALSE|/|FALSE|1e10|c|1",
				"h.test|FALSE|/|FALSE|1.5|d|1", "h.test|FALSE|/|FALSE|99999999999999999999|e|1", "h.test|FALSE|/|FALSE|+5|f|1",
				"h.test|FALSE|/|FALSE| 5|h|1", "h.test|FALSE|/|FALSE|EXP|ok|1"),
			"ok=1 h.test/ host-only\n", []int{1, 2, 3, 4, 5, 6, 7}},
		{"empty expiry is a session cookie, as Python writes it",
			jarFile("# Netscape HTTP Cookie File", "# http://curl.haxx.se/rfc/cookie_spec.html", "# This is a generated file!  Do not edit.", "",
				".example.com|TRUE|/|FALSE|EXP|py|1", "www.example.com|FALSE|/|TRUE||host|2"),
			"py=1 example.com/\nhost=2 www.example.com/ host-only,secure,session\n", nil},
		{"D8 huge expiry is capped, past expiry skipped quietly",
			jarFile("h.test|FALSE|/|FALSE|9223372036854775807|huge|1", "h.test|FALSE|/|FALSE|1|past|1"),
			"huge=1 h.test/ host-only\n", nil},
		{"D8 HttpOnly prefix any case",
			jarFile("#HttpOnly_.example.com|TRUE|/|FALSE|EXP|a|1", "#httponly_example.com|FALSE|/|FALSE|EXP|b|1", "#HttpOnly_", "# HttpOnly_x"),
			"a=1 example.com/ httponly\nb=1 example.com/ host-only,httponly\n", []int{3}},
		{"D8 CRLF and BOM",
			"\xef\xbb\xbf# Netscape HTTP Cookie File\r\n\r\nh.test\tFALSE\t/\tFALSE\t" + future + "\ta\t1\r\nh.test\tFALSE\t/\tFALSE\t0\tb\t\r\n",
			"a=1 h.test/ host-only\nb= h.test/ host-only,session\n", nil},
		{"D8 NUL byte",
			jarFile("h.test|FALSE|/|FALSE|EXP|a|1\x00", "h.\x00test|FALSE|/|FALSE|EXP|b|1", "# comment\x00", "h.test|FALSE|/|FALSE|EXP|c|1"),
			"c=1 h.test/ host-only\n", []int{1, 2, 3}},
		{"D8 bad booleans and paths",
			jarFile("h.test|YES|/|FALSE|EXP|a|1", "h.test|FALSE|/|NO|EXP|b|1", "h.test|FALSE|rel|FALSE|EXP|c|1", "|FALSE|/|FALSE|EXP|d|1", "h.test|true|/|false|EXP|e|1"),
			"e=1 h.test/\n", []int{1, 2, 3, 4}},
		{"comments, $ lines and blanks",
			jarFile("# a comment", "$ version", "   ", "\t", "", "  # indented comment", "h.test|FALSE|/|FALSE|EXP|a|1"),
			"a=1 h.test/ host-only\n", nil},
		{"flag decides, not the dot",
			jarFile("example.com|TRUE|/|FALSE|EXP|a|1", ".example.org|FALSE|/|FALSE|EXP|b|1"),
			"a=1 example.com/\nb=1 example.org/ host-only\n", nil},
		{"quoted value",
			jarFile(`h.test|FALSE|/|FALSE|EXP|q|"a b"`, `h.test|FALSE|/|FALSE|EXP|r|"`),
			"q=a b h.test/ host-only\n", []int{2}},
		{"not a jar at all",
			"root:x:0:0:root:/root:/bin/bash\n<html>\n",
			"", []int{1, 2}},
		{"empty file", "", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := new(cookies.Jar)
			err := j.LoadFrom(strings.NewReader(tt.file))
			if got := dump(j); got != tt.want {
				t.Errorf("loaded:\n%s\nwant:\n%s", got, tt.want)
			}
			if got := lineNumbers(err); !slices.Equal(got, tt.bad) {
				t.Errorf("bad lines %v (error %v), want %v", got, err, tt.bad)
			}
			if tt.bad == nil && err != nil {
				t.Errorf("LoadFrom: %v", err)
			}
		})
	}
}

// TestLoadValidates is HOSTILE.md D9: a file is input too.
func TestLoadValidates(t *testing.T) {
	file := jarFile(
		".com|TRUE|/|FALSE|EXP|a|1",                                  // 1 public suffix
		"com|TRUE|/|FALSE|EXP|b|1",                                   // 2
		".co.uk|TRUE|/|FALSE|EXP|c|1",                                // 3
		".github.io|TRUE|/|FALSE|EXP|d|1",                            // 4
		".127.0.0.1|TRUE|/|FALSE|EXP|e|1",                            // 5 IP domain cookie: host-only (wget writes it)
		"192.168.0.1|TRUE|/|FALSE|EXP|f|1",                           // 6
		"127.0.0.1|FALSE|/|FALSE|EXP|g|1",                            // 7 fine
		"com|FALSE|/|FALSE|EXP|h|1",                                  // 8 host-only for the host "com": fine
		"example.com|FALSE|/|FALSE|EXP|i|x\x01y",                     // 9 control character
		"example.com|FALSE|/|FALSE|EXP|j|x;y",                        // 10
		"example.com|FALSE|/|FALSE|EXP|k\x7f|1",                      // 11
		"example.com|FALSE|/|FALSE|EXP|l|caf\xc3",                    // 12
		"example.com|FALSE|/|FALSE|EXP|__Host-m|1",                   // 13 prefix without Secure
		".example.com|TRUE|/|TRUE|EXP|__Host-n|1",                    // 14 prefix with a domain
		"example.com|FALSE|/a|TRUE|EXP|__Host-o|1",                   // 15 prefix with a path
		"example.com|FALSE|/|FALSE|EXP|__Secure-p|1",                 // 16
		"example.com|FALSE|/|TRUE|EXP|__Host-q|1",                    // 17 fine
		"example.com|FALSE|/|TRUE|EXP|s|1",                           // 18 Secure: https only
		"exa mple.com|FALSE|/|FALSE|EXP|t|1",                         // 19 bad host
		"example.com.|FALSE|/|FALSE|EXP|u|1",                         // 20 trailing dot
		"EXAMPLE.COM|FALSE|/|FALSE|EXP|v|1",                          // 21 folded
		"пример.рф|FALSE|/|FALSE|EXP|w|1",                            // 22 IDNA
		".рф|TRUE|/|FALSE|EXP|x|1",                                   // 23 public suffix
		"example.com|FALSE|/|FALSE|EXP||1",                           // 24 empty name
		"example.com|FALSE|/|FALSE|EXP|y|"+strings.Repeat("v", 4096), // 25 too big
		"ads.test|FALSE|/|FALSE|EXP|z|1",                             // 26 blocked
	)
	j, err := cookies.New(&cookies.Options{Block: []string{"ads.test"}})
	if err != nil {
		t.Fatal(err)
	}
	err = j.LoadFrom(strings.NewReader(file))
	wantBad := []int{1, 2, 3, 4, 9, 10, 11, 12, 13, 14, 15, 16, 19, 20, 23, 24, 25, 26}
	if got := lineNumbers(err); !slices.Equal(got, wantBad) {
		t.Errorf("bad lines %v, want %v\n%v", got, wantBad, err)
	}
	want := "e=1 127.0.0.1/ host-only\ng=1 127.0.0.1/ host-only\nf=1 192.168.0.1/ host-only\nh=1 com/ host-only\n__Host-q=1 example.com/ host-only,secure\ns=1 example.com/ host-only,secure\nv=1 example.com/ host-only\nw=1 xn--e1afmkfd.xn--p1ai/ host-only\n"
	if got := dump(j); got != want {
		t.Errorf("loaded:\n%s\nwant:\n%s", got, want)
	}
	if h := header(t, j, "http://example.com/"); h != "v=1" {
		t.Errorf("http://example.com/ gets %q, want only v=1 (Secure cookies stay on https)", h)
	}
	if h := header(t, j, "https://example.com/"); h != "__Host-q=1; s=1; v=1" {
		t.Errorf("https://example.com/ gets %q", h)
	}
	if h := header(t, j, "http://www.com/"); h != "" {
		t.Errorf("www.com gets %q", h)
	}
	var le *cookies.LoadError
	if !errors.As(err, &le) || le.Skipped != len(wantBad) || !strings.Contains(err.Error(), "18 lines skipped (line 1: domain \"com\" is a public suffix;") {
		t.Errorf("error = %v", err)
	}
}

// TestLoadErrors checks errors that load nothing.
func TestLoadErrors(t *testing.T) {
	j, err := cookies.New(&cookies.Options{MaxFileBytes: 200})
	if err != nil {
		t.Fatal(err)
	}
	big := jarFile("h.test|FALSE|/|FALSE|EXP|a|1") + strings.Repeat("#\n", 100)
	if err := j.LoadFrom(strings.NewReader(big)); err == nil || !strings.Contains(err.Error(), "longer than 200 bytes") || j.Len() != 0 {
		t.Errorf("LoadFrom(%d bytes) = %v with %d cookies, want an error and none", len(big), err, j.Len())
	}
	if err := j.Load(filepath.Join(t.TempDir(), "missing.txt")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want fs.ErrNotExist", err)
	}
	if err := j.Load(t.TempDir()); err == nil {
		t.Errorf("Load(a directory) = nil")
	}
	for _, bad := range []string{`{"format":"grab-cookies","version":1,"cookies":[{"name":"a",}]}`, `{"format":"grab-cookies","version":2,"cookies":[]}`,
		`{"format":"other","version":1}`, `{"cookies":[]}`, `{`, `{"format":"grab-cookies","version":1} x`, `{"format":"grab-cookies","version":"1"}`} {
		j := new(cookies.Jar)
		err := j.LoadFrom(strings.NewReader(bad))
		var le *cookies.LoadError
		if err == nil || errors.As(err, &le) || j.Len() != 0 {
			t.Errorf("LoadFrom(%q) = %v with %d cookies, want an error and none", bad, err, j.Len())
		}
	}
	// A reader that fails loads nothing.
	j = new(cookies.Jar)
	if err := j.LoadFrom(&failReader{data: []byte(jarFile("h.test|FALSE|/|FALSE|EXP|a|1"))}); err == nil || j.Len() != 0 {
		t.Errorf("LoadFrom(failing reader) = %v with %d cookies", err, j.Len())
	}
}

type failReader struct{ data []byte }

func (r *failReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, errors.New("disk on fire")
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

// TestLoadErrorCap checks that a file of bad lines reports them all in
// the count and the first MaxLineErrors in detail.
func TestLoadErrorCap(t *testing.T) {
	j := new(cookies.Jar)
	err := j.LoadFrom(strings.NewReader(strings.Repeat("bad line\n", 1000) + jarFile("h.test|FALSE|/|FALSE|EXP|a|1")))
	var le *cookies.LoadError
	if !errors.As(err, &le) || le.Skipped != 1000 || len(le.Lines) != cookies.MaxLineErrors || j.Len() != 1 {
		t.Fatalf("err = %v, jar %d cookies", err, j.Len())
	}
	if le.Lines[99].Line != 100 {
		t.Errorf("last detailed line = %d, want 100", le.Lines[99].Line)
	}

	// Cookies the limits evict while loading are counted too (D7, D8).
	var lines []string
	for i := range 60 {
		lines = append(lines, fmt.Sprintf("h.test|FALSE|/|FALSE|EXP|c%d|1", i))
	}
	j = new(cookies.Jar)
	err = j.LoadFrom(strings.NewReader(jarFile(lines...)))
	if !errors.As(err, &le) || le.Evicted != 10 || le.Skipped != 0 || j.Len() != 50 ||
		err.Error() != "cookies: load: 10 cookies evicted by the jar's limits" {
		t.Errorf("err = %v, jar %d cookies; want 10 evicted, 50 kept", err, j.Len())
	}
	if h := header(t, j, "http://h.test/"); !strings.HasPrefix(h, "c10=1; ") {
		t.Errorf("kept %q, want the last 50 lines", h)
	}
}

// TestLoadJSON reads the JSON format, with line numbers for bad cookies.
func TestLoadJSON(t *testing.T) {
	exp := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	file := `{
  "format": "grab-cookies",
  "version": 1,
  "future": {"ignored": [1, 2]},
  "cookies": [
    {"name": "a", "value": "1", "domain": "example.com", "host_only": true, "path": "/", "secure": true, "http_only": true, "same_site": "Strict", "expires": "` + exp + `", "created": "2020-01-02T03:04:05Z"},
    {"name": "b", "value": "x y", "quoted": true, "domain": "example.com", "host_only": false, "path": "/p", "same_site": "lax"},
    {"name": "c", "value": 3, "domain": "example.com", "path": "/"},
    {"name": "d", "value": "1", "domain": "com", "host_only": false, "path": "/"},
    {"name": "e", "value": "1", "domain": "example.com", "path": "/", "same_site": "sometimes"},
    {"name": "f", "value": "1", "domain": "example.com", "path": "/", "expires": "yesterday"}
  ]
}`
	j := new(cookies.Jar)
	err := j.LoadFrom(strings.NewReader(file))
	if got, want := lineNumbers(err), []int{8, 9, 10, 11}; !slices.Equal(got, want) {
		t.Errorf("bad lines %v, want %v: %v", got, want, err)
	}
	all := j.All()
	if len(all) != 2 {
		t.Fatalf("loaded %q", dump(j))
	}
	a, b := all[0], all[1]
	if describe(a) != "a=1 example.com/ host-only,secure,httponly" || a.SameSite != http.SameSiteStrictMode ||
		!a.Creation.Equal(time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("a = %+v", a)
	}
	if describe(b) != "b=x y example.com/p session" || !b.Quoted || b.SameSite != http.SameSiteLaxMode {
		t.Errorf("b = %+v", b)
	}
	if h := header(t, j, "https://example.com/p"); h != `b="x y"; a=1` {
		t.Errorf("header = %q", h)
	}
}

// TestRoundTrip checks save → load → save stability in both formats,
// with and without session cookies.
func TestRoundTrip(t *testing.T) {
	j := new(cookies.Jar)
	setCookie(t, j, "https://www.example.com/a/b", "s=1; Secure; HttpOnly; Max-Age=3600; SameSite=None")
	setCookie(t, j, "https://www.example.com/", "d=2; Domain=example.com; Max-Age=7200")
	setCookie(t, j, "http://127.0.0.1:8080/", `q="x y"; Max-Age=60`)
	setCookie(t, j, "http://[::1]/", "v6=1; Max-Age=60; Path=/")
	setCookie(t, j, "http://h.test/", "session=1")
	setCookie(t, j, "http://h.test/", "empty=; Max-Age=60")
	for _, opts := range []cookies.SaveOptions{{}, {Session: true}, {Format: cookies.JSON}, {Format: cookies.JSON, Session: true}} {
		t.Run(fmt.Sprintf("%v session=%v", opts.Format, opts.Session), func(t *testing.T) {
			var first bytes.Buffer
			if err := j.SaveTo(&first, &opts); err != nil {
				t.Fatal(err)
			}
			j2 := new(cookies.Jar)
			if err := j2.LoadFrom(bytes.NewReader(first.Bytes())); err != nil {
				t.Fatalf("LoadFrom: %v\n%s", err, first.String())
			}
			var second bytes.Buffer
			if err := j2.SaveTo(&second, &opts); err != nil {
				t.Fatal(err)
			}
			if opts.Format == cookies.Netscape && first.String() != second.String() {
				t.Errorf("second save differs:\n%s\nfirst:\n%s", second.String(), first.String())
			}
			// JSON keeps creation times; Netscape cannot, so compare the rest.
			wantN := 5
			if opts.Session {
				wantN = 6
			}
			if j2.Len() != wantN {
				t.Errorf("reloaded %d cookies, want %d:\n%s", j2.Len(), wantN, dump(j2))
			}
			for _, u := range []string{"https://www.example.com/a/b", "http://127.0.0.1/", "http://[::1]/", "http://h.test/", "http://x.example.com/"} {
				want := header(t, j, u)
				if !opts.Session {
					want = strings.TrimSuffix(strings.ReplaceAll(want, "session=1; ", ""), "; session=1")
					want = strings.TrimPrefix(want, "session=1")
				}
				if got := header(t, j2, u); got != want {
					t.Errorf("%s: reloaded jar sends %q, want %q", u, got, want)
				}
			}
			if opts.Format == cookies.JSON {
				a, b := j.All(), j2.All()
				for i := range b {
					k := slices.IndexFunc(a, func(c cookies.Cookie) bool { return c.Name == b[i].Name })
					if !a[k].Creation.Equal(b[i].Creation) || a[k].Expires.Unix() != b[i].Expires.Unix() || a[k].SameSite != b[i].SameSite {
						t.Errorf("%s: reloaded %+v, saved %+v", b[i].Name, b[i], a[k])
					}
				}
				if first.String() != second.String() {
					t.Errorf("second JSON save differs:\n%s\nfirst:\n%s", second.String(), first.String())
				}
			}
		})
	}
}

// TestSaveNetscapeFormat pins the bytes Save writes.
func TestSaveNetscapeFormat(t *testing.T) {
	j := new(cookies.Jar)
	setCookie(t, j, "https://www.example.com/", "s=1; Secure; HttpOnly")
	setCookie(t, j, "https://www.example.com/", "d=2; Domain=example.com; Path=/p; Expires=Wed, 01 Jan 2099 00:00:00 GMT")
	var b bytes.Buffer
	if err := j.SaveTo(&b, &cookies.SaveOptions{Session: true}); err != nil {
		t.Fatal(err)
	}
	exp := strconv.FormatInt(j.All()[0].Expires.Unix(), 10) // capped at 400 days
	want := "# Netscape HTTP Cookie File\n# https://curl.se/docs/http-cookies.html\n" +
		"# This file was generated by grab (github.com/grabhq/grab/cookies). Edit at your own risk.\n\n" +
		"#HttpOnly_www.example.com\tFALSE\t/\tTRUE\t0\ts\t1\n" +
		".example.com\tTRUE\t/p\tFALSE\t" + exp + "\td\t2\n"
	if b.String() != want {
		t.Errorf("SaveTo wrote\n%q\nwant\n%q", b.String(), want)
	}
	b.Reset()
	if err := j.SaveTo(&b, nil); err != nil || strings.Contains(b.String(), "\ts\t") {
		t.Errorf("SaveTo(nil) wrote a session cookie or failed (%v):\n%s", err, b.String())
	}
	if err := j.SaveTo(&b, &cookies.SaveOptions{Format: 7}); err == nil {
		t.Errorf("SaveTo(Format 7) = nil")
	}
}

// TestSaveFile is HOSTILE.md D10: modes, symbolic links, failures.
func TestSaveFile(t *testing.T) {
	j := new(cookies.Jar)
	setCookie(t, j, "http://h.test/", "a=1; Max-Age=600")
	dir := t.TempDir()

	t.Run("D10 new file is 0600", func(t *testing.T) {
		p := filepath.Join(dir, "new.txt")
		if err := j.Save(p, nil); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("mode = %v, %v; want 0600", fi.Mode(), err)
		}
	})
	for _, mode := range []os.FileMode{0o644, 0o640, 0o400, 0o600} {
		t.Run(fmt.Sprintf("D10 existing %04o kept", mode), func(t *testing.T) {
			p := filepath.Join(dir, fmt.Sprintf("mode%o.txt", mode))
			if err := os.WriteFile(p, []byte("old"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(p, mode); err != nil {
				t.Fatal(err)
			}
			if err := j.Save(p, nil); err != nil {
				t.Fatal(err)
			}
			if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != mode {
				t.Errorf("mode = %v, %v; want %v", fi.Mode(), err, mode)
			}
		})
	}
	t.Run("D10 symlink at the jar path is refused", func(t *testing.T) {
		target := filepath.Join(dir, "target.txt")
		if err := os.WriteFile(target, []byte("precious"), 0o644); err != nil {
			t.Fatal(err)
		}
		link := filepath.Join(dir, "link.txt")
		if err := os.Symlink(target, link); err != nil {
			t.Skipf("no symlinks here: %v", err)
		}
		err := j.Save(link, nil)
		if err == nil || !strings.Contains(err.Error(), "symbolic link") {
			t.Errorf("Save(symlink) = %v, want a refusal", err)
		}
		if b, _ := os.ReadFile(target); string(b) != "precious" {
			t.Errorf("target now holds %q", b)
		}
		if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			t.Errorf("link replaced: %v %v", fi.Mode(), err)
		}
		// A dangling link too: nothing is created at its target.
		dangling := filepath.Join(dir, "dangling.txt")
		os.Symlink(filepath.Join(dir, "nowhere.txt"), dangling)
		if err := j.Save(dangling, nil); err == nil {
			t.Errorf("Save(dangling symlink) = nil")
		}
		if _, err := os.Stat(filepath.Join(dir, "nowhere.txt")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Save created the dangling link's target")
		}
	})
	t.Run("D10 not a regular file", func(t *testing.T) {
		if err := j.Save(dir, nil); err == nil {
			t.Errorf("Save(a directory) = nil")
		}
	})
	t.Run("D10 path longer than PATH_MAX", func(t *testing.T) {
		p := filepath.Join(dir, strings.Repeat("d/", 2100), "jar.txt")
		if err := j.Save(p, nil); err == nil {
			t.Errorf("Save(long path) = nil")
		}
		long := filepath.Join(dir, strings.Repeat("n", 300))
		if err := j.Save(long, nil); err == nil {
			t.Errorf("Save(300-byte name) = nil")
		}
	})
	t.Run("no temporary files left", func(t *testing.T) {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if strings.Contains(e.Name(), ".tmp-") {
				t.Errorf("left behind: %s", e.Name())
			}
		}
	})
	t.Run("Load then Save of a relative name", func(t *testing.T) {
		t.Chdir(dir)
		if err := j.Save("rel.txt", nil); err != nil {
			t.Fatal(err)
		}
		j2 := new(cookies.Jar)
		if err := j2.Load("rel.txt"); err != nil || j2.Len() != 1 {
			t.Errorf("Load(rel.txt) = %v, %d cookies", err, j2.Len())
		}
	})
}

// TestSpecialNames is HOSTILE.md D11's second half: the library gives no
// meaning to "-", "none" or "": they are paths like any other (the CLI
// decides what they mean).
func TestSpecialNames(t *testing.T) {
	t.Chdir(t.TempDir())
	j := new(cookies.Jar)
	setCookie(t, j, "http://h.test/", "a=1; Max-Age=60")
	for _, name := range []string{"-", "none"} {
		if err := j.Save(name, nil); err != nil {
			t.Errorf("Save(%q): %v", name, err)
		}
		if _, err := os.Stat(name); err != nil {
			t.Errorf("Save(%q) made no file of that name: %v", name, err)
		}
		j2 := new(cookies.Jar)
		if err := j2.Load(name); err != nil || j2.Len() != 1 {
			t.Errorf("Load(%q) = %v, %d cookies", name, err, j2.Len())
		}
	}
	if err := j.Save("", nil); err == nil {
		t.Errorf(`Save("") = nil, want an error`)
	}
	if err := j.Load(""); err == nil {
		t.Errorf(`Load("") = nil, want an error`)
	}
}

// TestConcurrentSaves is HOSTILE.md D11 in one process: two jars save
// the same path over and over; the file is always one jar's whole
// contents (last writer wins), and a reader never sees a mix.
func TestConcurrentSaves(t *testing.T) {
	p := filepath.Join(t.TempDir(), "jar.txt")
	jars := [2]*cookies.Jar{new(cookies.Jar), new(cookies.Jar)}
	var want [2]string
	for i, j := range jars {
		for k := range 40 {
			setCookie(t, j, "http://h"+strconv.Itoa(i)+".test/", fmt.Sprintf("c%d=%s; Max-Age=600", k, strings.Repeat("x", 100)))
		}
		var b bytes.Buffer
		j.SaveTo(&b, nil)
		want[i] = b.String()
	}
	if err := os.WriteFile(p, []byte(want[0]), 0o600); err != nil {
		t.Fatal(err)
	}
	var writers, reader sync.WaitGroup
	stop := make(chan struct{})
	for _, j := range jars {
		writers.Go(func() {
			for range 50 {
				if err := j.Save(p, nil); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	reader.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			b, err := os.ReadFile(p)
			if err != nil {
				t.Error(err)
				return
			}
			if string(b) != want[0] && string(b) != want[1] {
				t.Errorf("read a file that is neither jar (%d bytes)", len(b))
				return
			}
		}
	})
	writers.Wait()
	close(stop)
	reader.Wait()
	if b, _ := os.ReadFile(p); string(b) != want[0] && string(b) != want[1] {
		t.Errorf("final file is neither jar")
	}

	// Merging is Load before Save.
	j := new(cookies.Jar)
	setCookie(t, j, "http://mine.test/", "m=1; Max-Age=600")
	if err := j.Load(p); err != nil {
		t.Fatal(err)
	}
	if err := j.Save(p, nil); err != nil {
		t.Fatal(err)
	}
	j2 := new(cookies.Jar)
	if err := j2.Load(p); err != nil || j2.Len() != 41 {
		t.Errorf("merged file: %v, %d cookies, want 41", err, j2.Len())
	}
}

// TestLoadJSONFormatLast: a file that turns out not to be a grab-cookies
// file (its format key after its cookies) loads nothing, though its
// cookies came first; and a file of many objects numbers their lines.
func TestLoadJSONFormatLast(t *testing.T) {
	j := new(cookies.Jar)
	err := j.LoadFrom(strings.NewReader(`{"cookies": [{"name": "a", "value": "1", "domain": "example.com", "host_only": true, "path": "/"}], "format": "other", "version": 1}`))
	if err == nil || !strings.Contains(err.Error(), `not a grab-cookies version 1 file (format "other"`) || j.Len() != 0 {
		t.Errorf("err = %v, jar %q; want the file refused and nothing loaded", err, dump(j))
	}
	var b strings.Builder
	b.WriteString("{\"format\": \"grab-cookies\", \"version\": 1, \"cookies\": [\n")
	for i := range 5000 {
		fmt.Fprintf(&b, "{\"name\": \"c%d\", \"value\": %d},\n", i, i) // a number: each a bad object
	}
	b.WriteString("{}]}\n")
	err = j.LoadFrom(strings.NewReader(b.String()))
	var le *cookies.LoadError
	if !errors.As(err, &le) || le.Skipped != 5001 || len(le.Lines) != cookies.MaxLineErrors || le.Lines[99].Line != 101 {
		t.Errorf("err = %v; want 5001 skipped, the 100th on line 101", err)
	}
}

// BenchmarkLoadJSON loads a JSON jar of 100,000 cookie objects (once
// quadratic: every object counted the lines from the file's start).
func BenchmarkLoadJSON(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("{\"format\": \"grab-cookies\", \"version\": 1, \"cookies\": [\n")
	for i := range 100000 {
		if i > 0 {
			sb.WriteString(",\n")
		}
		fmt.Fprintf(&sb, `{"name": "c%d", "value": "1", "domain": "h%d.example.com", "host_only": true, "path": "/"}`, i, i%1000)
	}
	sb.WriteString("]}\n")
	file := sb.String()
	b.SetBytes(int64(len(file)))
	b.ReportAllocs()
	for b.Loop() {
		j := new(cookies.Jar)
		if err := j.LoadFrom(strings.NewReader(file)); err != nil {
			var le *cookies.LoadError
			if !errors.As(err, &le) || le.Skipped != 0 {
				b.Fatal(err)
			}
		}
	}
}

// TestLoadPastTotal: a file of more cookies than the jar keeps in all
// loads its last ones (the file's order is their creation order), the
// others counted as evicted; cookies set before stay when newer.
func TestLoadPastTotal(t *testing.T) {
	j := new(cookies.Jar)
	var sb strings.Builder
	for i := range cookies.DefaultMaxTotal + 10 {
		fmt.Fprintf(&sb, "h%d.test\tFALSE\t/\tFALSE\t0\tc\t%d\n", i, i)
	}
	err := j.LoadFrom(strings.NewReader(sb.String()))
	var le *cookies.LoadError
	if !errors.As(err, &le) || le.Evicted != 10 || j.Len() != cookies.DefaultMaxTotal {
		t.Fatalf("LoadFrom: %v; %d cookies kept", err, j.Len())
	}
	for i, want := range map[int]bool{0: false, 9: false, 10: true, cookies.DefaultMaxTotal + 9: true} {
		u := &url.URL{Scheme: "http", Host: "h" + strconv.Itoa(i) + ".test", Path: "/"}
		if got := len(j.For(u)) == 1; got != want {
			t.Errorf("cookie %d kept: %v, want %v", i, got, want)
		}
	}
}

// BenchmarkLoadManySites loads a cookies.txt of 20,000 cookies, one a
// site, past the jar's 3000 in all (once quadratic: every cookie past the
// limit ran an eviction over the whole jar).
func BenchmarkLoadManySites(b *testing.B) {
	var sb strings.Builder
	for i := range 20000 {
		fmt.Fprintf(&sb, "h%d.test\tFALSE\t/\tFALSE\t0\tc\t%d\n", i, i)
	}
	file := sb.String()
	b.SetBytes(int64(len(file)))
	b.ReportAllocs()
	for b.Loop() {
		j := new(cookies.Jar)
		err := j.LoadFrom(strings.NewReader(file))
		var le *cookies.LoadError
		if !errors.As(err, &le) || le.Skipped != 0 || le.Evicted != 20000-cookies.DefaultMaxTotal || j.Len() != cookies.DefaultMaxTotal {
			b.Fatalf("LoadFrom: %v, %d cookies kept", err, j.Len())
		}
	}
}

// TestLoadSingleLabelDomain: a domain cookie for a single label the public
// suffix list does not know (curl writes Domain=localhost from localhost
// as ".localhost TRUE") is kept, host-only, and saved so; "com" is still
// refused.
func TestLoadSingleLabelDomain(t *testing.T) {
	j := new(cookies.Jar)
	err := j.LoadFrom(strings.NewReader(".localhost\tTRUE\t/\tFALSE\t0\ta\t1\n.com\tTRUE\t/\tFALSE\t0\tb\t2\n"))
	var le *cookies.LoadError
	if !errors.As(err, &le) || !strings.Contains(err.Error(), `line 2: domain "com" is a public suffix`) {
		t.Fatalf("LoadFrom: %v", err)
	}
	for _, host := range []string{"localhost", "a.localhost"} {
		got := j.For(&url.URL{Scheme: "http", Host: host, Path: "/"})
		if want := host == "localhost"; (len(got) == 1 && got[0].Name == "a") != want {
			t.Errorf("%s gets %v, want a=1 %v", host, got, want)
		}
	}
	var b strings.Builder
	if err := j.SaveTo(&b, &cookies.SaveOptions{Session: true}); err != nil || !strings.Contains(b.String(), "\nlocalhost\tFALSE\t/\tFALSE\t0\ta\t1\n") {
		t.Errorf("saved %q, %v", b.String(), err)
	}
}

func TestLoadFromNil(t *testing.T) {
	j := new(cookies.Jar)
	if err := j.LoadFrom(nil); err == nil || err.Error() != "cookies: load: nothing to read: the io.Reader is nil" {
		t.Errorf("LoadFrom(nil) = %v, want the nil reader named", err)
	}
}

func TestDetectFormat(t *testing.T) {
	tests := []struct {
		head string
		want cookies.Format
	}{
		{"", cookies.Netscape},
		{"# Netscape HTTP Cookie File\n", cookies.Netscape},
		{"example.com\tFALSE\t/\tFALSE\t0\ta\tb\n", cookies.Netscape},
		{`{"format": "grab-cookies"}`, cookies.JSON},
		{"\xef\xbb\xbf \r\n\t{", cookies.JSON},
		{"[{}]", cookies.Netscape},
		{"x{", cookies.Netscape},
	}
	for _, tt := range tests {
		if got := cookies.DetectFormat([]byte(tt.head)); got != tt.want {
			t.Errorf("DetectFormat(%q) = %v, want %v", tt.head, got, tt.want)
		}
	}
}

// TestLoadWgetPort: wget --save-cookies writes a host-only cookie of a
// server on a port other than the scheme's as "host:port" (this file is
// wget 1.21's, from a loopback server); it loads for the host, on any
// port, as RFC 6265 cookies are. Something else after a colon is still
// refused.
func TestLoadWgetPort(t *testing.T) {
	file := "# HTTP Cookie File\n# Generated by Wget on 2026-11-22 12:24:48.\n# Edit at your own risk.\n\n" +
		".127.0.0.1\tTRUE\t/\tFALSE\t0\tb\t2\n" +
		"127.0.0.1:34859\tFALSE\t/\tFALSE\t0\ta\t1\n" +
		"example.com:8080\tFALSE\t/\tFALSE\t0\tc\t3\n" +
		"example.com:99999\tFALSE\t/\tFALSE\t0\td\t4\n" +
		"example.com:x\tFALSE\t/\tFALSE\t0\te\t5\n"
	j := new(cookies.Jar)
	err := j.LoadFrom(strings.NewReader(file))
	var le *cookies.LoadError
	if !errors.As(err, &le) || le.Skipped != 2 || le.Lines[0].Line != 8 || le.Lines[1].Line != 9 {
		t.Fatalf("LoadFrom: %v; want lines 8 and 9 skipped", err)
	}
	for u, want := range map[string]string{
		"http://127.0.0.1:8000/": "b=2; a=1",
		"http://example.com/":    "c=3",
		"http://a.example.com/":  "",
	} {
		if got := header(t, j, u); got != want {
			t.Errorf("%s gets %q, want %q", u, got, want)
		}
	}
}
