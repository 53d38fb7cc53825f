package testserver

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// start serves h on loopback for the test.
func start(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// get fetches path and returns status and body.
func get(t *testing.T, srv *httptest.Server, method, path string, body io.Reader, hdr ...string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1]) // a name given twice: two fields
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

// rawRequest sends exact bytes and returns the response status line.
func rawRequest(t *testing.T, srv *httptest.Server, req string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", srv.Listener.Addr().String(), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil && line == "" {
		return "closed: " + err.Error()
	}
	return strings.TrimSpace(line)
}

// TestMountFirst: a mount's pattern wins over the server's own routes,
// also where they are the same pattern ("/", "GET /hello", "/wsgi/"),
// which used to panic in New or be ignored.
func TestMountFirst(t *testing.T) {
	for _, tt := range []struct{ pattern, path string }{
		{"/", "/x"}, {"GET /hello", "/hello"}, {"/wsgi/", "/wsgi/x"}, {"/hello", "/hello"},
		{"/robots.txt", "/robots.txt"}, {"/fault/", "/fault/x"}, {"/get", "/get"},
	} {
		pattern := tt.pattern
		app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "mounted ", r.URL.Path) })
		srv := start(t, New(WithFaults(), Mount(pattern, app)))
		if code, _, body := get(t, srv, "GET", tt.path, nil); code != 200 || !strings.HasPrefix(body, "mounted ") {
			t.Errorf("Mount(%q): GET = %d %q, want the mount's answer", pattern, code, body)
		}
		if pattern != "/" {
			if code, _, body := get(t, srv, "GET", "/status/418", nil); code != 418 || strings.HasPrefix(body, "mounted ") {
				t.Errorf("Mount(%q): GET /status/418 = %d %q, want httpbin's", pattern, code, body)
			}
		}
	}
}

func TestHelloWSGIAndHTTPBin(t *testing.T) {
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "mounted ", r.URL.Path) })
	srv := start(t, New(Mount("/app/", app)))
	tests := []struct {
		path   string
		status int
		body   string
	}{
		{"/hello", 200, "Hello World"},
		{"/wsgi/", 200, "This is a sample WSGI Application."},
		{"/wsgi/any/path", 200, "This is a sample WSGI Application."},
		{"/app/x", 200, "mounted /app/x"},
		{"/status/404", 404, ""},
		{"/status/418", 418, ""},
		{"/", 200, "grab test server"},
	}
	for _, tt := range tests {
		code, _, body := get(t, srv, "GET", tt.path, nil)
		if code != tt.status || !strings.Contains(body, tt.body) {
			t.Errorf("GET %s = %d %q, want %d with %q", tt.path, code, body, tt.status, tt.body)
		}
	}
	code, _, body := get(t, srv, "GET", "/get?a=1", nil, "X-Test", "yes")
	if code != 200 || !strings.Contains(body, `"a"`) || !strings.Contains(body, "X-Test") {
		t.Errorf("GET /get = %d %s", code, body)
	}
}

// TestRedirectToLoopbackOnly is HOSTILE.md R5: httpbin's redirect-to only
// sends clients to loopback hosts unless configured.
func TestRedirectToLoopbackOnly(t *testing.T) {
	srv := start(t, New())
	if code, _, _ := get(t, srv, "GET", "/redirect-to?url="+url.QueryEscape("http://evil.example/"), nil); code < 400 {
		t.Errorf("redirect-to evil.example = %d, want a 4xx", code)
	}
	code, h, _ := get(t, srv, "GET", "/redirect-to?url="+url.QueryEscape("http://127.0.0.1:1/x"), nil)
	if code != 302 || h.Get("Location") != "http://127.0.0.1:1/x" {
		t.Errorf("redirect-to loopback = %d %q", code, h.Get("Location"))
	}
	// A target net/url and a browser read differently: refused.
	for _, target := range []string{`http:\\evil.example/`, `https:\\evil.example/`, "http:evil.example/", "http:/\\evil.example/", "/\\evil.example/", "http://127.0.0.1:1/\tx", "http:///evil.example/", "///evil.example/"} {
		if code, h, _ := get(t, srv, "GET", "/redirect-to?url="+url.QueryEscape(target), nil); code != 403 {
			t.Errorf("redirect-to %q = %d (Location %q), want 403", target, code, h.Get("Location"))
		}
	}
	srv2 := start(t, New(WithRedirectHosts("example.org")))
	if code, _, _ := get(t, srv2, "GET", "/redirect-to?url="+url.QueryEscape("http://example.org/"), nil); code != 302 {
		t.Errorf("redirect-to configured host = %d, want 302", code)
	}
}

