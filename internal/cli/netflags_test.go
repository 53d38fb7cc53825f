package cli

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grabhq/grab/fetch"
	"github.com/grabhq/grab/testserver"
)

// TestGetCredentials covers -u with --basic, --digest and --anyauth,
// --oauth2-bearer and -n/--netrc-file: the textbook's 2-4 from the shell.
func TestGetCredentials(t *testing.T) {
	base := getServer(t)
	host := strings.TrimPrefix(base, "http://")
	netrcFile := filepath.Join(t.TempDir(), "netrc")
	netrcHost, _, _ := strings.Cut(host, ":")
	badNetrc := filepath.Join(t.TempDir(), "bad")
	if err := os.WriteFile(badNetrc, []byte("machine h\npasswrd x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(netrcFile, []byte("machine "+netrcHost+" login kim password s3cret\nmachine "+netrcHost+" login alice password wonder\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	authed := contains(`"authorized": true`)
	tests := []stdinTest{
		{runTest{"-u Basic", []string{"get", "-u", "kim:s3cret", base + "/basic-auth/kim/s3cret"}, ExitOK, authed, empty}, ""},
		{runTest{"-u wrong password", []string{"get", "-f", "-u", "kim:nope", base + "/basic-auth/kim/s3cret"}, ExitHTTPError, empty, contains("401")}, ""},
		{runTest{"--digest MD5", []string{"get", "--digest", "-u", "kim:s3cret", base + "/digest-auth/auth/kim/s3cret/MD5"}, ExitOK, authed, empty}, ""},
		{runTest{"--digest SHA-256", []string{"get", "--digest", "-u", "kim:s3cret", base + "/digest-auth/auth/kim/s3cret/SHA-256"}, ExitOK, authed, empty}, ""},
		{runTest{"--anyauth Digest", []string{"get", "--anyauth", "-u", "kim:s3cret", base + "/digest-auth/auth/kim/s3cret/MD5"}, ExitOK, authed, empty}, ""},
		{runTest{"--anyauth Basic", []string{"get", "--anyauth", "-u", "kim:s3cret", base + "/basic-auth/kim/s3cret"}, ExitOK, authed, empty}, ""},
		{runTest{"--digest with the URL's user:pass, never as Basic", []string{"get", "-v", "--digest", strings.Replace(base, "http://", "http://kim:s3cret@", 1) + "/digest-auth/auth/kim/s3cret/MD5"}, ExitOK, authed,
			all(contains("> Authorization: Digest"), lacks("Authorization: Basic"))}, ""},
		{runTest{"-u for a page with no URL goes nowhere", []string{"images", "-q", "-u", "kim:s3cret", "--download", t.TempDir(), "-"}, ExitOK, empty, equals("grab: warning: stdin has no URL: relative image URLs are left out (give --page-url)\n")},
			`<img src="` + base + `/img/64x64/1.png">`},
		{runTest{"--anyauth with the URL's user:pass", []string{"get", "--anyauth", strings.Replace(base, "http://", "http://kim:s3cret@", 1) + "/digest-auth/auth/kim/s3cret/MD5"}, ExitOK, authed, empty}, ""},
		{runTest{"--oauth2-bearer", []string{"get", "--oauth2-bearer", "tok-123", base + "/bearer"}, ExitOK, contains(`"token": "tok-123"`), empty}, ""},
		{runTest{"--netrc-file", []string{"get", "--netrc-file", netrcFile, base + "/basic-auth/kim/s3cret"}, ExitOK, authed, empty}, ""},
		{runTest{"--netrc-file missing", []string{"get", "--netrc-file", netrcFile + ".missing", base + "/hello"}, ExitFailure, empty, contains("netrc")}, ""},
		{runTest{"--netrc-file bad", []string{"get", "--netrc-file", badNetrc, base + "/hello"}, ExitFailure, empty, equals("grab: netrc: " + badNetrc + ": line 2: unknown token \"passwrd\"\n")}, ""},
		{runTest{"--netrc-file, the URL's login", []string{"get", "--netrc-file", netrcFile, "http://alice@" + host + "/basic-auth/alice/wonder"}, ExitOK, authed, empty}, ""},
		{runTest{"--netrc-file --digest", []string{"get", "--netrc-file", netrcFile, "--digest", base + "/digest-auth/auth/kim/s3cret/MD5"}, ExitOK, authed, empty}, ""},
		{runTest{"--netrc-file --anyauth", []string{"get", "--netrc-file", netrcFile, "--anyauth", base + "/digest-auth/auth/kim/s3cret/MD5"}, ExitOK, authed, empty}, ""},
		{runTest{"the URL's password over --netrc-file", []string{"get", "--netrc-file", netrcFile, "http://kim:other@" + host + "/basic-auth/kim/other"}, ExitOK, authed, empty}, ""},
		{runTest{"-u over -n, --digest", []string{"get", "--netrc-file", netrcFile, "--digest", "-u", "alice:wonder", base + "/digest-auth/auth/alice/wonder/MD5"}, ExitOK, authed, empty}, ""},
		{runTest{"the URL's password, -n --digest", []string{"get", "--netrc-file", netrcFile, "--digest", "http://bob:pw@" + host + "/digest-auth/auth/bob/pw/MD5"}, ExitOK, authed, empty}, ""},
		{runTest{"-u over the URL's password", []string{"get", "-u", "kim:s3cret", "http://kim:wrong@" + host + "/basic-auth/kim/s3cret"}, ExitOK, authed, empty}, ""},
		{runTest{"a URL's login alone is sent with no password", []string{"get", "http://bob@" + host + "/headers"}, ExitOK, contains(`"Basic Ym9iOg=="`), empty}, ""},
		{runTest{"--digest without -u", []string{"get", "--digest", base + "/hello"}, ExitUsage, empty, contains("need -u USER:PASSWORD, -n or a URL's user:password")}, ""},
		{runTest{"-u without a colon", []string{"get", "-u", "kim", base + "/hello"}, ExitUsage, empty, contains("USER:PASSWORD")}, ""},
		{runTest{"-u not sent to another origin", []string{"get", "-u", "kim:s3cret", base + "/redirect-to?url=" + strings.Replace(base, "127.0.0.1", "localhost", 1) + "/headers"}, ExitOK,
			func(got string) string {
				if strings.Contains(got, "Authorization") {
					return "Authorization reached another origin: " + got
				}
				return ""
			}, empty}, ""},
	}
	runStdinTests(t, tests)
}

// TestCookieJarSaveFails: a -c jar that cannot be saved is an error of
// every command: exit 1 after a transfer that went well, printed beside
// the transfer's own error (and its exit code) after one that did not.
func TestCookieJarSaveFails(t *testing.T) {
	base := getServer(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "no-such-dir", "jar.txt")
	saveErr := contains("grab: --cookie-jar: ", "no-such-dir")
	tests := []stdinTest{
		{runTest{"get", []string{"get", "-c", bad, base + "/hello"}, ExitFailure, contains("Hello"), saveErr}, ""},
		{runTest{"get, failed transfer", []string{"get", "-f", "-c", bad, base + "/status/404"}, ExitHTTPError, empty, contains("404", "grab: --cookie-jar: ")}, ""},
		{runTest{"download", []string{"download", "-q", "-d", dir, "--cookie-jar", bad, base + "/hello"}, ExitFailure, empty, saveErr}, ""},
		{runTest{"images", []string{"images", "-c", bad, base + "/gallery/1.html"}, ExitFailure, contains("http"), saveErr}, ""},
	}
	runStdinTests(t, tests)
}

// TestGetCookies covers -b NAME=VALUE, -b FILE and -c FILE: the textbook's
// 2-5 from the shell, and a jar that curl can read.
func TestGetCookies(t *testing.T) {
	base := getServer(t)
	var manyCookies string
	for i := range 60 {
		manyCookies += fmt.Sprintf("127.0.0.1\tFALSE\t/\tFALSE\t0\tc%d\t1\n", i)
	}
	dir := t.TempDir()
	jar := filepath.Join(dir, "jar.txt")
	tests := []stdinTest{
		{runTest{"-b literal", []string{"get", "-b", "a=1; b=2", base + "/cookies"}, ExitOK, contains(`"a": "1"`, `"b": "2"`), empty}, ""},
		{runTest{"-c saves", []string{"get", "-c", jar, base + "/cookies/set?session=abc"}, ExitOK, contains(`"session": "abc"`), empty}, ""},
		{runTest{"-b loads", []string{"get", "-b", jar, base + "/cookies"}, ExitOK, contains(`"session": "abc"`), empty}, ""},
		// A file not there yet loads nothing, as curl's: "-b jar -c jar"
		// works from the first run.
		{runTest{"-b missing file, -c the same", []string{"get", "-b", filepath.Join(dir, "new.txt"), "-c", filepath.Join(dir, "new.txt"), base + "/cookies/set?first=1"}, ExitOK, contains(`"first": "1"`), empty}, ""},
		{runTest{"-b the file -c made", []string{"get", "-b", filepath.Join(dir, "new.txt"), base + "/cookies"}, ExitOK, contains(`"first": "1"`), empty}, ""},
		{runTest{"-c - writes the jar to stdout", []string{"get", "-o", filepath.Join(dir, "body"), "-c", "-", base + "/cookies/set?k=v"}, ExitOK, contains("# Netscape HTTP Cookie File", "\tk\tv"), empty}, ""},
		// The special names (HOSTILE.md D11): "-" and "" only.
		{runTest{"-b - reads the jar from stdin", []string{"get", "-b", "-", base + "/cookies"}, ExitOK, contains(`"fromstdin": "1"`), empty},
			"127.0.0.1\tFALSE\t/\tFALSE\t0\tfromstdin\t1\n"},
		{runTest{`-b "" keeps the server's cookies`, []string{"get", "-b", "", base + "/cookies/set?k=v"}, ExitOK, contains(`"k": "v"`), empty}, ""},
		{runTest{"without -b the redirect carries none", []string{"get", base + "/cookies/set?k=v"}, ExitOK, lacks(`"k": "v"`), empty}, ""},
		{runTest{`-c ""`, []string{"get", "-c", "", base + "/cookies"}, ExitUsage, empty, contains(`--cookie-jar "": want a file name`)}, ""},
		{runTest{"-b none is a file (none here: nothing loaded)", []string{"get", "-b", "none", base + "/cookies/set?k=v"}, ExitOK, contains(`"k": "v"`), empty}, ""},
		// More cookies for one site than the jar keeps (a browser's
		// export): the rest are kept, with a warning.
		{runTest{"-b over the jar's limits", []string{"get", "-b", "-", base + "/cookies"}, ExitOK, contains(`"c59": "1"`),
			equals("grab: warning: cookies: load: 10 cookies evicted by the jar's limits\n")}, manyCookies},
		// A jar keeps its format: JSON for a .json name or a file
		// holding JSON, Netscape otherwise.
		{runTest{"-c x.json writes JSON", []string{"get", "-c", filepath.Join(dir, "x.json"), base + "/cookies/set?j=1"}, ExitOK, contains(`"j": "1"`), empty}, ""},
		{runTest{"-b x.json -c x.json", []string{"get", "-b", filepath.Join(dir, "x.json"), "-c", filepath.Join(dir, "x.json"), base + "/cookies/set?j2=2"}, ExitOK, contains(`"j": "1"`, `"j2": "2"`), empty}, ""},
		{runTest{"-c a JSON jar named jar", []string{"get", "-b", filepath.Join(dir, "jsonjar"), "-c", filepath.Join(dir, "jsonjar"), base + "/cookies/set?j3=3"}, ExitOK, contains(`"j3": "3"`), empty}, ""},
		// The jar's Cookie field is one -v shows and -H edits.
		{runTest{"-v shows the jar's cookies", []string{"get", "-v", "-b", "-", base + "/cookies"}, ExitOK, contains(`"sid": "abc"`), contains("> Cookie: sid=abc\n")},
			"127.0.0.1\tFALSE\t/\tFALSE\t0\tsid\tabc\n"},
		{runTest{"-H 'Cookie:' removes the jar's", []string{"get", "-H", "Cookie:", "-b", "-", base + "/headers"}, ExitOK, lacks("sid=abc"), empty},
			"127.0.0.1\tFALSE\t/\tFALSE\t0\tsid\tabc\n"},
	}
	if err := os.WriteFile(filepath.Join(dir, "jsonjar"), []byte("\n  {\"format\": \"grab-cookies\", \"version\": 1, \"cookies\": []}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	runStdinTests(t, tests)
	for name, want := range map[string]string{"x.json": "{", "jsonjar": "{", "jar.txt": "# Netscape", "new.txt": "# Netscape"} {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err != nil || !strings.HasPrefix(string(b), want) {
			t.Errorf("%s: %.40q, %v; want it to start %q", name, b, err, want)
		}
	}
	b, err := os.ReadFile(jar)
	if err != nil || !strings.Contains(string(b), "\tsession\tabc") {
		t.Errorf("jar file: %q, %v", b, err)
	}
	if fi, err := os.Stat(jar); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("jar mode: %v, %v", fi, err)
	}
}

// TestGetProxy covers -x, -U and --noproxy: the textbook's 2-6 from the
// shell, through the test server's recording proxy.
func TestGetProxy(t *testing.T) {
	base := getServer(t)
	px, err := testserver.StartProxy(testserver.ProxyOptions{User: "kim", Password: "pw-secret"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { px.Close() })
	proxyURL := px.URL().String()
	tests := []stdinTest{
		{runTest{"-x -U", []string{"get", "-x", proxyURL, "-U", "kim:pw-secret", base + "/headers"}, ExitOK,
			func(got string) string {
				if strings.Contains(got, "Proxy-Authorization") || !strings.Contains(got, `"Host"`) {
					return "origin saw: " + got
				}
				return ""
			}, empty}, ""},
		{runTest{"-x without -U", []string{"get", "-f", "-x", proxyURL, base + "/hello"}, ExitHTTPError, empty, contains("407")}, ""},
		{runTest{"--noproxy *", []string{"get", "-x", proxyURL, "--noproxy", "*", base + "/hello"}, ExitOK, equals("Hello World"), empty}, ""},
		{runTest{"-x --low-level", []string{"get", "--low-level", "-x", proxyURL, "-U", "kim:pw-secret", base + "/hello"}, ExitOK, equals("Hello World"), empty}, ""},
		{runTest{"-x bad scheme", []string{"get", "-x", "ftp://127.0.0.1:1", base + "/hello"}, ExitUsage, empty, contains("-x")}, ""},
	}
	px.Reset()
	runStdinTests(t, tests)
	recs := px.Records()
	if len(recs) != 3 || !recs[0].Authorized || recs[1].Authorized || !recs[2].Authorized {
		t.Errorf("proxy records: %+v", recs)
	}
}

// TestProxyEmpty: -x "" sends direct whatever the environment says, as
// curl's; without -x the environment's proxy is used, unless http_proxy is
// set empty, which hides HTTP_PROXY as in Python's urllib.
func TestProxyEmpty(t *testing.T) {
	env := func(vars map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	}
	both := env(map[string]string{"HTTP_PROXY": "http://127.0.0.1:1", "http_proxy": "http://127.0.0.1:1"})
	req, _ := http.NewRequest("GET", "http://example.test/", nil)
	for _, tt := range []struct {
		n    netFlags
		env  func(string) (string, bool)
		want string
	}{
		{netFlags{}, both, "http://127.0.0.1:1"},
		{netFlags{proxySet: true}, both, ""},
		{netFlags{}, env(map[string]string{"HTTP_PROXY": "http://127.0.0.1:1", "http_proxy": ""}), ""},
		{netFlags{}, env(map[string]string{"HTTP_PROXY": "http://127.0.0.1:2"}), "http://127.0.0.1:2"},
		// -x keeps NO_PROXY (no_proxy first), as curl's; --noproxy, even
		// "", replaces it.
		{netFlags{proxy: "http://127.0.0.1:3", proxySet: true}, env(map[string]string{"NO_PROXY": "example.test"}), ""},
		{netFlags{proxy: "http://127.0.0.1:3", proxySet: true}, env(map[string]string{"no_proxy": "other.test", "NO_PROXY": "example.test"}), "http://127.0.0.1:3"},
		{netFlags{proxy: "http://127.0.0.1:3", proxySet: true, noProxySet: true}, env(map[string]string{"NO_PROXY": "example.test"}), "http://127.0.0.1:3"},
		{netFlags{proxy: "http://127.0.0.1:3", proxySet: true}, env(nil), "http://127.0.0.1:3"},
	} {
		var o fetch.Opener
		if _, err := tt.n.apply(&o, "", nil, tt.env, strings.NewReader("")); err != nil {
			t.Fatal(err)
		}
		u, err := o.Proxy(req)
		got := ""
		if u != nil {
			got = u.String()
		}
		if err != nil || got != tt.want {
			t.Errorf("-x %q (set %v), --noproxy set %v: proxy %v, %v; want %q", tt.n.proxy, tt.n.proxySet, tt.n.noProxySet, u, err, tt.want)
		}
	}
}

// HOSTILE.md C7 from the command line: a proxy password never shows on
// stderr, in -v or in an error, on either transport. (C5, HTTP_PROXY in a
// CGI process, is proxy.FromEnvironment's, which the CLI calls with the
// process environment; its tests cover it.)
func TestGetProxyRedacted(t *testing.T) {
	noPassword := func(got string) string {
		if strings.Contains(got, "pw-Secret9") {
			return "password on stderr: " + got
		}
		return ""
	}
	tests := []stdinTest{
		{runTest{"-x with userinfo", []string{"get", "-v", "-x", "http://kim:pw-Secret9@127.0.0.1:1", "http://localhost:9/hello"}, ExitFailure, empty, noPassword}, ""},
		{runTest{"-x with userinfo --low-level", []string{"get", "-v", "--low-level", "-x", "http://kim:pw-Secret9@127.0.0.1:1", "https://localhost:9/hello"}, ExitFailure, empty, all(contains("kim:xxxxx@"), lacks("pw-Secret9"))}, ""},
		{runTest{"-U", []string{"get", "-v", "-x", "http://127.0.0.1:1", "-U", "kim:pw-Secret9", "http://localhost:9/hello"}, ExitFailure, empty, noPassword}, ""},
	}
	runStdinTests(t, tests)

	// Through a proxy that answers, -v shows the head as sent: the
	// absolute URL, Proxy-Authorization redacted, the proxy connected to.
	origin := httptest.NewServer(testserver.New())
	t.Cleanup(origin.Close)
	px, err := testserver.StartProxy(testserver.ProxyOptions{User: "kim", Password: "pw-Secret9"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { px.Close() })
	pu := px.URL()
	pu.User = url.UserPassword("kim", "pw-Secret9")
	_, pport, _ := net.SplitHostPort(pu.Host)
	for _, engine := range [][]string{nil, {"--low-level"}} {
		args := append(append([]string{"get", "-v", "-o", os.DevNull, "-x", pu.String()}, engine...), origin.URL)
		runStdinTests(t, []stdinTest{{runTest{"-v through a proxy " + strings.Join(engine, ""), args, ExitOK, empty,
			all(noPassword, contains("* Connected to "+pu.Hostname()+" ("+pu.Hostname()+") port "+pport, "> GET "+origin.URL+"/ HTTP/1.1\n> Host: "+strings.TrimPrefix(origin.URL, "http://")+"\n> Proxy-Authorization: Basic [redacted]\n"))}, ""}})
	}
}

// TestProxyInsecure: --proxy-insecure alone skips an https proxy's
// certificate checks; -k (TLSConfig) leaves them to fetch, which keeps
// them (fetch's TestProxyTLS).
func TestProxyInsecure(t *testing.T) {
	for _, insecure := range []bool{false, true} {
		n := netFlags{proxy: "https://127.0.0.1:1", proxyInsec: insecure}
		var o fetch.Opener
		if _, err := n.apply(&o, "", nil, func(string) (string, bool) { return "", false }, strings.NewReader("")); err != nil {
			t.Fatal(err)
		}
		if got := o.ProxyTLSConfig != nil && o.ProxyTLSConfig.InsecureSkipVerify; got != insecure {
			t.Errorf("--proxy-insecure %v: ProxyTLSConfig %+v", insecure, o.ProxyTLSConfig)
		}
	}
	code, _, stderr := runJob(t, t.Context(), "get", "--proxy-insecure", "-x", "https://127.0.0.1:1", "--help")
	if code != ExitOK || stderr != "" {
		t.Errorf("--proxy-insecure --help: %d %s", code, stderr)
	}
}
