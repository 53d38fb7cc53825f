package fetch_test

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/grabhq/grab/fetch"
	"github.com/grabhq/grab/fetch/conn"
	"github.com/grabhq/grab/internal/testkit"
	"github.com/grabhq/grab/testserver"
)

// echo is what httpbin's /anything answers.
type echo struct {
	Method  string              `json:"method"`
	Data    string              `json:"data"`
	Form    map[string][]string `json:"form"`
	Headers map[string][]string `json:"headers"`
	URL     string              `json:"url"`
}

func decodeEcho(t *testing.T, body string) echo {
	t.Helper()
	var e echo
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("httpbin answer %q: %v", body, err)
	}
	return e
}

func TestMethods(t *testing.T) {
	w := newWorld(t, []string{"a"})
	each(t, func(t *testing.T, kind string) {
		o := w.opener(kind, nil)
		for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"} {
			t.Run(m, func(t *testing.T) {
				req := &fetch.Request{URL: w.urls["a"] + "/anything/x", Method: m}
				if m != "GET" && m != "OPTIONS" {
					req.Data = []byte("a=1&b=2")
				}
				resp, body := read(t, o, req)
				if resp.StatusCode != 200 {
					t.Fatalf("%s: status %s", m, resp.Status)
				}
				if m == "OPTIONS" {
					return // httpbin answers OPTIONS with CORS headers only
				}
				e := decodeEcho(t, body)
				if e.Method != m {
					t.Errorf("%s: server saw method %q", m, e.Method)
				}
				if req.Data != nil && e.Form["a"] == nil {
					t.Errorf("%s: server saw form %v, data %q", m, e.Form, e.Data)
				}
			})
		}
		t.Run("HEAD", func(t *testing.T) {
			resp, body := read(t, o, &fetch.Request{URL: w.urls["a"] + "/get", Method: "HEAD"})
			if resp.StatusCode != 200 || body != "" || resp.Header.Get("Content-Type") == "" {
				t.Errorf("HEAD: status %s, body %q, header %v", resp.Status, body, resp.Header)
			}
		})
	})
}

// The textbook's 2-2: data makes a POST with a form Content-Type.
func TestUrlopenData(t *testing.T) {
	w := newWorld(t, []string{"a"})
	each(t, func(t *testing.T, kind string) {
		o := w.opener(kind, nil)
		fetch.InstallOpener(o)
		t.Cleanup(func() { fetch.InstallOpener(nil) })
		resp, err := fetch.Urlopen(t.Context(), w.urls["a"]+"/anything", []byte("query=python"))
		if err != nil {
			t.Fatal(err)
		}
		text, err := resp.Text()
		if err != nil {
			t.Fatal(err)
		}
		e := decodeEcho(t, text)
		if e.Method != "POST" || e.Form["query"][0] != "python" || e.Headers["Content-Type"][0] != "application/x-www-form-urlencoded" {
			t.Errorf("server saw %+v", e)
		}
	})
}

// The textbook's 2-3: a Request with add_header and add_data.
func TestRequestAddHeader(t *testing.T) {
	w := newWorld(t, []string{"a"})
	each(t, func(t *testing.T, kind string) {
		o := w.opener(kind, nil)
		req := fetch.NewRequest(w.urls["a"]+"/anything", nil)
		req.AddHeader("Content-Type", "text/plain")
		req.SetData([]byte("hello there"))
		if got := req.GetMethod(); got != "POST" {
			t.Errorf("GetMethod() = %q, want POST", got)
		}
		_, body := read(t, o, req)
		e := decodeEcho(t, body)
		if e.Method != "POST" || e.Data != "hello there" || e.Headers["Content-Type"][0] != "text/plain" {
			t.Errorf("server saw %+v", e)
		}
	})
}

