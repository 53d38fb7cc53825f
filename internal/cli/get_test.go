package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grabhq/grab/internal/testkit"
	"github.com/grabhq/grab/testserver"
)

// getServer starts the test server with the fault endpoints (delays capped
// at 3s) and the textbook's CGI script at /cgi-bin/script.py, and returns
// its base URL.
func getServer(t *testing.T) string {
	t.Helper()
	cgiDir := t.TempDir()
	script := "#!/bin/sh\nread -r form\nprintf 'Content-type: text/plain\\n\\n'\necho 'Welcome, CGI Scripts'\n" +
		"printf '%s\\n' \"$form\" | tr '&' '\\n' | sed 's/=/ is /; s/%40/@/g'\n"
	if err := os.WriteFile(filepath.Join(cgiDir, "script.py"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(testserver.New(testserver.WithFaults(), testserver.WithMaxDelay(3*time.Second), testserver.WithCGIDir(cgiDir)))
	t.Cleanup(srv.Close)
	return srv.URL
}

// echo is the part of httpbin's answer the tests read.
type echo struct {
	Method  string              `json:"method"`
	URL     string              `json:"url"`
	Args    map[string][]string `json:"args"`
	Headers map[string][]string `json:"headers"`
	Form    map[string][]string `json:"form"`
	Files   map[string][]string `json:"files"`
	Data    string              `json:"data"`
	JSON    any                 `json:"json"`
}

// echoed checks httpbin's JSON answer on stdout: want returns what is wrong
// with it, or "".
func echoed(want func(r echo) string) check {
	return func(got string) string {
		var r echo
		if err := json.Unmarshal([]byte(got), &r); err != nil {
			return fmt.Sprintf("got %q, not httpbin's JSON: %v", got, err)
		}
		return want(r)
	}
}

func method(m string) check {
	return echoed(func(r echo) string {
		if r.Method != m {
			return fmt.Sprintf("method %q, want %q", r.Method, m)
		}
		return ""
	})
}

// field checks one value of one of httpbin's maps.
func field(what func(r echo) map[string][]string, name, want string) check {
	return echoed(func(r echo) string {
		if got := what(r)[name]; len(got) != 1 || got[0] != want {
			return fmt.Sprintf("%s = %q, want [%q]", name, got, want)
		}
		return ""
	})
}

func header(name, want string) check {
	return field(func(r echo) map[string][]string { return r.Headers }, name, want)
}

func form(name, want string) check {
	return field(func(r echo) map[string][]string { return r.Form }, name, want)
}

func data(want string) check {
	return echoed(func(r echo) string {
		if r.Data != want {
			return fmt.Sprintf("data %q, want %q", r.Data, want)
		}
		return ""
	})
}

func lacks(unwanted ...string) check {
	return func(got string) string {
		for _, u := range unwanted {
			if strings.Contains(got, u) {
				return fmt.Sprintf("got %q, want no %q in it", got, u)
			}
		}
		return ""
	}
}

func matches(re string) check {
	return func(got string) string {
		if !regexp.MustCompile(re).MatchString(got) {
			return fmt.Sprintf("got %q, want a match for %s", got, re)
		}
		return ""
	}
}

func hasSuffix(suffix string) check {
	return func(got string) string {
		if !strings.HasSuffix(got, suffix) {
			return fmt.Sprintf("got %q, want suffix %q", got, suffix)
		}
		return ""
	}
}

// all passes when every check passes.
func all(checks ...check) check {
	return func(got string) string {
		for _, c := range checks {
			if msg := c(got); msg != "" {
				return msg
			}
		}
		return ""
	}
}

// TestGetRequests covers what grab get sends: methods, header fields,
// bodies of every kind, and credentials.
func TestGetRequests(t *testing.T) {
	base := getServer(t)
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	formFile := write("form.txt", "query=python\r\n")
	textFile := write("text.txt", "line 1\nline 2\n")
	jsonFile := write("body.json", `{"from": "file"}`)
	secret := base64.StdEncoding.EncodeToString([]byte("user:s3cret"))
	userURL := strings.Replace(base, "http://", "http://user:s3cret@", 1)
	tests := []stdinTest{
		{runTest{"GET", []string{"get", base + "/hello"}, ExitOK, equals("Hello World"), empty}, ""},
		{runTest{"no scheme is http, as curl", []string{"get", strings.TrimPrefix(base, "http://") + "/hello"}, ExitOK, equals("Hello World"), empty}, ""},
		{runTest{"no scheme, :// in the query", []string{"get", strings.TrimPrefix(base, "http://") + "/anything?next=http://x/"}, ExitOK, contains(`"url": "` + base + `/anything?next=http://x/"`), empty}, ""},
		{runTest{"default User-Agent", []string{"get", base + "/headers"}, ExitOK, header("User-Agent", userAgent()), empty}, ""},
		{runTest{"-X PUT", []string{"get", "-X", "PUT", base + "/anything"}, ExitOK, method("PUT"), empty}, ""},
		{runTest{"-X DELETE", []string{"get", "-X", "DELETE", base + "/anything"}, ExitOK, method("DELETE"), empty}, ""},
		{runTest{"-X PATCH -d", []string{"get", "-X", "PATCH", "-d", "a=1", base + "/anything"}, ExitOK, all(method("PATCH"), form("a", "1")), empty}, ""},
		{runTest{"-H", []string{"get", "-H", "X-Grab: yes", "-H", "Accept: text/plain", base + "/headers"}, ExitOK,
			all(header("X-Grab", "yes"), header("Accept", "text/plain")), empty}, ""},
		{runTest{"-H replaces User-Agent", []string{"get", "-H", "User-Agent: textbook/1.0", base + "/headers"}, ExitOK, header("User-Agent", "textbook/1.0"), empty}, ""},
		{runTest{"-H Name: removes a default", []string{"get", "-H", "User-Agent:", "-H", "Accept-Encoding:", base + "/headers"}, ExitOK,
			all(contains(`"Host"`), lacks("User-Agent", "Accept-Encoding")), empty}, ""},
		{runTest{"-H Name; sends it empty", []string{"get", "-H", "X-Empty;", base + "/headers"}, ExitOK, header("X-Empty", ""), empty}, ""},
		{runTest{"-H Name; empties a default", []string{"get", "-H", "Content-Type;", "-H", "Accept-Encoding;", "-d", "a=1", base + "/post"}, ExitOK,
			all(header("Content-Type", ""), header("Accept-Encoding", ""), method("POST")), empty}, ""},
		{runTest{"-H Name: then Name: value", []string{"get", "-H", "X-A:", "-H", "X-A: back", "-H", "Content-Type:", "-d", "a=1", base + "/post"}, ExitOK,
			all(header("X-A", "back"), lacks("Content-Type")), empty}, ""},
		{runTest{"-A", []string{"get", "-A", "Mozilla/5.0", base + "/user-agent"}, ExitOK, contains(`"user-agent": "Mozilla/5.0"`), empty}, ""},
		{runTest{"-A empty sends none", []string{"get", "-A", "", base + "/headers"}, ExitOK, lacks("User-Agent"), empty}, ""},
		{runTest{"-d makes a form POST", []string{"get", "-d", "query=python", base + "/post"}, ExitOK,
			all(method("POST"), form("query", "python"), header("Content-Type", "application/x-www-form-urlencoded")), empty}, ""},
		{runTest{"-d joined with &", []string{"get", "-d", "a=1", "-d", "b=2", base + "/post"}, ExitOK, data("a=1&b=2"), empty}, ""},
		{runTest{"-d empty", []string{"get", "-d", "", base + "/anything"}, ExitOK, all(method("POST"), data("")), empty}, ""},
		{runTest{"-H Content-Type with -d (2-3)", []string{"get", "-H", "Content-Type: text/plain", "-d", "hello there", base + "/post"}, ExitOK,
			all(data("hello there"), header("Content-Type", "text/plain")), empty}, ""},
		{runTest{"-d @file drops CR and LF", []string{"get", "-d", "@" + formFile, base + "/post"}, ExitOK, data("query=python"), empty}, ""},
		{runTest{"-d @- reads stdin", []string{"get", "-d", "@-", base + "/post"}, ExitOK, form("from", "stdin"), empty}, "from=stdin"},
		{runTest{"--data-binary @file as it is", []string{"get", "-H", "Content-Type: text/plain", "--data-binary", "@" + textFile, base + "/post"}, ExitOK,
			data("line 1\nline 2\n"), empty}, ""},
		{runTest{"--data-raw keeps @", []string{"get", "--data-raw", "@" + textFile, base + "/post"}, ExitOK, data("@" + textFile), empty}, ""},
		{runTest{"--data-urlencode name=content", []string{"get", "--data-urlencode", "q=a b&c=d/é", base + "/post"}, ExitOK,
			all(data("q=a+b%26c%3Dd%2F%C3%A9"), form("q", "a b&c=d/é")), empty}, ""},
		{runTest{"--data-urlencode =content and content", []string{"get", "--data-urlencode", "=a b", "--data-urlencode", "c d", base + "/post"}, ExitOK,
			data("a+b&c+d"), empty}, ""},
		{runTest{"--data-urlencode name@file", []string{"get", "--data-urlencode", "text@" + textFile, "-d", "x=1", base + "/post"}, ExitOK,
			all(data("text=line+1%0Aline+2%0A&x=1"), form("text", "line 1\nline 2\n")), empty}, ""},
		{runTest{"--data-urlencode @file", []string{"get", "--data-urlencode", "@" + textFile, base + "/post"}, ExitOK, data("line+1%0Aline+2%0A"), empty}, ""},
		{runTest{"-G puts data in the query", []string{"get", "-G", "-d", "q=python", "--data-urlencode", "tag=a b", base + "/get?x=1"}, ExitOK,
			all(method("GET"), field(func(r echo) map[string][]string { return r.Args }, "tag", "a b"),
				field(func(r echo) map[string][]string { return r.Args }, "q", "python")), empty}, ""},
		{runTest{"-G after an empty query", []string{"get", "-G", "-d", "z=1", base + "/anything?"}, ExitOK,
			contains(`"url": "` + base + `/anything?z=1"`), empty}, ""},
		{runTest{"--json", []string{"get", "--json", `{"q": "python"}`, base + "/post"}, ExitOK,
			all(method("POST"), header("Content-Type", "application/json"), header("Accept", "application/json"),
				echoed(func(r echo) string {
					if m, ok := r.JSON.(map[string]any); !ok || m["q"] != "python" {
						return fmt.Sprintf("json = %v", r.JSON)
					}
					return ""
				})), empty}, ""},
		{runTest{"--json @file", []string{"get", "--json", "@" + jsonFile, base + "/post"}, ExitOK, data(`{"from": "file"}`), empty}, ""},
		{runTest{"-F fields and a file", []string{"get", "-F", "name=grab", "-F", "file=@" + textFile + ";type=text/plain", "-F", "note=<" + formFile, base + "/post"}, ExitOK,
			all(method("POST"), form("name", "grab"), form("note", "query=python\r\n"),
				field(func(r echo) map[string][]string { return r.Files }, "file", "line 1\nline 2\n"),
				echoed(func(r echo) string {
					if ct := r.Headers["Content-Type"]; len(ct) != 1 || !strings.HasPrefix(ct[0], "multipart/form-data; boundary=") {
						return fmt.Sprintf("Content-Type %q", ct)
					}
					return ""
				})), empty}, ""},
		{runTest{"-F a quoted @ is text, as curl", []string{"get", "-F", `q="@` + textFile + `"`, base + "/post"}, ExitOK, form("q", "@"+textFile), empty}, ""},
		// The user's multipart type gets the body's boundary, as curl
		// adds it (API docs write -H "Content-Type: multipart/form-data").
		{runTest{"-F with -H Content-Type: multipart/form-data", []string{"get", "-H", "Content-Type: multipart/form-data", "-F", "a=b", base + "/post"}, ExitOK,
			all(form("a", "b"), echoed(func(r echo) string {
				if ct := r.Headers["Content-Type"]; len(ct) != 1 || !strings.HasPrefix(ct[0], "multipart/form-data; boundary=") {
					return fmt.Sprintf("Content-Type %q", ct)
				}
				return ""
			})), empty}, ""},
		// A CR or LF in a field name is escaped, never a header line of
		// its own in the part.
		{runTest{"-F a name with CR LF", []string{"get", "-F", "na\r\nX-Inj: 1\r\nme=v", base + "/post"}, ExitOK,
			form("na%0D%0AX-Inj: 1%0D%0Ame", "v"), empty}, ""},
		{runTest{"-u", []string{"get", "-u", "user:s3cret", base + "/basic-auth/user/s3cret"}, ExitOK, contains(`"authenticated": true`), empty}, ""},
		{runTest{"-u -v redacts the password", []string{"get", "-v", "-u", "user:s3cret", base + "/basic-auth/user/s3cret"}, ExitOK,
			contains(`"authenticated": true`), all(contains("> Authorization: Basic [redacted]\n"), lacks("user:s3cret", secret))}, ""},
		{runTest{"password in the URL", []string{"get", "-v", "-w", "%{url_effective}", userURL + "/basic-auth/user/s3cret"}, ExitOK,
			all(contains(`"authenticated": true`), hasSuffix("}\n"+base+"/basic-auth/user/s3cret")), all(contains("Basic [redacted]"), lacks("user:s3cret", secret))}, ""},
		{runTest{"the password is redacted in errors", []string{"get", "http://user:s3cret@127.0.0.1:1/"}, ExitFailure, empty,
			all(contains("grab: Get \"http://"), lacks("s3cret"))}, ""},
	}
	runStdinTests(t, tests)
}

// TestGetTextbook runs the textbook's client examples through grab get:
// 1.2.4 and 2-1 (GET a page), 2-2 (POST query=python), 2-3 (a Content-Type
// and data), 2-9 (HEAD), 2-14 (cgi_client.py posting to the CGI script).
func TestGetTextbook(t *testing.T) {
	base := getServer(t)
	cgi := "Welcome, CGI Scripts\nlanguage is python\nframework is django\nemail is kumar@example.com\n"
	tests := []stdinTest{
		{runTest{"1.2.4 GET a page", []string{"get", base + "/wsgi/"}, ExitOK, equals("This is a sample WSGI Application."), empty}, ""},
		{runTest{"2-1 GET a longer page", []string{"get", base + "/gallery/10.html"}, ExitOK, hasPrefix("<!DOCTYPE html>"), empty}, ""},
		{runTest{"2-2 POST query=python", []string{"get", "-d", "query=python", base + "/post"}, ExitOK, form("query", "python"), empty}, ""},
		{runTest{"2-3 a Content-Type and data", []string{"get", "-H", "Content-Type: text/plain", "-d", "textbook", base + "/post"}, ExitOK,
			all(header("Content-Type", "text/plain"), data("textbook")), empty}, ""},
		{runTest{"2-9 HEAD", []string{"head", base + "/hello"}, ExitOK, all(hasPrefix("HTTP/1.1 200 OK\r\n"), contains("Content-Length: 11\r\n"), hasSuffix("\r\n\r\n"), lacks("Hello")), empty}, ""},
		{runTest{"2-14 cgi_client.py with -d", []string{"get", "-d", "language=python&framework=django&email=kumar%40example.com", base + "/cgi-bin/script.py"}, ExitOK,
			equals(cgi), empty}, ""},
		{runTest{"2-14 cgi_client.py with --data-urlencode", []string{"get", "--data-urlencode", "language=python", "--data-urlencode", "framework=django",
			"--data-urlencode", "email=kumar@example.com", base + "/cgi-bin/script.py"}, ExitOK, equals(cgi), empty}, ""},
		{runTest{"telnet session with -v", []string{"get", "-v", base + "/hello"}, ExitOK, equals("Hello World"),
			all(contains("* Connected to 127.0.0.1 (127.0.0.1) port ",
				"> GET /hello HTTP/1.1\n> Host: "+strings.TrimPrefix(base, "http://")+"\n",
				"> User-Agent: "+userAgent()+"\n",
				"\n>\n< HTTP/1.1 200 OK\n", "< Content-Length: 11\n", "< Content-Type: text/plain; charset=utf-8\n"),
				hasSuffix("\n<\n"), lacks("\r"))}, ""},
	}
	runStdinTests(t, tests)
}

// TestGetOutput covers -i, -I, head, -w, redirects and -f.
func TestGetOutput(t *testing.T) {
	base := getServer(t)
	host := strings.TrimPrefix(base, "http://")
	// A head whose fields are neither sorted nor in canonical case.
	unorderedHead := "HTTP/1.1 200 OK\r\nx-zeta: 1\r\ncontent-length: 2\r\nX-Alpha: 2\r\nx-zeta: 3\r\n\r\n"
	unordered := base + "/fault/raw?hex=" + hex.EncodeToString([]byte(unorderedHead+"ok"))
	tests := []stdinTest{
		{runTest{"-i", []string{"get", "-i", base + "/hello"}, ExitOK,
			all(hasPrefix("HTTP/1.1 200 OK\r\n", "Content-Length: 11\r\n", "Content-Type: text/plain; charset=utf-8\r\n"), hasSuffix("\r\n\r\nHello World")), empty}, ""},
		{runTest{"-i shows the head as received", []string{"get", "-i", base + "/gzip"}, ExitOK, contains("Content-Encoding: gzip\r\n", `"gzipped": true`), empty}, ""},
		{runTest{"-i keeps the fields' order and case", []string{"get", "-i", unordered}, ExitOK, equals(unorderedHead + "ok"), empty}, ""},
		{runTest{"-v keeps the fields' order and case", []string{"get", "-v", unordered}, ExitOK, equals("ok"),
			contains("< HTTP/1.1 200 OK\n< x-zeta: 1\n< content-length: 2\n< X-Alpha: 2\n< x-zeta: 3\n<\n")}, ""},
		{runTest{"--raw decodes nothing", []string{"get", "--raw", base + "/gzip"}, ExitOK, hasPrefix("\x1f\x8b"), empty}, ""},
		{runTest{"-I", []string{"get", "-I", base + "/hello"}, ExitOK, all(hasPrefix("HTTP/1.1 200 OK\r\n"), hasSuffix("\r\n\r\n"), lacks("Hello")), empty}, ""},
		{runTest{"head follows redirects", []string{"head", base + "/redirect/2"}, ExitOK, all(hasPrefix("HTTP/1.1 200 OK\r\n"), contains("Content-Type: application/json")), empty}, ""},
		{runTest{"head --no-location", []string{"head", "--no-location", base + "/redirect/2"}, ExitOK,
			all(hasPrefix("HTTP/1.1 302 Found\r\n"), contains("Location: /relative-redirect/1\r\n")), empty}, ""},
		{runTest{"-L by default", []string{"get", base + "/redirect/3"}, ExitOK, echoed(func(r echo) string {
			if r.URL != base+"/get" {
				return fmt.Sprintf("url %q, want %q", r.URL, base+"/get")
			}
			return ""
		}), empty}, ""},
		{runTest{"-L accepted", []string{"get", "-L", base + "/redirect/1"}, ExitOK, method("GET"), empty}, ""},
		{runTest{"--no-location prints the 302", []string{"get", "--no-location", "-i", "-w", "%{http_code} %{num_redirects}", base + "/redirect/3"}, ExitOK,
			all(hasPrefix("HTTP/1.1 302 Found\r\n", "Location: /relative-redirect/2\r\n"), hasSuffix("\r\n\r\n302 0")), empty}, ""},
		{runTest{"--max-redirs 1", []string{"get", "--max-redirs", "1", base + "/redirect/3"}, ExitFailure, empty,
			contains("fetch: too many redirects: stopped after 1 (302 " + base + "/redirect/3 -> 302 " + base + "/relative-redirect/2)")}, ""},
		{runTest{"-w after too many redirects, as curl", []string{"get", "--max-redirs", "1", "-w", "%{http_code} %{num_redirects} %{url_effective} %{method}", base + "/redirect/3"}, ExitFailure,
			equals("302 1 " + base + "/relative-redirect/2 GET"), contains("too many redirects")}, ""},
		{runTest{"--max-redirs 0", []string{"get", "--max-redirs", "0", base + "/redirect/1"}, ExitFailure, empty,
			equals("grab: fetch: too many redirects: stopped after 0 (302 " + base + "/redirect/1)\n")}, ""},
		{runTest{"--max-redirs 3 is enough", []string{"get", "--max-redirs", "3", base + "/redirect/3"}, ExitOK, method("GET"), empty}, ""},
		{runTest{"-v shows every hop", []string{"get", "-v", base + "/redirect/2"}, ExitOK, method("GET"),
			contains("> GET /redirect/2 HTTP/1.1\n", "< HTTP/1.1 302 Found\n< ", "< Location: /relative-redirect/1\n",
				"> GET /relative-redirect/1 HTTP/1.1\n", "> GET /get HTTP/1.1\n", "< HTTP/1.1 200 OK\n")}, ""},
		{runTest{"a 404 prints its body", []string{"get", "-w", "%{http_code}", base + "/status/404"}, ExitOK, equals("404"), empty}, ""},
		{runTest{"-f on 404", []string{"get", "-f", base + "/status/404"}, ExitHTTPError, empty, equals("grab: The requested URL returned error: 404\n")}, ""},
		{runTest{"-f on 500 with -w", []string{"get", "-f", "-w", "%{http_code}", base + "/status/500"}, ExitHTTPError, equals("500"),
			equals("grab: The requested URL returned error: 500\n")}, ""},
		{runTest{"-f on 200", []string{"get", "-f", base + "/hello"}, ExitOK, equals("Hello World"), empty}, ""},
		{runTest{"--max-filesize under a declared length", []string{"get", "--max-filesize", "10", base + "/hello"}, ExitTooLarge, empty,
			equals("grab: Maximum file size exceeded: the body is 11 bytes, over the 10 allowed\n")}, ""},
		{runTest{"--max-filesize at the declared length", []string{"get", "--max-filesize", "11", base + "/hello"}, ExitOK, equals("Hello World"), empty}, ""},
		{runTest{"--max-filesize passed by a body of no length", []string{"get", "--max-filesize", "1K", base + "/fault/cut?size=2048&send=2048"}, ExitTooLarge,
			equals(strings.Repeat("abcdefghijklmnopqrstuvwxyz", 40)[:1024]), equals("grab: Maximum file size exceeded: the body is more than the 1024 bytes allowed\n")}, ""},
		{runTest{"--max-filesize not passed by a body of no length", []string{"get", "--max-filesize", "2K", base + "/fault/cut?size=2048&send=2048"}, ExitOK,
			equals(strings.Repeat("abcdefghijklmnopqrstuvwxyz", 80)[:2048]), contains("no length")}, ""},
		{runTest{"bad --max-filesize", []string{"get", "--max-filesize", "-1", base + "/hello"}, ExitUsage, empty, contains(`--max-filesize "-1": want a size`)}, ""},
		{runTest{`-o ""`, []string{"get", "-o", "", base + "/hello"}, ExitUsage, empty, contains(`-o "": want a file name, or - for stdout`)}, ""},
		{runTest{"-f does not fail a 3xx", []string{"get", "-f", "--no-location", "-w", "%{http_code}", base + "/redirect/1"}, ExitOK, equals("302"), empty}, ""},
		{runTest{"-L=false is --no-location", []string{"get", "-L=false", "-o", "/dev/null", "-w", "%{http_code}", base + "/redirect/1"}, ExitOK, equals("302"), empty}, ""},
		{runTest{"-w after redirects", []string{"get", "-w", "\\n%{http_code} %{response_code} %{num_redirects} %{url_effective} %{method} %{content_type} %%\\t%header{content-length}", base + "/redirect/3"}, ExitOK,
			func(got string) string {
				body, line, _ := strings.Cut(got, "\n200 ")
				want := fmt.Sprintf("200 3 %s/get GET application/json; charset=utf-8 %%\t%d", base, len(body))
				if line != want {
					return fmt.Sprintf("got -w line %q, want %q", line, want)
				}
				return ""
			}, empty}, ""},
		{runTest{"-w size_download", []string{"get", "-w", "|%{size_download}|%{size_upload}|%{http_version}", "-d", "abc", base + "/post"}, ExitOK,
			func(got string) string {
				body, rest, _ := strings.Cut(got, "|")
				if want := strconv.Itoa(len(body)) + "|3|1.1"; rest != want {
					return fmt.Sprintf("got %q after the body, want %q", rest, want)
				}
				return ""
			}, empty}, ""},
		{runTest{"-w size_header", []string{"get", "-i", "-w", "|%{size_header}", base + "/hello"}, ExitOK,
			func(got string) string {
				head, rest, _ := strings.Cut(got, "Hello World|")
				if rest != strconv.Itoa(len(head)) {
					return fmt.Sprintf("size_header %q, want %d", rest, len(head))
				}
				return ""
			}, empty}, ""},
		{runTest{"-w times", []string{"get", "-o", "-", "-w", "%{time_namelookup} %{time_connect} %{time_appconnect} %{time_pretransfer} %{time_starttransfer} %{time_redirect} %{time_total} %{speed_download}", base + "/hello"}, ExitOK,
			all(hasPrefix("Hello World"), matches(`^Hello World0\.\d{6} \d\.\d{6} 0\.000000 \d\.\d{6} \d\.\d{6} 0\.000000 \d\.\d{6} \d+$`)), empty}, ""},
		{runTest{"-w without a response", []string{"get", "-w", "%{http_code} %{url_effective}", "http://127.0.0.1:1/x"}, ExitFailure, equals("000 http://127.0.0.1:1/x"),
			contains(`grab: Get "http://127.0.0.1:1/x"`, "refused")}, ""},
		{runTest{"-w redirect_url not followed", []string{"get", "--no-location", "-o", "/dev/null", "-w", "[%{redirect_url}]", base + "/redirect/3"}, ExitOK,
			equals("[" + base + "/relative-redirect/2]"), empty}, ""},
		{runTest{"-w redirect_url after too many redirects", []string{"get", "--max-redirs", "1", "-w", "[%{redirect_url}]", base + "/redirect/3"}, ExitFailure,
			equals("[" + base + "/relative-redirect/1]"), contains("too many redirects")}, ""},
		{runTest{"-w redirect_url followed", []string{"get", "-o", "/dev/null", "-w", "[%{redirect_url}]", base + "/redirect/1"}, ExitOK, equals("[]"), empty}, ""},
		{runTest{"-w url_effective with no path, as curl", []string{"get", "-o", "/dev/null", "-w", "%{url_effective}", strings.ToUpper(base[:4]) + base[4:]}, ExitOK,
			equals(base + "/"), empty}, ""},
		{runTest{"-w url_effective with a query and no path", []string{"get", "-o", "/dev/null", "-w", "%{url_effective}", base + "?a=1"}, ExitOK,
			equals(base + "/?a=1"), empty}, ""},
		{runTest{"-w header_json", []string{"get", "-o", "/dev/null", "-w", "%{header_json}|%{num_headers}", base + "/response-headers?X-Dup=a&X-Dup=b%22%3C"}, ExitOK,
			func(got string) string {
				js, n, _ := strings.Cut(got, "|")
				var m map[string][]string
				if err := json.Unmarshal([]byte(js), &m); err != nil {
					return fmt.Sprintf("header_json %q: %v", js, err)
				}
				count := 0
				for k, vs := range m {
					if k != strings.ToLower(k) {
						return fmt.Sprintf("header_json name %q not lower case", k)
					}
					count += len(vs)
				}
				switch {
				case !slices.Equal(m["x-dup"], []string{"a", `b"<`}):
					return fmt.Sprintf("header_json x-dup = %q in %s", m["x-dup"], js)
				case !strings.HasPrefix(js, `{"`) || !strings.HasSuffix(js, "]\n}") || strings.Count(js, "\n") != len(m):
					return fmt.Sprintf("header_json not one name a line: %q", js)
				case strings.Contains(js, `\u003c`):
					return fmt.Sprintf("header_json escapes HTML, curl's does not: %q", js)
				case n != strconv.Itoa(count):
					return fmt.Sprintf("num_headers %s, want %d", n, count)
				}
				return ""
			}, empty}, ""},
		{runTest{"-w header_json without a response", []string{"get", "-w", "%{header_json}|%{num_headers}|%{redirect_url}|", "http://127.0.0.1:1/x"}, ExitFailure,
			equals("{\n}|0||"), contains("refused")}, ""},
		{runTest{"-w stderr and stdout", []string{"get", "-s", "-d", "abc", "-o", "/dev/null", "-w", "a%{stderr}b%{speed_upload}%{stdout}c", base + "/post"}, ExitOK,
			equals("ac"), matches(`^b[1-9][0-9]*$`)}, ""},
		{runTest{"-w unknown variable", []string{"get", "-w", "%{nope}.", base + "/hello"}, ExitOK, equals("Hello World."),
			equals("grab: warning: unknown --write-out variable %{nope}\n")}, ""},
		{runTest{"-w unknown variable -s", []string{"get", "-s", "-w", "%{nope}.", base + "/hello"}, ExitOK, equals("Hello World."), empty}, ""},
		{runTest{"--low-level", []string{"get", "--low-level", "-v", "-d", "a=1", base + "/post"}, ExitOK, form("a", "1"),
			contains("> POST /post HTTP/1.1\n> Host: "+host+"\n", "> Content-Type: application/x-www-form-urlencoded\n", "> Content-Length: 3\n", "< HTTP/1.1 200 OK\n")}, ""},
		{runTest{"--low-level redirects", []string{"get", "--low-level", "-w", "%{num_redirects}", base + "/redirect/2"}, ExitOK, hasSuffix("}\n2"), empty}, ""},
		{runTest{"--retry", []string{"get", "--retry", "1", "-w", " %{http_code}", base + "/fault/flaky?key=get-retry&fail=1&status=503"}, ExitOK, equals("ok 200"), empty}, ""},
		{runTest{"without --retry", []string{"get", "-w", " %{http_code}", base + "/fault/flaky?key=get-no-retry&fail=1&status=503"}, ExitOK, hasSuffix(" 503"), empty}, ""},
		{runTest{"--retry with -v shows both tries", []string{"get", "--retry", "2", "-v", base + "/fault/flaky?key=get-retry-v&fail=1&status=500"}, ExitOK, equals("ok"),
			contains("< HTTP/1.1 500 Internal Server Error\n", "< HTTP/1.1 200 OK\n")}, ""},
		{runTest{"a truncated body", []string{"get", base + "/fault/drop?after=10&length=20"}, ExitFailure, equals("abcdefghij"),
			equals("grab: reading the body: conn: body truncated: got 10 of 20 bytes\n")}, ""},
		{runTest{"a chunked body without its end", []string{"get", base + "/fault/cut-chunked?send=5"}, ExitFailure, equals("abcde"),
			contains("grab: reading the body: ", "truncated")}, ""},
		{runTest{"a close-delimited body warns", []string{"get", base + "/fault/cut?size=20&send=20"}, ExitOK, equals("abcdefghijklmnopqrst"),
			equals("grab: warning: the body had no length and ended with the connection; it may be cut short\n")}, ""},
		{runTest{"-s hides the warning", []string{"get", "-s", base + "/fault/cut?size=20&send=20"}, ExitOK, equals("abcdefghijklmnopqrst"), empty}, ""},
		{runTest{"data: URL", []string{"get", "data:text/plain,hello"}, ExitOK, equals("hello"), empty}, ""},
	}
	runStdinTests(t, tests)
}

// TestGetFiles covers -o, -O and -OJ with --output-dir.
func TestGetFiles(t *testing.T) {
	base := getServer(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "afile"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cd := func(v string) string { // a URL answered with Content-Disposition: v
		return base + "/response-headers?Content-Disposition=" + url.QueryEscape(v)
	}
	// A URL whose path names no file, answered with a name.
	named := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Disposition", "attachment; filename=named.txt")
		io.WriteString(w, "named")
	}))
	t.Cleanup(named.Close)
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return "(" + err.Error() + ")"
		}
		return string(b)
	}
	tests := []struct {
		stdinTest
		file, content string // the file written and what it holds, or "" for none
	}{
		{stdinTest{runTest{"-o", []string{"get", "-o", filepath.Join(dir, "hello.txt"), "-w", "%{size_download}", base + "/hello"}, ExitOK, equals("11"), empty}, ""}, "hello.txt", "Hello World"},
		{stdinTest{runTest{"-o -i", []string{"get", "-i", "-o", filepath.Join(dir, "head.txt"), base + "/hello"}, ExitOK, empty, empty}, ""}, "head.txt", ""},
		{stdinTest{runTest{"-o with --output-dir", []string{"get", "-o", "rel.txt", "--output-dir", dir, base + "/hello"}, ExitOK, empty, empty}, ""}, "rel.txt", "Hello World"},
		{stdinTest{runTest{"-o - is stdout", []string{"get", "-o", "-", base + "/hello"}, ExitOK, equals("Hello World"), empty}, ""}, "", ""},
		{stdinTest{runTest{"-O", []string{"get", "-O", "--output-dir", dir, base + "/hello"}, ExitOK, empty, empty}, ""}, "hello", "Hello World"},
		{stdinTest{runTest{"-O decodes the name", []string{"get", "-O", "--output-dir", dir, base + "/anything/caf%C3%A9%20menu.txt?x=1"}, ExitOK, empty, empty}, ""}, "café menu.txt", ""},
		{stdinTest{runTest{"-O without a name", []string{"get", "-O", "--output-dir", dir, base + "/"}, ExitFailure, empty,
			equals("grab: -O: the URL's path has no file name (use -o FILE)\n")}, ""}, "", ""},
		{stdinTest{runTest{"-O ..", []string{"get", "-O", "--output-dir", dir, base + "/a/%2e%2e"}, ExitFailure, empty,
			contains("-O: the URL's last path segment %2e%2e is not a usable file name")}, ""}, "", ""},
		{stdinTest{runTest{"-O with an encoded slash", []string{"get", "-O", "--output-dir", dir, base + "/a/..%2Fescape"}, ExitFailure, empty,
			contains("is not a usable file name")}, ""}, "", ""},
		{stdinTest{runTest{"-O with a control character", []string{"get", "-O", "--output-dir", dir, base + "/a/x%1b[31m"}, ExitFailure, empty,
			all(contains(`x%1b[31m`), lacks("\x1b"))}, ""}, "", ""},
		{stdinTest{runTest{"--max-filesize leaves no file", []string{"get", "--max-filesize", "1000", "-o", filepath.Join(dir, "big.txt"), base + "/fault/cut?size=2048&send=2048"}, ExitTooLarge, empty,
			contains("Maximum file size exceeded")}, ""}, "", ""},
		{stdinTest{runTest{"-f leaves no file", []string{"get", "-f", "-o", filepath.Join(dir, "404.txt"), base + "/status/404"}, ExitHTTPError, empty, contains("404")}, ""}, "", ""},
		{stdinTest{runTest{"a cut body leaves no file", []string{"get", "-o", filepath.Join(dir, "cut.txt"), base + "/fault/drop?after=10&length=20"}, ExitFailure, empty,
			contains("truncated")}, ""}, "", ""},
		{stdinTest{runTest{"-o in a missing directory", []string{"get", "-o", filepath.Join(dir, "no", "such", "dir"), base + "/hello"}, ExitFailure, empty,
			equals("grab: cannot write " + filepath.Join(dir, "no", "such", "dir") + ": no directory " + filepath.Join(dir, "no", "such") + " (--create-dirs makes it)\n")}, ""}, "", ""},
		{stdinTest{runTest{"-o under a file", []string{"get", "-o", filepath.Join(dir, "afile", "x"), base + "/hello"}, ExitFailure, empty,
			equals("grab: cannot write " + filepath.Join(dir, "afile", "x") + ": " + filepath.Join(dir, "afile") + " is a regular file, not a directory\n")}, ""}, "", ""},
		{stdinTest{runTest{"--create-dirs", []string{"get", "-O", "--create-dirs", "--output-dir", filepath.Join(dir, "made", "here"), base + "/hello"}, ExitOK, empty, empty}, ""},
			filepath.Join("made", "here", "hello"), "Hello World"},
		{stdinTest{runTest{"-OJ names the file after Content-Disposition", []string{"get", "-OJ", "--output-dir", dir, "-w", "%{filename_effective}", cd("attachment; filename=\"report.pdf\"")},
			ExitOK, equals(filepath.Join(dir, "report.pdf")), empty}, ""}, "report.pdf", ""},
		{stdinTest{runTest{"-OJ never replaces a file", []string{"get", "-OJ", "--output-dir", dir, cd("attachment; filename=\"report.pdf\"") + "&second=1"},
			ExitFailure, empty, equals("grab: -J: " + filepath.Join(dir, "report.pdf") + " exists, not replaced (the name the server gave)\n")}, ""}, "", ""},
		{stdinTest{runTest{"-OJ strips directories", []string{"get", "-OJ", "--output-dir", dir, cd("attachment; filename*=UTF-8''..%2F..%2Fescaped.txt")},
			ExitOK, empty, empty}, ""}, "escaped.txt", ""},
		{stdinTest{runTest{"-OJ without a name in the answer", []string{"get", "-OJ", "--output-dir", dir, "-w", "%{filename_effective}", base + "/anything/plain.txt"},
			ExitOK, equals(filepath.Join(dir, "plain.txt")), empty}, ""}, "plain.txt", ""},
		{stdinTest{runTest{"-OJ a URL without a name, named by the answer", []string{"get", "-OJ", "--output-dir", dir, named.URL + "/"},
			ExitOK, empty, empty}, ""}, "named.txt", "named"},
		{stdinTest{runTest{"-OJ without any name", []string{"get", "-OJ", "--output-dir", dir, base + "/"}, ExitFailure, empty,
			equals("grab: -O: the URL's path has no file name (use -o FILE)\n")}, ""}, "", ""},
		{stdinTest{runTest{"-J without -O", []string{"get", "-J", base + "/hello"}, ExitUsage, empty, contains("-J names the file of -O: use it with -O")}, ""}, "", ""},
		{stdinTest{runTest{"-w filename_effective of stdout", []string{"get", "-w", "[%{filename_effective}]", base + "/hello"}, ExitOK, equals("Hello World[]"), empty}, ""}, "", ""},
		{stdinTest{runTest{"-w filename_effective of a file not written", []string{"get", "-o", filepath.Join(dir, "cut2.txt"), "-w", "[%{filename_effective}]", base + "/fault/drop?after=10&length=20"},
			ExitFailure, equals("[]"), contains("truncated")}, ""}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr syncBuffer
			code := Run(t.Context(), tt.args, strings.NewReader(""), &stdout, &stderr)
			tt.verify(t, code, stdout.String(), stderr.String())
			if tt.file != "" {
				got := read(tt.file)
				if tt.content != "" && got != tt.content {
					t.Errorf("%s holds %q, want %q", tt.file, got, tt.content)
				}
				if strings.HasPrefix(got, "(") {
					t.Errorf("%s: %s", tt.file, got)
				}
			}
		})
	}
	if got := read("report.pdf"); strings.Contains(got, "second") {
		t.Errorf("-OJ replaced report.pdf: %q", got)
	}
	if got := read("head.txt"); !strings.HasPrefix(got, "HTTP/1.1 200 OK\r\n") || !strings.HasSuffix(got, "\r\n\r\nHello World") {
		t.Errorf("-i -o wrote %q, want the head and the body", got)
	}
	names := testkit.DirNames(t, dir)
	if want := "afile café menu.txt escaped.txt head.txt hello hello.txt made named.txt plain.txt rel.txt report.pdf"; strings.Join(names, " ") != want {
		t.Errorf("files written: %q, want %q (no temporary or partial files)", names, want)
	}
}