// TestEchoContentType is HOSTILE.md R6: endpoints that echo input do not
// let it choose an HTML content type.
func TestEchoContentType(t *testing.T) {
	srv := start(t, New())
	_, h, _ := get(t, srv, "GET", "/response-headers?Content-Type=text/html&X-A=%0d%0aSet-Cookie:x=1", nil)
	if ct := h.Get("Content-Type"); strings.Contains(ct, "html") {
		t.Errorf("response-headers Content-Type = %q, want no HTML", ct)
	}
	if h.Get("Set-Cookie") != "" {
		t.Errorf("response splitting: Set-Cookie = %q", h.Get("Set-Cookie")) // R15
	}
}

// TestEchoTwoContentTypes: of two Content-Type fields a browser takes the
// last, so an allowed first one does not let an HTML second one through.
func TestEchoTwoContentTypes(t *testing.T) {
	srv := start(t, New())
	for _, q := range []string{"Content-Type=text/plain&Content-Type=text/html", "Content-Type=" + url.QueryEscape("text/plain;charset=utf-8,text/html")} {
		_, h, _ := get(t, srv, "GET", "/response-headers?"+q, nil)
		if ct := h.Values("Content-Type"); len(ct) != 1 || strings.Contains(ct[0], "html") {
			t.Errorf("response-headers?%s: Content-Type fields = %q, want one, not HTML", q, ct)
		}
	}
}

// faultUnderServer starts a Server with faults (their waits up to a
// minute), sends GET target on a raw connection and returns both, the
// connection's deadline d away.
func faultUnderServer(t *testing.T, target string, d time.Duration) (*Server, net.Conn) {
	t.Helper()
	s := &Server{Handler: New(WithFaults(), WithMaxDelay(time.Minute))}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(s.URL(), "http://"), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	io.WriteString(conn, "GET "+target+" HTTP/1.1\r\nHost: x\r\n\r\n")
	conn.SetDeadline(time.Now().Add(d))
	return s, conn
}

// TestFaultResetUnderServer: end=reset resets the connection under Server
// (whose listener wraps each connection) as under httptest.
func TestFaultResetUnderServer(t *testing.T) {
	_, conn := faultUnderServer(t, "/fault/raw/reset", 5*time.Second)
	if _, err := io.ReadAll(conn); err == nil || !strings.Contains(err.Error(), "reset") {
		t.Errorf("read error = %v, want connection reset", err)
	}
}

// TestCloseEndsFaults: Close ends a connection a fault endpoint took over
// (net/http's Shutdown does not track it) instead of leaving its stall to
// run out.
func TestCloseEndsFaults(t *testing.T) {
	s, conn := faultUnderServer(t, "/fault/stall?after=10&for=60s", 15*time.Second)
	br := bufio.NewReader(conn)
	if line, err := br.ReadString('\n'); err != nil || !strings.HasPrefix(line, "HTTP/1.1 200") {
		t.Fatalf("status line %q, %v", line, err)
	}
	s.Close()
	if _, err := io.ReadAll(br); err != nil {
		t.Errorf("after Close the stalled response ended with %v, want its end", err)
	}
}

func makeTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(dir, "index.txt"), []byte("0123456789abcdefghij"), 0o644))
	must(os.MkdirAll(filepath.Join(dir, "sub"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "sub", "a.html"), []byte("<p>a</p>"), 0o644))
	must(os.MkdirAll(filepath.Join(dir, ".git"), 0o755))
	must(os.WriteFile(filepath.Join(dir, ".git", "config"), []byte("secret"), 0o644))
	must(os.WriteFile(filepath.Join(dir, ".htpasswd"), []byte("secret"), 0o644))
	must(os.WriteFile(filepath.Join(dir, `<script>alert(1)<_script>"q".txt`), []byte("x"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "new\nline"), []byte("x"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "bad\xffutf8"), []byte("x"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "a:b"), []byte("x"), 0o644))
	return dir
}

