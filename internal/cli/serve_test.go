package cli

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/grabhq/grab/internal/testkit"
)

// syncBuffer is safe for a writer and a reader at once.
type syncBuffer = testkit.SyncBuffer

// startServe runs "grab serve args..." in-process and returns its base URL,
// the lines it printed up to "Press Ctrl-C to stop.", and the stderr log;
// the server stops at the end of the test, and Run must then return 130.
func startServe(t *testing.T, args ...string) (string, []string, *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	stderr := &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		code := Run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), strings.NewReader(""), pw, stderr)
		pw.Close()
		done <- code
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != ExitInterrupted {
				t.Errorf("grab serve exited %d after Ctrl-C, want %d", code, ExitInterrupted)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("grab serve did not stop within 15s of Ctrl-C")
		}
	})
	var banner []string
	lines := bufio.NewScanner(pr)
	for lines.Scan() {
		banner = append(banner, lines.Text())
		if lines.Text() == "Press Ctrl-C to stop." || len(banner) > 50 {
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if len(banner) == 0 {
		t.Fatalf("grab serve printed nothing; stderr: %s", stderr.String())
	}
	m := regexp.MustCompile(`\((https?://[^ ]+)/\)`).FindStringSubmatch(banner[0])
	if m == nil {
		t.Fatalf("grab serve first line %q has no URL", banner[0])
	}
	return m[1], banner, stderr
}

// curl runs curl with args and returns its stdout; the test fails if curl
// fails.
func curl(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	base := []string{"-sS"}
	if !slices.Contains(args, "-x") {
		base = append(base, "--noproxy", "*")
	}
	out, err := exec.CommandContext(ctx, "curl", append(base, args...)...).Output()
	if err != nil {
		t.Fatalf("curl %q: %v", args, err)
	}
	return string(out)
}

// TestServeTextbookWithCurl shows each textbook server example through
// grab serve, with curl as an independent client: hello (2-13), the
// directory listing (2.3.3), the CGI POST (2-14, 2-15), the WSGI sample
// (2-16) and the PUT upload (2-11).
func TestServeTextbookWithCurl(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed (apt-get install -y curl)")
	}
	www := t.TempDir()
	os.WriteFile(filepath.Join(www, "index.html.txt"), []byte("textbook"), 0o644)
	cgiDir := filepath.Join(www, "cgi-bin")
	os.MkdirAll(cgiDir, 0o755)
	script := "#!/bin/sh\nread -r form\nprintf 'Content-type: text/plain\\n\\n'\necho 'Welcome, CGI Scripts'\n" +
		"printf '%s\\n' \"$form\" | tr '&' '\\n' | sed 's/=/ is /; s/%40/@/g'\n"
	os.WriteFile(filepath.Join(cgiDir, "script.py"), []byte(script), 0o755)
	uploads := t.TempDir()

	base, _, log := startServe(t, www, "--cgi-dir", cgiDir, "--upload-dir", uploads)

	if got := curl(t, base+"/hello"); got != "Hello World" {
		t.Errorf("curl /hello = %q", got)
	}
	if got := curl(t, base+"/"); !strings.Contains(got, "Directory listing for /") || !strings.Contains(got, "index.html.txt") {
		t.Errorf("curl / (listing) = %q", got)
	}
	if got := curl(t, "-I", base+"/index.html.txt"); !strings.Contains(got, "200 OK") || !strings.Contains(strings.ToLower(got), "content-length: 8") {
		t.Errorf("curl -I = %q", got)
	}
	got := curl(t, "-d", "language=python&framework=django&email=kumar%40example.com", base+"/cgi-bin/script.py")
	want := "Welcome, CGI Scripts\nlanguage is python\nframework is django\nemail is kumar@example.com\n"
	if got != want {
		t.Errorf("curl -d ... /cgi-bin/script.py = %q, want %q", got, want)
	}
	if got := curl(t, base+"/wsgi/"); got != "This is a sample WSGI Application." {
		t.Errorf("curl /wsgi/ = %q", got)
	}
	if got := curl(t, "-X", "PUT", "--data-binary", "first", base+"/file", "-w", " %{http_code}"); got != "stored 5 bytes at /file\n 201" {
		t.Errorf("curl PUT /file = %q", got)
	}
	if got := curl(t, "-X", "PUT", "--data-binary", "***filecontents***", base+"/file", "-w", " %{http_code}"); !strings.HasSuffix(got, " 200") {
		t.Errorf("curl PUT /file again = %q", got)
	}
	if b, _ := os.ReadFile(filepath.Join(uploads, "file")); string(b) != "***filecontents***" {
		t.Errorf("uploaded file holds %q", b)
	}
	if got := curl(t, "-X", "DELETE", "-w", "%{http_code}", base+"/file"); got != "204" {
		t.Errorf("curl DELETE /file = %q", got)
	}
	if !strings.Contains(log.String(), `"GET /hello HTTP/1.1" 200 11`) {
		t.Errorf("access log on stderr lacks the /hello line:\n%s", log.String())
	}
}