// TestGetFileBodies writes bodies larger than what comes with the head
// to -o files, where the transport moves them by splice on Linux: the
// file holds exactly the bytes stdout gets, after -i's head too, and a
// body cut short leaves no file.
func TestGetFileBodies(t *testing.T) {
	base := getServer(t)
	dir := t.TempDir()
	const size = 3<<20 + 12345
	want := testkit.DownloadContent(t, "big", "", size)
	u := fmt.Sprintf("%s/dl/%d/big", base, size)
	get := func(t *testing.T, args ...string) (int, string, string) {
		t.Helper()
		return runGrab(t, append([]string{"get"}, args...), "")
	}
	t.Run("-o", func(t *testing.T) {
		name := filepath.Join(dir, "big")
		code, out, errOut := get(t, "-o", name, "-w", "%{size_download}", u)
		if code != ExitOK || out != strconv.Itoa(size) {
			t.Fatalf("exit %d, stdout %q, stderr %q; want 0 and %d", code, out, errOut, size)
		}
		if got, _ := os.ReadFile(name); !bytes.Equal(got, want) {
			t.Errorf("the file (%d bytes) differs from the body (%d)", len(got), size)
		}
	})
	t.Run("-i -o", func(t *testing.T) {
		name := filepath.Join(dir, "head+big")
		if code, _, errOut := get(t, "-i", "-o", name, u); code != ExitOK {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		got, _ := os.ReadFile(name)
		head, body, ok := bytes.Cut(got, []byte("\r\n\r\n"))
		if !ok || !bytes.HasPrefix(head, []byte("HTTP/1.1 200 OK\r\n")) || !bytes.Equal(body, want) {
			t.Errorf("-i -o wrote %d bytes: want the head, then the %d of the body", len(got), size)
		}
	})
	t.Run("stdout", func(t *testing.T) {
		if code, out, errOut := get(t, u); code != ExitOK || out != string(want) {
			t.Errorf("exit %d, %d bytes on stdout (%s); want the %d of the body", code, len(out), errOut, size)
		}
	})
	t.Run("cut", func(t *testing.T) {
		name := filepath.Join(dir, "cut")
		code, _, errOut := get(t, "-o", name, base+"/fault/drop?after=1500000&length=3000000")
		if code != ExitFailure || !strings.Contains(errOut, "truncated") {
			t.Errorf("exit %d, stderr %q; want %d and a truncated body", code, errOut, ExitFailure)
		}
		if _, err := os.Stat(name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("a cut body left %s (%v)", name, err)
		}
	})
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("%d files in the directory, want 2 (no temporary files left)", len(entries))
	}
}

