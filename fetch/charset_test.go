package fetch_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grabhq/grab/fetch"
	"github.com/grabhq/grab/testserver"
)

// charsetCase is one fixture of testdata/charset, its text as CPython's
// codecs decode it (gen.py writes both).
type charsetCase struct {
	ContentType string `json:"content_type"`
	Text        string `json:"text"`
	Charset     string `json:"charset"`
}

func charsetCases(t *testing.T) map[string]charsetCase {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "charset", "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases map[string]charsetCase
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	return cases
}

// servePages serves each fixture at /charset/NAME with its Content-Type.
func servePages(cases map[string]charsetCase) testserver.Option {
	return testserver.Mount("/charset/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/charset/")
		c, ok := cases[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		b, _ := os.ReadFile(filepath.Join("testdata", "charset", name))
		w.Header().Set("Content-Type", c.ContentType)
		w.Write(b)
	}))
}

// Text and TextReader decode EUC-KR, Shift_JIS, windows-1252 and UTF-16
// pages as CPython does, choosing the charset in the WHATWG order.
func TestCharset(t *testing.T) {
	cases := charsetCases(t)
	w := newWorld(t, []string{"a"}, servePages(cases))
	each(t, func(t *testing.T, kind string) {
		o := w.opener(kind, nil)
		for name, c := range cases {
			t.Run(name, func(t *testing.T) {
				resp, err := o.Open(t.Context(), w.urls["a"]+"/charset/"+name)
				if err != nil {
					t.Fatal(err)
				}
				text, err := resp.Text()
				if err != nil || text != c.Text {
					t.Errorf("Text() = %q, %v\nwant %q", text, err, c.Text)
				}
				resp, err = o.Open(t.Context(), w.urls["a"]+"/charset/"+name)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Close()
				r, cs, err := resp.TextReader()
				if err != nil || cs.Name != c.Charset {
					t.Fatalf("TextReader() charset %+v, %v; want %s", cs, err, c.Charset)
				}
				if b, err := io.ReadAll(r); err != nil || string(b) != c.Text {
					t.Errorf("TextReader read %q, %v\nwant %q", b, err, c.Text)
				}
			})
		}
	})
}

func TestDetectCharset(t *testing.T) {
	tests := []struct {
		head, ctype, name, source string
	}{
		{"\xef\xbb\xbf<p>", "text/html; charset=euc-kr", "utf-8", "bom"},
		{"<p>", "text/html; charset=latin1", "windows-1252", "header"},
		{"<p>", "text/html; charset=utf-7", "utf-8", "default"},
		{"<p>", "text/html; charset=nonsense", "utf-8", "default"},
		{`<meta charset="x-user-defined">`, "text/html", "windows-1252", "meta"},
		{`<meta charset="utf-16">`, "", "utf-8", "meta"},
		{`<meta http-equiv="content-type" content="text/html;charset='iso-2022-jp'">`, "", "iso-2022-jp", "meta"},
		{`<meta charset="euc-kr">`, "text/plain", "utf-8", "default"},
		{"", "", "utf-8", "default"},
	}
	for _, tt := range tests {
		cs := fetch.DetectCharset([]byte(tt.head), tt.ctype)
		if cs.Name != tt.name || cs.Source != tt.source {
			t.Errorf("DetectCharset(%q, %q) = %s (%s), want %s (%s)", tt.head, tt.ctype, cs.Name, cs.Source, tt.name, tt.source)
		}
	}
	// Invalid UTF-8 decodes to U+FFFD, the same every time (HOSTILE.md N4).
	if s, _ := fetch.DetectCharset(nil, "").Decode([]byte("a\xffb\xc3")); s != "a\uFFFDb\uFFFD" {
		t.Errorf("invalid UTF-8 decoded to %q", s)
	}
}