func TestServeUsage(t *testing.T) {
	tests := []runTest{
		{"two dirs", []string{"serve", "a", "b"}, ExitUsage, empty, hasPrefix("grab: accepts at most 1 arg")},
		{"missing dir", []string{"serve", "/nonexistent-grab-dir"}, ExitFailure, empty, hasPrefix("grab: serve: DIR: stat /nonexistent-grab-dir")},
		{"public address", []string{"serve", "--addr", "0.0.0.0:0"}, ExitFailure, empty, contains("not a loopback address; add --public")},
		{"--proxy-user alone", []string{"serve", "--addr", "127.0.0.1:0", "--proxy-user", "a:b"}, ExitUsage, empty, hasPrefix("grab: --proxy-user needs --proxy-addr")},
		{"--max-upload alone", []string{"serve", "--addr", "127.0.0.1:0", "--max-upload", "5"}, ExitUsage, empty, hasPrefix("grab: --max-upload needs --upload-dir")},
		{"--max-upload 0", []string{"serve", "--addr", "127.0.0.1:0", "--upload-dir", ".", "--max-upload", "0"}, ExitUsage, empty, hasPrefix("grab: --max-upload 0: want 1 byte or more")},
		{"--max-upload -1", []string{"serve", "--addr", "127.0.0.1:0", "--upload-dir", ".", "--max-upload", "-1"}, ExitUsage, empty, hasPrefix("grab: --max-upload -1: want 1 byte or more")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr syncBuffer
			code := Run(t.Context(), tt.args, strings.NewReader(""), &stdout, &stderr)
			tt.verify(t, code, stdout.String(), stderr.String())
		})
	}
}

// TestServeFlags drives the remaining serve flags with curl: --tls,
// --faults, --proxy-addr with --proxy-user, --max-upload, -q.
func TestServeFlags(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed (apt-get install -y curl)")
	}
	uploads := t.TempDir()
	base, banner, stderr := startServe(t, "--tls", "--faults", "-q", "--proxy-addr", "127.0.0.1:0",
		"--proxy-user", "u:secret", "--upload-dir", uploads, "--max-upload", "10")
	var proxyURL string
	for _, line := range banner {
		if p, ok := strings.CutPrefix(line, "  forward proxy at "); ok {
			proxyURL = p
		}
	}
	if !strings.HasPrefix(base, "https://") || proxyURL == "" {
		t.Fatalf("serve did not print an https URL and a proxy: %q", banner)
	}
	if got := curl(t, "-k", base+"/hello"); got != "Hello World" {
		t.Errorf("curl -k --tls /hello = %q", got)
	}
	if got := curl(t, "-k", "-w", "%{http_code}", "-o", "/dev/null", base+"/fault/status/503"); got != "503" {
		t.Errorf("curl /fault/status/503 = %q", got)
	}
	if got := curl(t, "-k", "-X", "PUT", "--data-binary", "more than ten bytes", "-w", " %{http_code}", base+"/big"); !strings.HasSuffix(got, " 413") {
		t.Errorf("PUT over --max-upload = %q", got)
	}
	// Through the proxy (CONNECT for https), with and without credentials.
	if got := curl(t, "-k", "-x", proxyURL, "-U", "u:secret", base+"/hello"); got != "Hello World" {
		t.Errorf("curl through the proxy = %q", got)
	}
	// curl fails (exit 56) when the proxy refuses the CONNECT; -w still
	// prints what the proxy answered.
	out, _ := exec.CommandContext(t.Context(), "curl", "-sS", "-k", "-x", proxyURL, "-w", "%{http_connect}", "-o", "/dev/null", base+"/hello").Output()
	if got := string(out); got != "407" {
		t.Errorf("curl through the proxy without credentials: CONNECT answered %q, want 407", got)
	}
	if s := stderr.String(); strings.Contains(s, "GET /hello") {
		t.Errorf("-q still logged requests: %s", s)
	}
}

// TestServeRedirectToItself: /redirect-to may send clients to the address
// grab serve listens on, one of 127.0.0.0/8 that httpbin's own list of
// loopback names lacks (it answered 403).
func TestServeRedirectToItself(t *testing.T) {
	base, _, _ := startServe(t, "--addr", "127.0.0.2:0")
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(base + "/redirect-to?url=" + url.QueryEscape(base+"/get"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != base+"/get" {
		t.Errorf("/redirect-to its own address = %s, Location %q", resp.Status, resp.Header.Get("Location"))
	}
}