// TestGetHostile shows that nothing a server sends reaches stderr raw
// (HOSTILE.md P2), while stdout, which is data, carries it as received.
func TestGetHostile(t *testing.T) {
	base := getServer(t)
	raw := "HTTP/1.1 200 \x1b[31mOK\a\r\nContent-Length: 2\r\n\r\nhi"
	rawURL := base + "/fault/raw?hex=" + hex.EncodeToString([]byte(raw))
	noControls := lacks("\x1b", "\a", "\r", "\u009b")
	tests := []stdinTest{
		{runTest{"-v escapes the reason phrase", []string{"get", "-v", rawURL}, ExitOK, equals("hi"),
			all(contains(`< "HTTP/1.1 200 \x1b[31mOK\a"`+"\n"), noControls)}, ""},
		{runTest{"-i keeps stdout as received", []string{"get", "-i", rawURL}, ExitOK, hasPrefix("HTTP/1.1 200 \x1b[31mOK\a\r\n"), empty}, ""},
		{runTest{"-v escapes a C1 control in a field", []string{"get", "-v", base + "/response-headers?X-Evil=%C2%9B31m"}, ExitOK, contains(`"X-Evil"`),
			all(contains(`< X-Evil: "\u009b31m"`+"\n"), noControls)}, ""},
		{runTest{"an ESC in a field is refused, and quoted", []string{"get", "-v", base + "/response-headers?X-Evil=%1b[31m"}, ExitFailure, empty,
			all(contains("malformed MIME header"), noControls)}, ""},
		{runTest{"--low-level escapes too", []string{"get", "--low-level", "-v", rawURL}, ExitOK, equals("hi"),
			all(contains(`< "HTTP/1.1 200 \x1b[31mOK\a"`), noControls)}, ""},
	}
	runStdinTests(t, tests)
}