// The textbook's cgi_client.py (2-14) against a CGI script (2-15).
func TestCGIPost(t *testing.T) {
	dir := t.TempDir()
	script := "#!/bin/sh\nprintf 'Content-type: text/plain\\n\\n'\necho 'Welcome, CGI Scripts'\ncat\n"
	if err := os.WriteFile(filepath.Join(dir, "script.py"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	w := newWorld(t, []string{"a"}, testserver.WithCGIDir(dir))
	each(t, func(t *testing.T, kind string) {
		o := w.opener(kind, nil)
		form := url.Values{"language": {"python"}, "framework": {"django"}, "email": {"kim@example.com"}}
		_, body := read(t, o, fetch.NewRequest(w.urls["a"]+"/cgi-bin/script.py", []byte(form.Encode())))
		want := "Welcome, CGI Scripts\nemail=kim%40example.com&framework=django&language=python"
		if body != want {
			t.Errorf("CGI answered %q, want %q", body, want)
		}
	})
}

// The textbook's 2-11: PUT a file to the upload directory.
func TestPut(t *testing.T) {
	dir := t.TempDir()
	w := newWorld(t, []string{"a"}, testserver.WithUploadDir(dir))
	each(t, func(t *testing.T, kind string) {
		o := w.opener(kind, nil)
		resp, _ := read(t, o, &fetch.Request{URL: w.urls["a"] + "/file-" + kind, Method: "PUT", Data: []byte("***filecontents***")})
		if resp.StatusCode != 201 {
			t.Errorf("PUT: %s", resp.Status)
		}
		if b, err := os.ReadFile(filepath.Join(dir, "file-"+kind)); err != nil || string(b) != "***filecontents***" {
			t.Errorf("stored %q, %v", b, err)
		}
	})
}

func TestResponse(t *testing.T) {
	w := newWorld(t, []string{"a"})
	each(t, func(t *testing.T, kind string) {
		o := w.opener(kind, nil)
		resp, body := read(t, o, w.urls["a"]+"/redirect/2")
		if resp.URL != w.urls["a"]+"/get" || resp.StatusCode != 200 || resp.Reason != "OK" || resp.Method != "GET" {
			t.Errorf("URL %q status %d reason %q method %q", resp.URL, resp.StatusCode, resp.Reason, resp.Method)
		}
		if len(resp.History) != 2 || resp.History[0].StatusCode != 302 || resp.History[0].URL != w.urls["a"]+"/redirect/2" {
			t.Errorf("History = %+v", resp.History)
		}
		tm := resp.Timings
		if tm == nil || tm.FirstByte.IsZero() || tm.Done.IsZero() || tm.Total() <= 0 {
			t.Errorf("Timings = %+v", tm)
		}
		if !strings.Contains(body, `"User-Agent": [`) || !strings.Contains(body, "grab/") {
			t.Errorf("default User-Agent not grab/...: %s", body)
		}
		if resp.LengthUnknown {
			t.Error("LengthUnknown for a framed body")
		}
	})
}

// TestCopy: io.Copy(w, resp) goes through Response.WriteTo, whose buffer
// is reused: the body arrives whole, twice, and a short one still fails.
func TestCopy(t *testing.T) {
	w := newWorld(t, []string{"a"})
	each(t, func(t *testing.T, kind string) {
		o := w.opener(kind, nil)
		for range 2 {
			resp, err := o.Open(t.Context(), w.urls["a"]+"/fault/lie?length=70000&actual=70000")
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			n, err := io.Copy(&b, resp)
			resp.Close()
			if err != nil || n != 70000 || b.Len() != 70000 || b.String()[69999] != 'a'+69999%26 {
				t.Fatalf("io.Copy = %d, %v (%d bytes kept)", n, err, b.Len())
			}
		}
		resp, err := o.Open(t.Context(), w.urls["a"]+"/fault/lie?length=70000&actual=50000")
		if err != nil {
			t.Fatal(err)
		}
		n, err := io.Copy(io.Discard, resp)
		resp.Close()
		var te *fetch.TruncatedError
		if !errors.As(err, &te) || n != 50000 {
			t.Errorf("io.Copy of a short body = %d, %v, want 50000, *TruncatedError", n, err)
		}
	})
}

// TestWriteToFileError: a failure to write the file WriteTo copies into
// is a *fetch.FileWriteError on every path a body takes (splice, the
// buffer, a file: body's own WriteTo), so a caller can tell a full disk
// from a broken connection.
func TestWriteToFileError(t *testing.T) {
	w := newWorld(t, []string{"a"})
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if err := os.WriteFile(src, make([]byte, 70000), 0o644); err != nil {
		t.Fatal(err)
	}
	each(t, func(t *testing.T, kind string) {
		o := w.opener(kind, nil)
		for _, target := range []string{
			w.urls["a"] + "/fault/lie?length=70000&actual=70000", // sized: ReadFile on conn
			w.urls["a"] + "/stream-bytes/70000",                  // chunked: the buffer
			"file://" + filepath.ToSlash(src),                    // the file's WriteTo
		} {
			resp, err := o.Open(t.Context(), target)
			if err != nil {
				t.Fatal(err)
			}
			ro, err := os.Open(src) // read-only: every write fails
			if err != nil {
				t.Fatal(err)
			}
			_, err = resp.WriteTo(ro)
			ro.Close()
			resp.Close()
			var fe *fetch.FileWriteError
			if !errors.As(err, &fe) {
				t.Errorf("%s: WriteTo a read-only file = %T %v, want a *FileWriteError", target, err, err)
			}
		}
		// A body cut short while it goes into a file is the body's fault.
		f, err := os.Create(filepath.Join(t.TempDir(), "out"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for _, target := range []string{
			w.urls["a"] + "/fault/lie?length=70000&actual=50000",
			w.urls["a"] + "/fault/cut-chunked?send=50000",
		} {
			resp, err := o.Open(t.Context(), target)
			if err != nil {
				t.Fatal(err)
			}
			_, err = resp.WriteTo(f)
			resp.Close()
			var te *fetch.TruncatedError
			var fe *fetch.FileWriteError
			if !errors.As(err, &te) || errors.As(err, &fe) {
				t.Errorf("%s: WriteTo a file = %T %v, want a *TruncatedError only", target, err, err)
			}
		}
		// A writer that is not a file gets its own error back, unwrapped.
		resp, err := o.Open(t.Context(), w.urls["a"]+"/stream-bytes/70000")
		if err != nil {
			t.Fatal(err)
		}
		mine := errors.New("mine")
		_, err = resp.WriteTo(failWriter{mine})
		resp.Close()
		if err != mine {
			t.Errorf("WriteTo a failing writer = %v, want its own error", err)
		}
	})
}

type failWriter struct{ err error }

func (w failWriter) Write([]byte) (int, error) { return 0, w.err }

// TestCopyToFile: io.Copy(f, resp) into a file moves the body without a
// copy through memory where the transport can (fetch/conn over plain
// HTTP, on Linux: Response.ReadFile), and reads it otherwise; either way
// the file holds the body, and a short body fails.
func TestCopyToFile(t *testing.T) {
	w := newWorld(t, []string{"a"})
	each(t, func(t *testing.T, kind string) {
		o := w.opener(kind, nil)
		dir := t.TempDir()
		for i, tt := range []struct {
			path string
			want int64
		}{
			{"/fault/lie?length=300000&actual=300000", 300000},
			{"/fault/lie?length=300000&actual=200000", -1},
		} {
			resp, err := o.Open(t.Context(), w.urls["a"]+tt.path)
			if err != nil {
				t.Fatal(err)
			}
			f, err := os.Create(filepath.Join(dir, fmt.Sprint(i)))
			if err != nil {
				t.Fatal(err)
			}
			n, err := io.Copy(f, resp)
			resp.Close()
			f.Close()
			if tt.want < 0 {
				var te *fetch.TruncatedError
				if !errors.As(err, &te) || n != 200000 {
					t.Errorf("%s: io.Copy = %d, %v, want 200000, *TruncatedError", tt.path, n, err)
				}
				continue
			}
			b, _ := os.ReadFile(f.Name())
			if err != nil || n != tt.want || int64(len(b)) != tt.want || b[len(b)-1] != 'a'+byte((tt.want-1)%26) {
				t.Errorf("%s: io.Copy = %d, %v; file of %d bytes", tt.path, n, err, len(b))
			}
		}

		// Whether ReadFile moves the bytes itself: only on fetch/conn, on
		// Linux, and never for a decoded body.
		f, err := os.Create(filepath.Join(dir, "rf"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for _, path := range []string{"/bytes/1000", "/gzip"} {
			resp, err := o.Open(t.Context(), w.urls["a"]+path)
			if err != nil {
				t.Fatal(err)
			}
			_, err = resp.ReadFile(f, 1<<20)
			resp.Close()
			spliced := kind == "conn" && runtime.GOOS == "linux" && path == "/bytes/1000"
			if got := !errors.Is(err, errors.ErrUnsupported); got != spliced {
				t.Errorf("%s: ReadFile moved bytes = %v (%v), want %v", path, got, err, spliced)
			}
		}
	})
}

func TestHTTPError(t *testing.T) {
	w := newWorld(t, []string{"a"})
	each(t, func(t *testing.T, kind string) {
		o := w.opener(kind, nil)
		u := strings.Replace(w.urls["a"], "://", "://kim:"+testkit.Canary("pw")+"@", 1) + "/status/418"
		_, err := o.Open(t.Context(), u)
		var he *fetch.HTTPError
		if !errors.As(err, &he) {
			t.Fatalf("Open(/status/418) error = %v, want *HTTPError", err)
		}
		if he.StatusCode != 418 || he.Status != "418 I'm a teapot" || he.Method != "GET" || len(he.Body) == 0 {
			t.Errorf("HTTPError = %+v", he)
		}
		if strings.Contains(he.URL, "pw-") || strings.Contains(err.Error(), "pw-") {
			t.Errorf("password in error: %v", err)
		}
		o2 := w.opener(kind, &fetch.Opener{AllowErrorStatus: true})
		resp, _ := read(t, o2, w.urls["a"]+"/status/404")
		if resp.StatusCode != 404 {
			t.Errorf("AllowErrorStatus: status %d", resp.StatusCode)
		}
	})
}

// TestHTTPErrorLongReason: a reason phrase of a megabyte (the head's
// limit) is cut in the message; the Status field keeps it whole.
func TestHTTPErrorLongReason(t *testing.T) {
	status := "500 " + strings.Repeat("x", 1<<20)
	err := &fetch.HTTPError{Method: "GET", URL: "http://127.0.0.1/", StatusCode: 500, Status: status}
	want := "GET http://127.0.0.1/: 500 " + strings.Repeat("x", 196) + "..."
	if got := err.Error(); got != want {
		t.Errorf("Error() = %d bytes %.40q..., want %d bytes", len(got), got, len(want))
	}
}

func TestURLError(t *testing.T) {
	w := newWorld(t, []string{"a"})
	each(t, func(t *testing.T, kind string) {
		o := w.opener(kind, nil)
		_, err := o.Open(t.Context(), "http://127.0.0.1:1/")
		var ue *url.Error
		if !errors.As(err, &ue) || ue.URL != "http://127.0.0.1:1/" {
			t.Fatalf("Open(closed port) error = %v, want *url.Error", err)
		}
	})
}

func TestBuildOpener(t *testing.T) {
	w := newWorld(t, []string{"a"})
	hdr := http.Header{"X-Default": {"yes"}}
	o, err := fetch.BuildOpener(fetch.Redirects{Max: 1}, hdr, w.transport("conn"), &fetch.Retry{}, fetch.Timeouts{Total: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(o.CloseIdleConnections)
	if len(o.Handlers) != 1 || o.Redirects.Max != 1 || o.Header.Get("X-Default") != "yes" {
		t.Errorf("BuildOpener = %+v", o)
	}
	_, body := read(t, o, w.urls["a"]+"/headers")
	if !strings.Contains(body, `"X-Default"`) {
		t.Errorf("default header not sent: %s", body)
	}
	_, err = o.Open(t.Context(), w.urls["a"]+"/redirect/2")
	if !errors.Is(err, fetch.ErrTooManyRedirects) {
		t.Errorf("Redirects{Max: 1} on 2 redirects: %v", err)
	}
	for _, bad := range [][]any{{42}, {w.transport("conn"), w.transport("nethttp")}, {hdr, hdr}} {
		if _, err := fetch.BuildOpener(bad...); err == nil {
			t.Errorf("BuildOpener(%T...) = nil error", bad[0])
		}
	}
	var noProxy func(*http.Request) (*url.URL, error)
	for _, bad := range []any{nil, (*fetch.Retry)(nil), noProxy} {
		if _, err := fetch.BuildOpener(bad); err == nil || !strings.Contains(err.Error(), "nil") {
			t.Errorf("BuildOpener(%T(nil)) = %v, want an error naming the nil piece", bad, err)
		}
	}
	// Nil handlers set directly are left out, where Open panicked.
	o = &fetch.Opener{Transport: w.transport("conn"), Handlers: []fetch.Handler{nil, (*fetch.Retry)(nil), &fetch.Retry{}}}
	t.Cleanup(o.CloseIdleConnections)
	if resp, _ := read(t, o, w.urls["a"]+"/get"); resp.StatusCode != http.StatusOK {
		t.Errorf("nil handlers: status %d", resp.StatusCode)
	}
}

// HOSTILE.md D12: a field given for one request is not left for the next.
func TestNoLeftoverHeaders(t *testing.T) {
	w := newWorld(t, []string{"a"})
	each(t, func(t *testing.T, kind string) {
		o := w.opener(kind, nil)
		secret := testkit.Canary("cookie")
		req := &fetch.Request{URL: w.urls["a"] + "/headers", Header: http.Header{"Cookie": {"s=" + secret}, "Host": {"other.test"}}}
		read(t, o, req)
		read(t, o, w.urls["a"]+"/headers?second")
		last := w.rec.All()
		if l := last[len(last)-1]; l.Header.Get("Cookie") != "" || l.Host == "other.test" {
			t.Errorf("second request carried %v, Host %q", l.Header, l.Host)
		}
	})
}

func TestRetrieve(t *testing.T) {
	w := newWorld(t, []string{"a"})
	each(t, func(t *testing.T, kind string) {
		o := w.opener(kind, nil)
		dir := t.TempDir()
		name := filepath.Join(dir, "page.txt")
		var calls int
		var last int64
		got, hdr, err := o.Retrieve(t.Context(), w.urls["a"]+"/bytes/5000?seed=1", name, func(done, total int64) {
			calls++
			last = done
		})
		if err != nil || got != name || hdr.Get("Content-Type") == "" {
			t.Fatalf("Retrieve = %q, %v, %v", got, hdr, err)
		}
		if fi, err := os.Stat(name); err != nil || fi.Size() != 5000 || last != 5000 || calls < 2 {
			t.Errorf("file %v %v, progress calls %d last %d", fi, err, calls, last)
		}
		// A body cut short leaves the old file as it was, and no temporary.
		if err := os.WriteFile(name, []byte("old"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, _, err = o.Retrieve(t.Context(), w.urls["a"]+"/fault/lie?length=4000&actual=1000", name, nil)
		var te *fetch.TruncatedError
		if !errors.As(err, &te) || te.Got != 1000 || te.Want != 4000 {
			t.Errorf("Retrieve of a cut body: %v", err)
		}
		if b, _ := os.ReadFile(name); string(b) != "old" {
			t.Errorf("old file now %q", b)
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 1 {
			t.Errorf("left behind: %v", ents)
		}
		// No name: a temporary file.
		tmp, _, err := o.Retrieve(t.Context(), w.urls["a"]+"/hello", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer os.Remove(tmp)
		if b, _ := os.ReadFile(tmp); string(b) != "Hello World" {
			t.Errorf("temporary file holds %q", b)
		}
	})
}

// TestRetrieveTempRemoved: a failed Retrieve to a temporary file of its
// own removes it; the caller has no name to remove.
func TestRetrieveTempRemoved(t *testing.T) {
	w := newWorld(t, []string{"a"})
	tmpdir := t.TempDir()
	t.Setenv("TMPDIR", tmpdir)
	o := w.opener("nethttp", nil)
	if _, _, err := o.Retrieve(t.Context(), w.urls["a"]+"/fault/lie?length=4000&actual=1000", "", nil); err == nil {
		t.Fatal("Retrieve of a cut body succeeded")
	}
	if ents, _ := os.ReadDir(tmpdir); len(ents) != 0 {
		t.Errorf("left behind in TMPDIR: %v", ents)
	}
}

func TestFile(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "a b.txt")
	if err := os.WriteFile(name, []byte("local\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	o := &fetch.Opener{}
	u := (&url.URL{Scheme: "file", Path: name}).String()
	esc := (&url.URL{Path: filepath.ToSlash(name)}).EscapedPath()
	resp, body := read(t, o, u)
	if body != "local\n" || resp.Header.Get("Content-Length") != "6" || resp.Header.Get("Content-Type") != "text/plain" {
		t.Errorf("file: %q %v, want text/plain without a charset, as urllib's", body, resp.Header)
	}
	// A page's own <meta charset> is what tells its encoding.
	latin := filepath.Join(dir, "latin.html")
	if err := os.WriteFile(latin, []byte(`<meta charset="iso-8859-1"><p>caf`+"\xe9</p>"), 0o644); err != nil {
		t.Fatal(err)
	}
	lr, err := o.Open(t.Context(), &fetch.Request{URL: (&url.URL{Scheme: "file", Path: latin}).String()})
	if err != nil {
		t.Fatal(err)
	}
	if text, err := lr.Text(); err != nil || !strings.Contains(text, "café") || lr.Header.Get("Content-Type") != "text/html" {
		t.Errorf("latin-1 page: %q, %v, Content-Type %q; want café", text, err, lr.Header.Get("Content-Type"))
	}
	lr.Close()
	if _, body := read(t, o, "file://localhost"+filepath.ToSlash(dir)+"/a%20b.txt"); body != "local\n" {
		t.Errorf("file://localhost: %q", body)
	}
	tests := []struct {
		name, url string
		want      error
	}{
		{"I2 UNC host", "file://server/share/x", fetch.ErrInvalidRequest},
		{"I2 other host", "file://example.com" + esc, fetch.ErrInvalidRequest},
		{"I3 directory", "file://" + dir, fetch.ErrNotRegular},
		{"I3 device", "file:///dev/zero", fetch.ErrNotRegular},
		{"I4 NUL", "file://" + esc + "%00.png", fetch.ErrInvalidRequest},
		{"I4 dot segments", "file:///a/%2e%2e/%2e%2e" + esc + ".missing", os.ErrNotExist},
		{"I5 local_file", "local_file://" + esc, fetch.ErrInvalidRequest},
		{"I5 file+x", "file+x://" + esc, fetch.ErrInvalidRequest},
		{"I5 leading space", " file://" + esc, fetch.ErrInvalidRequest},
		{"POST", "", fetch.ErrInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := any(tt.url)
			if tt.url == "" {
				target = &fetch.Request{URL: u, Data: []byte("x")}
			}
			_, err := o.Open(t.Context(), target)
			if !errors.Is(err, tt.want) {
				t.Errorf("Open(%q) = %v, want %v", tt.url, err, tt.want)
			}
		})
	}
	fifo := filepath.Join(dir, "fifo")
	if err := mkfifo(fifo); err == nil {
		if _, err := o.Open(t.Context(), "file://"+fifo); !errors.Is(err, fetch.ErrNotRegular) {
			t.Errorf("I3 FIFO: %v", err)
		}
	}
	if _, err := (&fetch.Opener{DisableFile: true}).Open(t.Context(), u); !errors.Is(err, fetch.ErrFileDisabled) {
		t.Errorf("DisableFile: %v", err)
	}
	// File: upper case scheme is the same scheme.
	if _, body := read(t, o, "FILE://"+esc); body != "local\n" {
		t.Errorf("FILE://: %q", body)
	}
}

func TestData(t *testing.T) {
	tests := []struct{ url, ctype, body string }{
		{"data:,A%20brief%20note", "text/plain;charset=US-ASCII", "A brief note"},
		{"data:text/html;charset=utf-8;base64,PGI+aGk8L2I+", "text/html;charset=utf-8", "<b>hi</b>"},
		{"data:;base64,aGk", "text/plain;charset=US-ASCII", "hi"},
		{"data:;charset=utf-8,caf%C3%A9", "text/plain;charset=utf-8", "café"}, // RFC 2397's shorthand
		{"data:;Charset=latin-1;base64,aGk", "text/plain;Charset=latin-1", "hi"},
		{"data:;BASE64,aGk", "text/plain;charset=US-ASCII", "hi"},   // any case, as WHATWG's
		{"data:base64,aGk", "text/plain;charset=US-ASCII", "aGk"},   // "base64" is no flag here
		{"data:x-base64,aGk", "text/plain;charset=US-ASCII", "aGk"}, // nor a suffix of a word
		{"data:image/gif;base64,R0lG%0AODlh", "image/gif", "GIF89a"},
	}
	o := &fetch.Opener{}
	for _, tt := range tests {
		resp, body := read(t, o, tt.url)
		if body != tt.body || resp.Header.Get("Content-Type") != tt.ctype {
			t.Errorf("Open(%q) = %q (%s), want %q (%s)", tt.url, body, resp.Header.Get("Content-Type"), tt.body, tt.ctype)
		}
	}
	for _, bad := range []string{"data:text/plain", "data:;base64,!!!"} {
		if _, err := o.Open(t.Context(), bad); !errors.Is(err, fetch.ErrInvalidRequest) {
			t.Errorf("Open(%q) = %v, want ErrInvalidRequest", bad, err)
		}
	}
}

func TestBytesLimit(t *testing.T) {
	w := newWorld(t, []string{"a"})
	each(t, func(t *testing.T, kind string) {
		// HOSTILE.md E7: past the cap is an error, never a short success.
		o := w.opener(kind, &fetch.Opener{Limits: fetch.Limits{BodyBytes: 1000}})
		for _, path := range []string{"/bytes/1001", "/stream-bytes/5000?chunk_size=100"} {
			resp, err := o.Open(t.Context(), w.urls["a"]+path)
			if err != nil {
				t.Fatal(err)
			}
			if b, err := resp.Bytes(); !errors.Is(err, fetch.ErrBodyTooLarge) || b != nil {
				t.Errorf("%s: Bytes() = %d bytes, %v; want ErrBodyTooLarge", path, len(b), err)
			}
		}
		resp, err := o.Open(t.Context(), w.urls["a"]+"/bytes/1000")
		if err != nil {
			t.Fatal(err)
		}
		if b, err := resp.Bytes(); err != nil || len(b) != 1000 {
			t.Errorf("at the cap: %d bytes, %v", len(b), err)
		}
		// A HEAD's Content-Length is the resource's: there is no body to
		// be too large (urllib's read() gives b"").
		resp, err = o.Open(t.Context(), &fetch.Request{URL: w.urls["a"] + "/bytes/5000", Method: http.MethodHead})
		if err != nil {
			t.Fatal(err)
		}
		if b, err := resp.Bytes(); err != nil || len(b) != 0 || resp.ContentLength != 5000 {
			t.Errorf("HEAD: Bytes() = %d bytes, %v (Content-Length %d); want none, no error", len(b), err, resp.ContentLength)
		}
		// A negative BodyBytes is no cap at all.
		none := w.opener(kind, &fetch.Opener{Limits: fetch.Limits{BodyBytes: -1}})
		for _, path := range []string{"/bytes/5000", "/stream-bytes/5000?chunk_size=100"} {
			resp, err := none.Open(t.Context(), w.urls["a"]+path)
			if err != nil {
				t.Fatal(err)
			}
			if b, err := resp.Bytes(); err != nil || len(b) != 5000 {
				t.Errorf("%s without a cap: %d bytes, %v; want 5000", path, len(b), err)
			}
		}
	})
}

func TestUserAgent(t *testing.T) {
	if ua := fetch.DefaultUserAgent(); !strings.HasPrefix(ua, "grab/") {
		t.Errorf("DefaultUserAgent() = %q", ua)
	}
	w := newWorld(t, []string{"a"})
	o := w.opener("nethttp", &fetch.Opener{UserAgent: "custom/1"})
	_, body := read(t, o, w.urls["a"]+"/user-agent")
	if !strings.Contains(body, "custom/1") {
		t.Errorf("UserAgent not sent: %s", body)
	}
	_, body = read(t, o, &fetch.Request{URL: w.urls["a"] + "/user-agent", Header: http.Header{"User-Agent": {"mine"}}})
	if !strings.Contains(body, `"mine"`) {
		t.Errorf("request User-Agent not sent: %s", body)
	}
	_, body = read(t, o, &fetch.Request{URL: w.urls["a"] + "/headers", Data: []byte("x"), Header: http.Header{"User-Agent": {""}, "Accept-Encoding": {""}, "Content-Type": {""}}})
	for _, f := range []string{"User-Agent", "Accept-Encoding", "Content-Type"} {
		if strings.Contains(body, f) {
			t.Errorf("%s given empty was sent: %s", f, body)
		}
	}
}

// The zero Opener's EngineAuto runs plain http on fetch/conn (whose
// timings have the connect phase without Opener.Trace) and https on
// net/http (HTTP/2 here).
func TestEngineAuto(t *testing.T) {
	w := newWorld(t, []string{"a", "tls"})
	o := &fetch.Opener{}
	t.Cleanup(o.CloseIdleConnections)
	resp, body := read(t, o, w.urls["a"]+"/hello")
	if body != "Hello World" || resp.Proto != "HTTP/1.1" || resp.Timings.ConnectDone.IsZero() {
		t.Errorf("http: body %q, proto %s, connect done %v: want Hello World over fetch/conn", body, resp.Proto, resp.Timings.ConnectDone)
	}
	o = &fetch.Opener{Dial: w.g.DialContext, TLSConfig: &tls.Config{RootCAs: w.certs}}
	t.Cleanup(o.CloseIdleConnections)
	resp, body = read(t, o, w.urls["tls"]+"/hello")
	if body != "Hello World" || resp.Proto != "HTTP/2.0" || !resp.Timings.ConnectDone.IsZero() {
		t.Errorf("https: body %q, proto %s, connect done %v: want Hello World over net/http's HTTP/2", body, resp.Proto, resp.Timings.ConnectDone)
	}
	direct := func(*http.Request) (*url.URL, error) { return nil, nil }
	for _, tt := range []struct {
		engine fetch.Engine
		proxy  string  // "", "yes", "error"
		want   [2]bool // http, https
	}{
		{fetch.EngineAuto, "", [2]bool{true, false}},
		{fetch.EngineAuto, "yes", [2]bool{true, true}},
		{fetch.EngineAuto, "error", [2]bool{true, true}}, // conn reports it
		{fetch.EngineNetHTTP, "yes", [2]bool{false, false}},
		{fetch.EngineConn, "", [2]bool{true, true}},
	} {
		o := &fetch.Opener{Engine: tt.engine, Proxy: direct} // not the environment's
		switch tt.proxy {
		case "yes":
			o.Proxy = http.ProxyURL(&url.URL{Scheme: "http", Host: "127.0.0.1:9"})
		case "error":
			o.Proxy = func(*http.Request) (*url.URL, error) { return nil, errors.New("no proxy today") }
		}
		for i, scheme := range []string{"http", "https"} {
			req, _ := http.NewRequest("GET", scheme+"://example.com/", nil)
			if got := o.OnConn(req); got != tt.want[i] {
				t.Errorf("Engine %d, proxy %q: OnConn(%s) = %v, want %v", tt.engine, tt.proxy, scheme, got, tt.want[i])
			}
		}
	}
	if req, _ := http.NewRequest("GET", "http://a/", nil); (&fetch.Opener{Transport: w.transport("nethttp")}).OnConn(req) {
		t.Error("OnConn with an *http.Transport = true")
	}
}

// TestZeroErrors: the zero value of each error type of fetch (and of
// fetch/conn's, which fetch returns) has a message, never a panic.
func TestZeroErrors(t *testing.T) {
	for _, err := range []error{&fetch.HTTPError{}, &fetch.TimeoutError{}, &fetch.RedirectError{}, &fetch.FileWriteError{},
		&conn.TruncatedError{}, &conn.ClosedError{}} {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%T{}.Error() panics: %v", err, r)
				}
			}()
			_ = err.Error()
		}()
	}
}

// TestNumericHosts: a host that ends in a number is dialed as the IPv4
// address it spells, as curl, wget and CPython reach it (Go's resolver
// asked DNS for "127.1"), and the Host field keeps the URL's spelling.
func TestNumericHosts(t *testing.T) {
	w := newWorld(t, []string{"a"})
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		io.WriteString(rw, r.Host)
	}))
	t.Cleanup(srv.Close)
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	each(t, func(t *testing.T, kind string) {
		o := w.opener(kind, nil)
		for _, host := range []string{"127.1", "0x7f.1", "2130706433", "017700000001", "127.0.0.1."} {
			resp, body := read(t, o, "http://"+host+":"+port+"/")
			if resp.StatusCode != 200 || body != host+":"+port {
				t.Errorf("GET http://%s:%s/ = %s %q, want 200 and its Host", host, port, resp.Status, body)
			}
		}
	})
}

// TestStrayPercent: a '%' that begins no escape ("/100%.html") is fetched,
// as curl, wget and CPython fetch it, sent as "%25" as wget sends it, also
// from a redirect's Location; net/url refused the URL.
func TestStrayPercent(t *testing.T) {
	w := newWorld(t, []string{"a"})
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/go" {
			rw.Header().Set("Location", "/100%.html?q=5%")
			rw.WriteHeader(http.StatusFound)
			return
		}
		io.WriteString(rw, r.RequestURI+" "+r.URL.Path)
	}))
	t.Cleanup(srv.Close)
	each(t, func(t *testing.T, kind string) {
		o := w.opener(kind, nil)
		for target, want := range map[string]string{
			srv.URL + "/100%.html":     "/100%25.html /100%.html",
			srv.URL + "/a%zz/b%":       "/a%25zz/b%25 /a%zz/b%",
			srv.URL + "/ok%41%2F":      "/ok%41%2F /okA/",
			srv.URL + "/go":            "/100%25.html?q=5% /100%.html",
			srv.URL + "/100%.html?q=%": "/100%25.html?q=% /100%.html",
		} {
			if resp, body := read(t, o, target); resp.StatusCode != 200 || body != want {
				t.Errorf("GET %s = %s %q, want %q", target, resp.Status, body, want)
			}
		}
	})
}