func TestFiles(t *testing.T) {
	dir := makeTree(t)
	srv := start(t, New(WithRoot(dir)))
	code, h, body := get(t, srv, "GET", "/", nil)
	if code != 200 || !strings.Contains(body, "Directory listing for /") || !strings.Contains(body, `<a href="./sub/">sub/</a>`) {
		t.Fatalf("listing = %d %s", code, body)
	}
	// HOSTILE.md R4: escaped names, encoded links, charset, nosniff.
	for _, want := range []string{"&lt;script&gt;alert(1)&lt;_script&gt;&#34;q&#34;.txt", "./%3Cscript%3Ealert%281%29%3C_script%3E%22q%22.txt", "./new%0Aline", "./bad%FFutf8", "bad\ufffdutf8", "./a:b"} {
		if !strings.Contains(body, want) {
			t.Errorf("listing lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "<script>") || strings.Contains(body, ".git") || strings.Contains(body, ".htpasswd") {
		t.Errorf("listing shows raw HTML or hidden names:\n%s", body)
	}
	if h.Get("Content-Type") != "text/html; charset=utf-8" || h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("listing headers = %v", h)
	}
	code, h, body = get(t, srv, "GET", "/index.txt", nil)
	if code != 200 || body != "0123456789abcdefghij" || h.Get("ETag") == "" || h.Get("Last-Modified") == "" {
		t.Fatalf("GET /index.txt = %d %q %v", code, body, h)
	}
	etag := h.Get("ETag")
	if code, _, _ := get(t, srv, "GET", "/index.txt", nil, "If-None-Match", etag); code != 304 {
		t.Errorf("If-None-Match = %d, want 304", code)
	}
	if code, _, body := get(t, srv, "GET", "/index.txt", nil, "Range", "bytes=2-4"); code != 206 || body != "234" {
		t.Errorf("Range 2-4 = %d %q", code, body)
	}
	if code, h, body := get(t, srv, "HEAD", "/index.txt", nil); code != 200 || body != "" || h.Get("Content-Length") != "20" {
		t.Errorf("HEAD = %d %q %v", code, body, h)
	}
	if code, h, _ := get(t, srv, "GET", "/sub", nil); code != 301 || h.Get("Location") != "/sub/" {
		t.Errorf("GET /sub = %d %q, want a redirect to /sub/", code, h.Get("Location"))
	}
	if code, _, _ := get(t, srv, "POST", "/index.txt", strings.NewReader("x")); code != 405 {
		t.Errorf("POST a file = %d, want 405", code)
	}
	// A path no file has falls through to httpbin.
	if code, _, _ := get(t, srv, "GET", "/status/404", nil); code != 404 {
		t.Errorf("GET /status/404 with a root = %d", code)
	}
	if code, _, _ := get(t, srv, "GET", "/get", nil); code != 200 {
		t.Errorf("GET /get with a root = %d", code)
	}
}

// TestDirIndex: a directory is served by its index.html, else its
// index.htm, else listed, as Python's http.server does.
func TestDirIndex(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{"both/index.html": "html", "both/index.htm": "htm", "htm/index.htm": "htm only", "none/a.txt": "a"} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	srv := start(t, New(WithRoot(dir)))
	for path, want := range map[string]string{"/both/": "html", "/htm/": "htm only", "/none/": "Directory listing for /none/"} {
		if code, _, body := get(t, srv, "GET", path, nil); code != 200 || !strings.Contains(body, want) {
			t.Errorf("GET %s = %d %q, want %q", path, code, body, want)
		}
	}
}

// TestFilesBeforeBuiltins: with a root, a file under the paths of made-up
// content (/img/, /gallery/, /site/, /dl/, /robots.txt) is served as it
// is, as Python's http.server would; paths no file has are made up still.
func TestFilesBeforeBuiltins(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{"img/logo.png": "imgfile", "img/photo.jpg": "jpg", "img/icons/x.png": "icon", "gallery/trip.html": "trip",
		"site/about.html": "about", "dl/files/f.zip": "zip", "robots.txt": "User-agent: *\n"}
	for name, body := range files {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	srv := start(t, New(WithRoot(dir)))
	for name, want := range files {
		if code, _, body := get(t, srv, "GET", "/"+name, nil); code != 200 || body != want {
			t.Errorf("GET /%s = %d %q, want the file's %q", name, code, body, want)
		}
	}
	if code, h, body := get(t, srv, "GET", "/img/64x64/1.png", nil); code != 200 || h.Get("Content-Type") != "image/png" || !strings.HasPrefix(body, "\x89PNG") {
		t.Errorf("GET /img/64x64/1.png = %d %v, want the made-up PNG", code, h)
	}
	if code, _, body := get(t, srv, "GET", "/site/2/page/0.html", nil); code != 200 || !strings.Contains(body, "<a ") {
		t.Errorf("GET /site/2/page/0.html = %d %q, want the made-up page", code, body)
	}
	// A file where a directory would be (dl is one here, bigpage a file)
	// and a root gone leave the made-up content alone.
	os.WriteFile(filepath.Join(dir, "bigpage"), []byte("a file"), 0o644)
	if code, _, _ := get(t, srv, "GET", "/bigpage/3.html", nil); code != 200 {
		t.Errorf("GET /bigpage/3.html beside a file named bigpage = %d, want the made-up page", code)
	}
	os.RemoveAll(dir)
	if code, _, body := get(t, srv, "GET", "/hello", nil); code != 200 || body != "Hello World" {
		t.Errorf("GET /hello with the root gone = %d %q", code, body)
	}
}

// TestAccessLogFile: a file served under the access log is logged with
// its size, and goes through ReadFrom (sendfile(2) on a TCP connection),
// as it does without the log.
func TestAccessLogFile(t *testing.T) {
	dir := t.TempDir()
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16)
	if err := os.WriteFile(filepath.Join(dir, "big.bin"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	var _ io.ReaderFrom = (*logWriter)(nil)
	var log strings.Builder // read after Close, which waits for the handlers
	srv := start(t, New(WithRoot(dir), WithAccessLog(&log)))
	if code, _, body := get(t, srv, "GET", "/big.bin", nil); code != 200 || body != string(big) {
		t.Fatalf("GET /big.bin = %d, %d bytes", code, len(body))
	}
	srv.Close()
	if want := fmt.Sprintf(`"GET /big.bin HTTP/1.1" 200 %d`, len(big)); !strings.Contains(log.String(), want) {
		t.Errorf("log %q lacks %q", log.String(), want)
	}
}

// TestOverlappingRanges is HOSTILE.md R11: no amplification.
func TestOverlappingRanges(t *testing.T) {
	srv := start(t, New(WithRoot(makeTree(t))))
	ranges := "bytes=" + strings.TrimSuffix(strings.Repeat("0-19,", 100), ",")
	code, _, body := get(t, srv, "GET", "/index.txt", nil, "Range", ranges)
	if len(body) > 100 {
		t.Errorf("100 overlapping ranges = %d with %d bytes, want no amplification", code, len(body))
	}
	if code, _, _ := get(t, srv, "GET", "/index.txt", nil, "Range", "bytes=x-y"); code != 416 && code != 200 {
		t.Errorf("malformed range = %d, want 416 or 200", code)
	}
}

// TestRootFollowsPath checks that the files served are those the root's
// path names now: after the directory is removed (500), made again, or
// swapped for another by rename, as Python's http.server does, though the
// handler holds the directory open between requests.
func TestRootFollowsPath(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "www")
	fill := func(d, content string) {
		t.Helper()
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "f.txt"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fill(dir, "one")
	srv := start(t, New(WithRoot(dir)))
	want := func(wantCode int, wantBody string) {
		t.Helper()
		code, _, body := get(t, srv, "GET", "/f.txt", nil)
		if code != wantCode || (wantCode == 200 && body != wantBody) {
			t.Fatalf("GET /f.txt = %d %q, want %d %q", code, body, wantCode, wantBody)
		}
	}
	want(200, "one")
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	want(500, "")
	fill(dir, "two")
	want(200, "two")
	fill(filepath.Join(parent, "next"), "three")
	if err := os.Rename(dir, filepath.Join(parent, "old")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(parent, "next"), dir); err != nil {
		t.Fatal(err)
	}
	want(200, "three")
}

// TestFileType checks the Content-Type of served files: by extension
// without a charset, else application/octet-stream (as
// SimpleHTTPRequestHandler's guess_type), never a guess from the content;
// and that "a file/" names no file.
func TestFileType(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{"page.html": "x", "plain": "<html><body>not sniffed</body></html>", "a.json": "{}"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	srv := start(t, New(WithRoot(dir)))
	for name, want := range map[string]string{"page.html": "text/html", "plain": "application/octet-stream", "a.json": "application/json"} {
		if _, h, _ := get(t, srv, "GET", "/"+name, nil); h.Get("Content-Type") != want {
			t.Errorf("GET /%s: Content-Type %q, want %q", name, h.Get("Content-Type"), want)
		}
	}
	if code, _, _ := get(t, srv, "GET", "/page.html/", nil); code != http.StatusNotFound {
		t.Errorf("GET /page.html/: %d, want 404", code)
	}
}

// TestLiveRootRelease checks that a root the path no longer names is
// closed once the last request holding it is done, not before.
func TestLiveRootRelease(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "www")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	l := &liveRoot{path: dir}
	open := func(h *heldRoot) bool { _, err := h.Stat("."); return err == nil }
	first, err := l.get()
	if err != nil {
		t.Fatal(err)
	}
	again, err := l.get()
	if err != nil || again != first {
		t.Fatalf("second get = %p, %v; want the same root %p", again, err, first)
	}
	l.put(again)
	// The path now names another directory.
	if err := os.Rename(dir, filepath.Join(parent, "old")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	next, err := l.get()
	if err != nil || next == first {
		t.Fatalf("get after the swap = %p, %v; want a new root", next, err)
	}
	if !open(first) {
		t.Fatal("the old root was closed while a request held it")
	}
	l.put(first)
	if open(first) {
		t.Error("the old root is still open after its last request")
	}
	l.put(next)
	if !open(next) {
		t.Error("the current root was closed with no request holding it")
	}
}

// TestTraversal is HOSTILE.md R1, R2 and R3: nothing outside the root,
// nothing hidden, no special files.
func TestTraversal(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.txt"), []byte("SECRET"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := makeTree(t)
	if err := os.Symlink(outside, filepath.Join(dir, "out")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(dir, "secret-link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("sub", filepath.Join(dir, "inside")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	sock, err := net.Listen("unix", filepath.Join(dir, "sock"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sock.Close() })
	srv := start(t, New(WithRoot(dir)))
	for _, p := range []string{
		"/../" + filepath.Base(outside) + "/secret.txt", "/%2e%2e/%2e%2e/etc/passwd", "/..%2fetc/passwd",
		"/%252e%252e/etc/passwd", "/..\\..\\etc\\passwd", "/%c0%ae%c0%ae/etc/passwd", "/index.txt%00.png",
		"/out/secret.txt", "/secret-link", "/out/", "/.git/config", "/.htpasswd", "/fifo", "/sock", "/sub/../../etc/passwd",
		"//etc/passwd", "/./index.txt", "//evil.example/%2e%2e/sub", "/\\evil.example/sub",
	} {
		line := rawRequest(t, srv, "GET "+p+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		if !strings.Contains(line, " 400 ") && !strings.Contains(line, " 404 ") {
			t.Errorf("GET %s = %q, want 400 or 404", p, line)
		}
		// And the body never holds the secret, following redirects too.
		resp, err := http.Get(srv.URL + p)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if bytes.Contains(b, []byte("SECRET")) || bytes.Contains(b, []byte("secret")) || bytes.Contains(b, []byte("root:")) {
				t.Errorf("GET %s served a byte from outside the root or a hidden file: %q", p, b)
			}
		}
	}
	if code, _, body := get(t, srv, "GET", "/inside/a.html", nil); code != 200 || body != "<p>a</p>" {
		t.Errorf("symlink inside the root = %d %q, want it served", code, body)
	}
}

func TestUpload(t *testing.T) {
	up := t.TempDir()
	srv := start(t, New(WithUploadDir(up), WithMaxUpload(1000)))
	code, _, body := get(t, srv, "PUT", "/file", strings.NewReader("***filecontents***"))
	if code != 201 || !strings.Contains(body, "stored 18 bytes at /file") {
		t.Fatalf("PUT /file = %d %q", code, body)
	}
	if b, _ := os.ReadFile(filepath.Join(up, "file")); string(b) != "***filecontents***" {
		t.Fatalf("stored %q", b)
	}
	if code, _, _ := get(t, srv, "PUT", "/file", strings.NewReader("v2")); code != 200 {
		t.Errorf("PUT replace = %d, want 200", code)
	}
	if code, _, _ := get(t, srv, "PUT", "/d/e/f.txt", strings.NewReader("deep")); code != 201 {
		t.Errorf("PUT nested = %d", code)
	}
	if code, _, _ := get(t, srv, "DELETE", "/file", nil); code != 204 {
		t.Errorf("DELETE = %d", code)
	}
	if code, _, _ := get(t, srv, "DELETE", "/file", nil); code != 404 {
		t.Errorf("DELETE again = %d", code)
	}
	// httpbin's own PUT and DELETE paths stay httpbin's.
	for _, tc := range []struct{ method, path, want string }{
		{"PUT", "/put", `"method": "PUT"`}, {"DELETE", "/delete", `"url"`}, {"PUT", "/anything/x", `"method": "PUT"`}, {"PUT", "/status/418", ""},
		{"PUT", "/basic-auth/u/p", ""}, {"PUT", "/digest-auth/auth/u/p", ""}, {"PUT", "/bearer", ""}, {"PUT", "/headers", `"headers"`},
	} {
		if strings.HasSuffix(tc.path, "auth/u/p") || tc.path == "/bearer" {
			if code, _, body := get(t, srv, tc.method, tc.path, strings.NewReader("abc")); code != 401 {
				t.Errorf("%s %s = %d %q, want httpbin's 401", tc.method, tc.path, code, body)
			}
			continue
		}
		code, _, body := get(t, srv, tc.method, tc.path, strings.NewReader("abc"))
		if tc.path == "/status/418" && code != 418 || tc.path != "/status/418" && (code != 200 || !strings.Contains(body, tc.want)) {
			t.Errorf("%s %s = %d %q, want httpbin's answer", tc.method, tc.path, code, body)
		}
	}
	if entries, _ := os.ReadDir(up); len(entries) != 1 { // d/
		t.Errorf("upload dir holds %v, want only d", entries)
	}
	// A path under one of httpbin's that no route of it serves is an
	// upload: /json is httpbin's, /json/data.json a file.
	for _, p := range []string{"/json/data.json", "/image/2024/a.png", "/headers/x"} {
		if code, _, body := get(t, srv, "PUT", p, strings.NewReader("up")); code != 201 {
			t.Errorf("PUT %s = %d %q, want 201 (stored)", p, code, body)
		}
	}
}

// TestUploadNoLimit: the largest limit stores what comes (its LimitReader
// wrapped negative and stored nothing).
func TestUploadNoLimit(t *testing.T) {
	up := t.TempDir()
	srv := start(t, New(WithUploadDir(up), WithMaxUpload(math.MaxInt64)))
	if code, _, body := get(t, srv, "PUT", "/x.txt", strings.NewReader("abc")); code != 201 || !strings.Contains(body, "stored 3 bytes") {
		t.Errorf("PUT = %d %q", code, body)
	}
	if b, _ := os.ReadFile(filepath.Join(up, "x.txt")); string(b) != "abc" {
		t.Errorf("stored %q, want abc", b)
	}
}

// TestUploadHostile is HOSTILE.md R8.
func TestUploadHostile(t *testing.T) {
	outside := t.TempDir()
	up := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(up, "link")); err != nil {
		t.Fatal(err)
	}
	srv := start(t, New(WithUploadDir(up), WithMaxUpload(1000)))
	for _, p := range []string{"/../x", "/a/../../x", "/link/x", "/link/", "/CON", "/nul.txt", "/", "/.hidden", "/a%5cb", "/a%00b"} {
		line := rawRequest(t, srv, "PUT "+p+" HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx")
		if !strings.Contains(line, " 4") {
			t.Errorf("PUT %s = %q, want a 4xx", p, line)
		}
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("PUT wrote outside the upload directory: %v", entries)
	}
	// A partial PUT (Content-Range, curl -C - -T) is refused, RFC 9110
	// §14.5, and the file stays whole.
	if code, _, body := get(t, srv, "PUT", "/whole.txt", strings.NewReader("0123456789")); code != 201 {
		t.Fatalf("PUT /whole.txt = %d %s", code, body)
	}
	if code, _, _ := get(t, srv, "PUT", "/whole.txt", strings.NewReader("456789"), "Content-Range", "bytes 4-9/10"); code != 400 {
		t.Errorf("PUT with Content-Range = %d, want 400", code)
	}
	if b, _ := os.ReadFile(filepath.Join(up, "whole.txt")); string(b) != "0123456789" {
		t.Errorf("after a refused partial PUT the file holds %q", b)
	}
	os.Remove(filepath.Join(up, "whole.txt"))
	// Over the limit, declared: 413 before the body is read.
	line := rawRequest(t, srv, "PUT /big HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n")
	if !strings.Contains(line, " 413 ") {
		t.Errorf("PUT over the limit with Expect = %q, want 413 (not 100)", line)
	}
	// Over the limit, chunked: 413, nothing kept.
	code, _, _ := get(t, srv, "PUT", "/big", io.MultiReader(strings.NewReader(strings.Repeat("x", 3000))))
	if code != 413 {
		t.Errorf("chunked PUT over the limit = %d", code)
	}
	// ... and no directory made for it left behind.
	code, _, _ = get(t, srv, "PUT", "/new/deep/big", io.MultiReader(strings.NewReader(strings.Repeat("x", 3000))))
	if _, err := os.Lstat(filepath.Join(up, "new")); code != 413 || err == nil {
		t.Errorf("chunked PUT over the limit to /new/deep/big = %d, and new/ left: %v", code, err == nil)
	}
	// Cut short: the client promises 500 bytes and hangs up after 10.
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(c, "PUT /cut HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n0123456789")
	c.Close()
	// Concurrent PUTs of different bodies: one complete winner.
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequestWithContext(t.Context(), "PUT", srv.URL+"/race", strings.NewReader(strings.Repeat(string(rune('a'+i)), 900)))
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	b, _ := os.ReadFile(filepath.Join(up, "race"))
	if len(b) != 900 || strings.Count(string(b), string(b[0])) != 900 {
		t.Errorf("concurrent PUTs left %d mixed bytes", len(b))
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		entries, _ := os.ReadDir(up)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		if strings.Join(names, ",") == "link,race" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("upload directory holds %v, want only link and race (no partial files)", names)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func writeScript(t *testing.T, dir, name, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
}

// The textbook's cgi-bin/script.py (example 2-15) as a shell script: it
// reads the url-encoded form from stdin and prints the fields.
const textbookScript = `#!/bin/sh
read -r form
field() { printf '%s' "$form" | tr '&' '\n' | sed -n "s/^$1=//p" | sed 's/%40/@/g; s/+/ /g'; }
printf 'Content-type: text/plain\n\n'
echo "Welcome, CGI Scripts"
echo "language is $(field language)"
echo "framework is $(field framework)"
echo "email is $(field email)"
`

func TestCGITextbook(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("CGI scripts need a POSIX shell")
	}
	cgiDir := t.TempDir()
	writeScript(t, cgiDir, "script", textbookScript)
	srv := start(t, New(WithCGIDir(cgiDir)))
	form := "language=python&framework=django&email=kumar%40example.com"
	code, h, body := get(t, srv, "POST", "/cgi-bin/script", strings.NewReader(form+"\n"), "Content-Type", "application/x-www-form-urlencoded")
	want := "Welcome, CGI Scripts\nlanguage is python\nframework is django\nemail is kumar@example.com\n"
	if code != 200 || body != want || !strings.HasPrefix(h.Get("Content-Type"), "text/plain") {
		t.Errorf("POST /cgi-bin/script = %d %q %v, want %q", code, body, h, want)
	}
}

// TestCGIHostile is HOSTILE.md R7.
func TestCGIHostile(t *testing.T) {
	cgiDir := t.TempDir()
	writeScript(t, cgiDir, "env", "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\n'\nenv\n")
	writeScript(t, cgiDir, "hang", "#!/bin/sh\nsleep 30 & sleep 30\n")
	writeScript(t, cgiDir, "flood", "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\n'\nexec cat /dev/zero\n")
	writeScript(t, cgiDir, "status", "#!/bin/sh\nprintf 'Status: 418 Teapot\\nContent-Type: text/plain\\n\\nshort'\n")
	if err := os.WriteFile(filepath.Join(cgiDir, "noexec"), []byte("#!/bin/sh\necho hi\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(cgiDir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeScript(t, filepath.Join(cgiDir, "sub"), "x", "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\nsub'\n")
	srv := start(t, New(WithCGIDir(cgiDir), WithCGITimeout(300*time.Millisecond)))

	code, _, env := get(t, srv, "GET", "/cgi-bin/env/extra/path?q=1", nil,
		"Proxy", "http://evil:1", "X_Foo", "smuggled", "X-Bar", "ok", "User-Agent", "() { :; }; echo pwned", "Authorization", "Basic c2VjcmV0")
	if code != 200 {
		t.Fatalf("GET env = %d %s", code, env)
	}
	for _, want := range []string{"PATH_INFO=/extra/path", "QUERY_STRING=q=1", "SCRIPT_NAME=/cgi-bin/env", "HTTP_X_BAR=ok", "REQUEST_METHOD=GET", "PATH=/usr/bin:/bin", "AUTH_TYPE=Basic"} {
		if !strings.Contains(env, want+"\n") {
			t.Errorf("CGI env lacks %q:\n%s", want, env)
		}
	}
	// A trailing slash is PATH_INFO "/"; cookie fields join as one
	// header's pairs; the Host is there (net/http keeps it out of Header).
	_, _, env2 := get(t, srv, "GET", "/cgi-bin/env/", nil, "Cookie", "a=1", "Cookie", "b=2")
	for _, want := range []string{"PATH_INFO=/", "HTTP_COOKIE=a=1; b=2", "HTTP_HOST=127.0.0.1:"} {
		if !strings.Contains(env2, "\n"+want) {
			t.Errorf("CGI env lacks %q:\n%s", want, env2)
		}
	}
	// Basic credentials give the user, never the password (as
	// CGIHTTPRequestHandler's REMOTE_USER).
	creds := base64.StdEncoding.EncodeToString([]byte("alice:pw-9f2"))
	_, _, env3 := get(t, srv, "GET", "/cgi-bin/env", nil, "Authorization", "Basic "+creds)
	if !strings.Contains(env3, "\nAUTH_TYPE=Basic\n") || !strings.Contains(env3, "\nREMOTE_USER=alice\n") || strings.Contains(env3, "pw-9f2") || strings.Contains(env3, creds) {
		t.Errorf("CGI env with Basic credentials:\n%s", env3)
	}
	for _, bad := range []string{"HTTP_PROXY", "HTTP_X_FOO", "smuggled", "HTTP_AUTHORIZATION", "HOME=", "GOPATH", "GOFLAGS", "REMOTE_USER", "c2VjcmV0"} {
		if strings.Contains(env, bad) {
			t.Errorf("CGI env holds %q:\n%s", bad, env)
		}
	}
	for _, p := range []string{"/cgi-bin/noexec", "/cgi-bin/sub%2fx", "/cgi-bin/sub/x", "/cgi-bin/.hidden", "/cgi-bin/missing", "/cgi-bin/"} {
		if code, _, body := get(t, srv, "GET", p, nil); code != 404 {
			t.Errorf("GET %s = %d %q, want 404", p, code, body)
		}
	}
	if code, _, body := get(t, srv, "GET", "/cgi-bin/status", nil); code != 418 || body != "short" {
		t.Errorf("Status header = %d %q", code, body)
	}
	start := time.Now()
	if code, _, _ := get(t, srv, "GET", "/cgi-bin/hang", nil); code != 504 {
		t.Errorf("hung script = %d, want 504", code)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("hung script took %v", d)
	}
	// A flood stops at the cap or the timeout, never runs forever, and is
	// cut short: never a complete body.
	resp, err := http.Get(srv.URL + "/cgi-bin/flood")
	if err == nil {
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if n > maxCGIOutput+1 {
			t.Errorf("flood gave %d bytes, cap is %d", n, maxCGIOutput)
		}
		if err == nil {
			t.Errorf("flood cut after %d bytes ended as a complete body", n)
		}
	}
	// Chunked request body: 411.
	line := rawRequest(t, srv, "POST /cgi-bin/env HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n")
	if !strings.Contains(line, " 411 ") {
		t.Errorf("chunked POST to CGI = %q, want 411", line)
	}
	// An HTTP/2 body of no declared length: 411 too, not a script run
	// with an empty stdin.
	h2 := httptest.NewUnstartedServer(New(WithCGIDir(cgiDir)))
	h2.EnableHTTP2 = true
	h2.StartTLS()
	t.Cleanup(h2.Close)
	req, err := http.NewRequestWithContext(t.Context(), "POST", h2.URL+"/cgi-bin/env", io.MultiReader(strings.NewReader("hello")))
	if err != nil {
		t.Fatal(err)
	}
	resp, err = h2.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.ProtoMajor != 2 || resp.StatusCode != 411 {
		t.Errorf("HTTP/2 POST of no length to CGI = %s %d, want HTTP/2 411", resp.Proto, resp.StatusCode)
	}
}

// TestSmuggling pins net/http's answers to malformed framing (HOSTILE.md
// R9), as Go 1.26 gives them, so a Go upgrade that changes them shows up
// here. Go treats Transfer-Encoding as authoritative over Content-Length
// and unfolds obs-fold and bare LF, which RFC 9112 allows a server to do.
func TestSmuggling(t *testing.T) {
	srv := start(t, New())
	tests := []struct{ name, req, want string }{
		{"two content-lengths", "POST /post HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", " 400 "},
		{"CL and TE", "POST /post HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", " 200 "},
		{"TE gzip, chunked", "POST /post HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", " 501 "},
		{"TE identity", "POST /post HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n", " 501 "},
		{"CL with sign", "POST /post HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\nabc", " 400 "},
		{"bare LF", "GET /get HTTP/1.1\nHost: x\n\n", " 200 "},
		{"TE chunked twice", "POST /post HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", " 501 "},
		{"space before colon", "GET /get HTTP/1.1\r\nHost : x\r\n\r\n", " 400 "},
		{"obs-fold", "GET /get HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n", " 200 "},
		{"two hosts", "GET /get HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", " 400 "},
		{"no host", "GET /get HTTP/1.1\r\n\r\n", " 400 "},
		{"absolute form", "GET http://x/hello HTTP/1.1\r\nHost: x\r\n\r\n", " 200 "},
	}
	for _, tt := range tests {
		if got := rawRequest(t, srv, tt.req); !strings.Contains(got, tt.want) {
			t.Errorf("%s: status line %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestAccessLog(t *testing.T) {
	var mu sync.Mutex
	var buf bytes.Buffer
	w := writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return buf.Write(p) })
	srv := start(t, New(WithAccessLog(w)))
	get(t, srv, "GET", "/hello", nil)
	get(t, srv, "GET", "/status/404?x=%22%0a", nil)
	mu.Lock()
	logs := buf.String()
	mu.Unlock()
	lines := strings.Split(strings.TrimSpace(logs), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "127.0.0.1 - - [") || !strings.HasSuffix(lines[0], `] "GET /hello HTTP/1.1" 200 11`) {
		t.Fatalf("access log:\n%s", logs)
	}
	if !strings.Contains(lines[1], `"GET /status/404?x=%22%0a HTTP/1.1" 404`) {
		t.Errorf("access log line 2 = %q", lines[1])
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestServerTLS(t *testing.T) {
	s := &Server{TLS: true}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if !strings.HasPrefix(s.URL(), "https://127.0.0.1:") {
		t.Fatalf("URL = %q", s.URL())
	}
	resp, err := s.Client().Get(s.URL() + "/hello")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "Hello World" || resp.TLS == nil {
		t.Errorf("GET /hello over TLS = %q", b)
	}
	// An ordinary client does not trust the certificate.
	plain := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{}}}
	if _, err := plain.Get(s.URL() + "/hello"); err == nil {
		t.Errorf("an untrusting client accepted the generated certificate")
	}
	plain.CloseIdleConnections()
	if s.Certificate() == nil {
		t.Errorf("Certificate() = nil")
	}
}

// TestServerBind is HOSTILE.md R14: loopback by default; a public address
// needs AllowPublic.
func TestServerBind(t *testing.T) {
	s := &Server{}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.URL(), "http://127.0.0.1:") {
		t.Errorf("URL = %q, want loopback", s.URL())
	}
	if err := s.Start(); err == nil {
		t.Errorf("second Start: no error")
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0", "192.0.2.1:0"} {
		err := (&Server{Addr: addr}).Start()
		if !errors.Is(err, ErrNotLoopback) || !strings.Contains(err.Error(), addr) {
			t.Errorf("Start(%q) = %v, want a refusal", addr, err)
		}
	}
}

// TestHeaderLimits is HOSTILE.md R12.
func TestHeaderLimits(t *testing.T) {
	s := &Server{}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	req, _ := http.NewRequestWithContext(t.Context(), "GET", s.URL()+"/hello", nil)
	req.Header.Set("X-Big", strings.Repeat("a", 2<<20))
	resp, err := s.Client().Do(req)
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("2 MB header = %d, want 431", resp.StatusCode)
		}
	} else if !errors.Is(err, syscall.ECONNRESET) && !strings.Contains(err.Error(), "reset") && !strings.Contains(err.Error(), "broken pipe") {
		t.Errorf("2 MB header: %v", err)
	}
}