// TestGetTimeouts covers --timeout on a body that stalls, --connect-timeout
// and -k, each within a bounded time.
func TestGetTimeouts(t *testing.T) {
	base := getServer(t)
	tlsSrv := httptest.NewUnstartedServer(testserver.New())
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake
	tlsSrv.StartTLS()
	t.Cleanup(tlsSrv.Close)
	tests := []stdinTest{
		{runTest{"--timeout on a stalled body", []string{"get", "--timeout", "300ms", base + "/fault/stall?after=10&for=3s"}, ExitFailure, equals("abcdefghij"),
			equals("grab: reading the body: fetch: total timeout (300ms)\n")}, ""},
		{runTest{"-m in seconds", []string{"get", "-m", "0.3", base + "/fault/stall?after=10&for=3s"}, ExitFailure, equals("abcdefghij"), contains("total timeout (300ms)")}, ""},
		{runTest{"--timeout before the head", []string{"get", "--timeout", "0.3", base + "/delay/3"}, ExitFailure, empty,
			contains(`grab: Get "` + base + `/delay/3": fetch: total timeout (300ms)`)}, ""},
		{runTest{"--connect-timeout", []string{"get", "--connect-timeout", "2", base + "/hello"}, ExitOK, equals("Hello World"), empty}, ""},
		{runTest{"-k", []string{"get", "-k", tlsSrv.URL + "/hello"}, ExitOK, equals("Hello World"), empty}, ""},
		{runTest{"-k --low-level", []string{"get", "-k", "--low-level", "-w", " %{time_appconnect}", tlsSrv.URL + "/hello"}, ExitOK, matches(`^Hello World 0\.\d{6}$`), empty}, ""},
		{runTest{"TLS verified", []string{"get", tlsSrv.URL + "/hello"}, ExitFailure, empty, contains("certificate")}, ""},
	}
	runBoundedTests(t, tests, 2*time.Second)
}

// TestGetInterrupted shows Ctrl-C ends a transfer with exit 130.
func TestGetInterrupted(t *testing.T) {
	base := getServer(t)
	ctx, cancel := context.WithCancel(t.Context())
	var stdout, stderr syncBuffer
	var written atomic.Bool
	stop := time.AfterFunc(200*time.Millisecond, func() { written.Store(stdout.String() != ""); cancel() })
	defer stop.Stop()
	start := time.Now()
	code := Run(ctx, []string{"get", base + "/fault/stall?after=10&for=3s"}, strings.NewReader(""), &stdout, &stderr)
	if code != ExitInterrupted || !strings.HasSuffix(stderr.String(), "grab: interrupted\n") {
		t.Errorf("Run(get) after Ctrl-C = %d, stderr %q; want %d and grab: interrupted", code, stderr.String(), ExitInterrupted)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v after Ctrl-C", d)
	}
	if !written.Load() || stdout.String() != "abcdefghij" {
		t.Errorf("stdout %q, want the 10 bytes sent before the stall", stdout.String())
	}
}

func TestGetUsage(t *testing.T) {
	base := getServer(t)
	tests := []stdinTest{
		{runTest{"no URL", []string{"get"}, ExitUsage, empty, equals("grab: accepts 1 arg(s), received 0\ngrab: run 'grab get --help' for usage\n")}, ""},
		{runTest{"head without URL", []string{"head"}, ExitUsage, empty, contains("grab: run 'grab head --help' for usage")}, ""},
		{runTest{"two URLs", []string{"get", base, base}, ExitUsage, empty, hasPrefix("grab: accepts 1 arg(s), received 2")}, ""},
		{runTest{"-o and -O", []string{"get", "-o", "x", "-O", base + "/hello"}, ExitUsage, empty, contains("[output remote-name]")}, ""},
		{runTest{"-L and --no-location", []string{"get", "-L", "--no-location", base + "/hello"}, ExitUsage, empty, contains("[location no-location]")}, ""},
		{runTest{"-d and -F", []string{"get", "-d", "a", "-F", "b=c", base + "/post"}, ExitUsage, empty, contains("use one of them")}, ""},
		{runTest{"-I and -d", []string{"get", "-I", "-d", "a", base + "/post"}, ExitUsage, empty, contains("HEAD, which has no body")}, ""},
		{runTest{"head and -d", []string{"head", "-d", "a", base + "/post"}, ExitUsage, empty, contains("HEAD, which has no body")}, ""},
		{runTest{"-G and --json", []string{"get", "-G", "--json", "{}", base + "/get"}, ExitUsage, empty, contains("-G puts -d data")}, ""},
		{runTest{"-H without a colon", []string{"get", "-H", "bogus", base + "/get"}, ExitUsage, empty, contains(`-H "bogus": want 'NAME: VALUE'`)}, ""},
		{runTest{"-H Host: cannot remove", []string{"get", "-H", "Host:", base + "/get"}, ExitUsage, empty, contains("Host cannot be removed")}, ""},
		{runTest{"-F without =", []string{"get", "-F", "bogus", base + "/post"}, ExitUsage, empty, contains(`-F "bogus": want NAME=VALUE`)}, ""},
		{runTest{"-u without a password", []string{"get", "-u", "user", base + "/get"}, ExitUsage, empty, contains("-u: want USER:PASSWORD")}, ""},
		{runTest{"bad --timeout", []string{"get", "--timeout", "soon", base + "/get"}, ExitUsage, empty, contains(`invalid argument "soon" for "-m, --timeout" flag`)}, ""},
		{runTest{"negative --timeout", []string{"get", "--timeout", "-1", base + "/get"}, ExitUsage, empty, contains("want a duration of 0 or more")}, ""},
		{runTest{"--timeout at the bound", []string{"get", "--timeout", "9223372036.854775807", base + "/get"}, ExitUsage, empty, contains("too long: a duration holds at most about 292 years")}, ""},
		{runTest{"--timeout 1e30", []string{"get", "--timeout", "1e30", base + "/get"}, ExitUsage, empty, contains("too long")}, ""},
		{runTest{"negative --retry", []string{"get", "--retry", "-1", base + "/get"}, ExitUsage, empty, contains("--retry -1: want 0 or more")}, ""},
		{runTest{"--max-redirs -2", []string{"get", "--max-redirs", "-2", base + "/get"}, ExitUsage, empty, contains("--max-redirs -2")}, ""},
		{runTest{"-d @missing", []string{"get", "-d", "@/nonexistent-grab-file", base + "/post"}, ExitFailure, empty,
			equals("grab: -d: open /nonexistent-grab-file: no such file or directory\n")}, ""},
		{runTest{"-d @dir", []string{"get", "-d", "@" + os.TempDir(), base + "/post"}, ExitFailure, empty,
			equals("grab: -d: open " + os.TempDir() + ": is a directory, not a file\n")}, ""},
		{runTest{"-F @missing", []string{"get", "-F", "f=@/nonexistent-grab-file", base + "/post"}, ExitFailure, empty, contains("-F f: open /nonexistent-grab-file")}, ""},
		{runTest{"unsupported scheme", []string{"get", "ftp://127.0.0.1/x"}, ExitFailure, empty, contains(`unsupported scheme "ftp"`)}, ""},
		{runTest{"scheme without //", []string{"get", "mailto:x"}, ExitFailure, empty, contains(`"http://mailto:x"`, `invalid port "x"`)}, ""},
		{runTest{"bad method", []string{"get", "-X", "GET /x", base + "/get"}, ExitFailure, empty, contains(`method "GET /x" is not a token`)}, ""},
		{runTest{"CRLF in a field", []string{"get", "-H", "X-A: a\r\nX-B: b", base + "/get"}, ExitFailure, empty, all(contains("control character"), lacks("\r"))}, ""},
		{runTest{"refused connection", []string{"get", "http://127.0.0.1:1/"}, ExitFailure, empty, hasPrefix(`grab: Get "http://127.0.0.1:1/": `, "connection refused")}, ""},
		{runTest{"help", []string{"get", "--help"}, ExitOK, contains("Usage:\n  grab get URL", "Exit status:", "22   with -f", "--data-urlencode", "--write-out"), empty}, ""},
		{runTest{"head help", []string{"head", "-h"}, ExitOK, contains("Usage:\n  grab head URL", "grab get -I"), empty}, ""},
	}
	runStdinTests(t, tests)
}

// TestFormParams: -F values split as curl splits them.
func TestFormParams(t *testing.T) {
	tests := []struct{ in, value, typ, filename string }{
		{"v", "v", "", ""},
		{"v;type=text/plain", "v", "text/plain", ""},
		{"v;type=text/plain;charset=utf-8", "v", "text/plain;charset=utf-8", ""},
		{"@a.txt;type=text/plain; charset=utf-8;filename=b.txt", "@a.txt", "text/plain; charset=utf-8", "b.txt"},
		{"@a.txt;filename=b.txt;type=text/csv", "@a.txt", "text/csv", "b.txt"},
		{"a;b", "a;b", "", ""},
		{`@"d;e.txt";type=text/plain`, "@d;e.txt", "text/plain", ""},
		{`"q\"uote"`, `q"uote`, "", ""},
		{`<"f.txt"`, "<f.txt", "", ""},
		{`"open`, `"open`, "", ""},
	}
	for _, tt := range tests {
		value, typ, filename, _ := formParams(tt.in)
		if value != tt.value || typ != tt.typ || filename != tt.filename {
			t.Errorf("formParams(%q) = %q, %q, %q; want %q, %q, %q", tt.in, value, typ, filename, tt.value, tt.typ, tt.filename)
		}
	}
}

// TestGetHTTP2StatusLine: -i over HTTP/2 writes "HTTP/2 200 ", as curl
// does: HTTP/2 has no reason phrase; --http1.1 stays on HTTP/1.1.
func TestGetHTTP2StatusLine(t *testing.T) {
	srv := httptest.NewUnstartedServer(testserver.New())
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	code, stdout, stderr := runGrab(t, []string{"get", "-k", "-I", srv.URL + "/hello"}, "")
	if code != ExitOK || !strings.HasPrefix(stdout, "HTTP/2 200 \r\n") {
		t.Errorf("exit %d, stdout %q, stderr %q; want it to start HTTP/2 200 and a space", code, stdout, stderr)
	}
	// --http1.1, as curl's, asks the same server in HTTP/1.1.
	code, stdout, stderr = runGrab(t, []string{"get", "-k", "-I", "--http1.1", srv.URL + "/hello"}, "")
	if code != ExitOK || !strings.HasPrefix(stdout, "HTTP/1.1 200 OK\r\n") {
		t.Errorf("--http1.1: exit %d, stdout %q, stderr %q; want it to start HTTP/1.1 200 OK", code, stdout, stderr)
	}
}

func TestRootPath(t *testing.T) {
	for in, want := range map[string]string{
		"http://h":              "http://h/",
		"http://h:8080?q=1":     "http://h:8080/?q=1",
		"http://u:p@h#frag":     "http://u:p@h/#frag",
		"http://h/a":            "http://h/a",
		"https://h/?q":          "https://h/?q",
		"file:///tmp/x":         "file:///tmp/x",
		"data:text/plain,hi":    "data:text/plain,hi",
		"data:text/plain,a://b": "data:text/plain,a://b",
		"data:,see?http://x":    "data:,see?http://x",
	} {
		if got := rootPath(in); got != want {
			t.Errorf("rootPath(%q) = %q, want %q", in, got, want)
		}
	}
}
