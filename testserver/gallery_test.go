package testserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding/charmap"
)

func newGalleryServer(t *testing.T) *httptest.Server {
	t.Helper()
	return start(t, New())
}

// fetch sends method to srv's path (or absolute URL) with the headers hdr
// and returns the response with its body read.
func fetch(t *testing.T, srv *httptest.Server, method, target string, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	if strings.HasPrefix(target, "/") {
		target = srv.URL + target
	}
	req, err := http.NewRequestWithContext(t.Context(), method, target, nil)
	if err != nil {
		t.Fatalf("NewRequest(%s %s): %v", method, target, err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, target, err)
	}
	return resp, body
}

func TestImage(t *testing.T) {
	srv := newGalleryServer(t)
	tests := []struct {
		path string
		w, h int
	}{
		{"/img/7.png", 64, 64},
		{"/img/name.png", 64, 64},
		{"/img/caf%C3%A9.png", 64, 64},
		{"/img/1x1/0.png", 1, 1},
		{"/img/300x20/42.png", 300, 20},
		{"/img/17x4096/18446744073709551615.png", 17, 4096},
		{"/img/2048x2048/1.png", 2048, 2048}, // exactly MaxImagePixels
		{"/img/64x64/7.png?format=webp", 64, 64},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, body := fetch(t, srv, "GET", tt.path, nil)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: status %d, want 200: %s", tt.path, resp.StatusCode, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "image/png" {
				t.Errorf("GET %s: Content-Type %q, want image/png", tt.path, ct)
			}
			if cl := resp.Header.Get("Content-Length"); cl != strconv.Itoa(len(body)) {
				t.Errorf("GET %s: Content-Length %q, body has %d bytes", tt.path, cl, len(body))
			}
			if et := resp.Header.Get("ETag"); len(et) < 3 || et[0] != '"' {
				t.Errorf("GET %s: ETag %q, want a strong quoted tag", tt.path, et)
			}
			if lm := resp.Header.Get("Last-Modified"); lm != "Mon, 01 Jan 2024 00:00:00 GMT" {
				t.Errorf("GET %s: Last-Modified %q, want Mon, 01 Jan 2024 00:00:00 GMT", tt.path, lm)
			}
			cfg, format, err := image.DecodeConfig(bytes.NewReader(body))
			if err != nil || format != "png" || cfg.Width != tt.w || cfg.Height != tt.h {
				t.Fatalf("DecodeConfig(GET %s) = %dx%d %q, %v; want %dx%d png", tt.path, cfg.Width, cfg.Height, format, err, tt.w, tt.h)
			}
			if _, err := png.Decode(bytes.NewReader(body)); err != nil {
				t.Errorf("png.Decode(GET %s): %v", tt.path, err)
			}
			resp2, body2 := fetch(t, srv, "GET", tt.path, nil)
			if !bytes.Equal(body, body2) || resp.Header.Get("ETag") != resp2.Header.Get("ETag") {
				t.Errorf("GET %s twice: bytes or ETag differ", tt.path)
			}
		})
	}
}

func TestImageDistinct(t *testing.T) {
	srv := newGalleryServer(t)
	get := func(path string) []byte {
		resp, body := fetch(t, srv, "GET", path, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: status %d, want 200", path, resp.StatusCode)
		}
		return body
	}
	tests := []struct {
		a, b string
		same bool
	}{
		{"/img/1.png", "/img/2.png", false},
		{"/img/1.png", "/img/64x64/1.png", true},
		{"/img/1.png", "/img/64x32/1.png", false},
		{"/img/one.png", "/img/two.png", false},
		{"/img/caf%E9.png", "/img/caf%C3%A9.png", true},
		{"/img/01.png", "/img/1.png", false}, // 01 is a name, not a seed
	}
	for _, tt := range tests {
		t.Run(tt.a+" "+tt.b, func(t *testing.T) {
			if same := bytes.Equal(get(tt.a), get(tt.b)); same != tt.same {
				t.Errorf("GET %s and GET %s: same bytes = %v, want %v", tt.a, tt.b, same, tt.same)
			}
		})
	}
}

func TestImageConditional(t *testing.T) {
	srv := newGalleryServer(t)
	resp, full := fetch(t, srv, "GET", "/img/100x50/3.png", nil)
	etag := resp.Header.Get("ETag")
	tests := []struct {
		name   string
		method string
		hdr    map[string]string
		status int
		body   []byte
	}{
		{"if-none-match", "GET", map[string]string{"If-None-Match": etag}, http.StatusNotModified, nil},
		{"if-none-match other", "GET", map[string]string{"If-None-Match": `"other"`}, http.StatusOK, full},
		{"if-modified-since", "GET", map[string]string{"If-Modified-Since": "Tue, 02 Jan 2024 00:00:00 GMT"}, http.StatusNotModified, nil},
		{"range", "GET", map[string]string{"Range": "bytes=0-7"}, http.StatusPartialContent, full[:8]},
		{"range suffix", "GET", map[string]string{"Range": "bytes=-5"}, http.StatusPartialContent, full[len(full)-5:]},
		{"range unsatisfiable", "GET", map[string]string{"Range": "bytes=999999-"}, http.StatusRequestedRangeNotSatisfiable, nil},
		{"head", "HEAD", nil, http.StatusOK, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := fetch(t, srv, tt.method, "/img/100x50/3.png", tt.hdr)
			if resp.StatusCode != tt.status {
				t.Fatalf("%s with %v: status %d, want %d", tt.method, tt.hdr, resp.StatusCode, tt.status)
			}
			if tt.body != nil && !bytes.Equal(body, tt.body) {
				t.Errorf("%s with %v: body of %d bytes, want %d bytes %q...", tt.method, tt.hdr, len(body), len(tt.body), tt.body[:min(8, len(tt.body))])
			}
			if tt.method == "HEAD" && resp.ContentLength != int64(len(full)) {
				t.Errorf("HEAD: Content-Length %d, want %d", resp.ContentLength, len(full))
			}
		})
	}
}

func TestImageLimits(t *testing.T) {
	srv := newGalleryServer(t)
	tests := []struct {
		path   string
		status int
		want   string
	}{
		{"/img/4097x1/1.png", http.StatusBadRequest, "1 to 4096"},
		{"/img/1x4097/1.png", http.StatusBadRequest, "1 to 4096"},
		{"/img/0x5/1.png", http.StatusBadRequest, "1 to 4096"},
		{"/img/99999999999x1/1.png", http.StatusBadRequest, "1 to 4096"},
		{"/img/4096x4096/1.png", http.StatusBadRequest, "limit of 4194304"},
		{"/img/2049x2048/1.png", http.StatusBadRequest, "limit of 4194304"},
		{"/img/10x/1.png", http.StatusBadRequest, "WxH"},
		{"/img/+5x5/1.png", http.StatusBadRequest, "WxH"},
		{"/img/5x-5/1.png", http.StatusBadRequest, "WxH"},
		{"/img/05x5/1.png", http.StatusBadRequest, "WxH"},
		{"/img/big/1.png", http.StatusBadRequest, "WxH"},
		{"/img/1.gif", http.StatusNotFound, ".png"},
		{"/img/.png", http.StatusNotFound, ".png"},
		{"/img/" + strings.Repeat("a", 201) + ".png", http.StatusNotFound, "200 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.path[:min(len(tt.path), 40)], func(t *testing.T) {
			resp, body := fetch(t, srv, "GET", tt.path, nil)
			if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.want) {
				t.Errorf("GET %s: %d %q, want %d containing %q", tt.path, resp.StatusCode, body, tt.status, tt.want)
			}
		})
	}
}

// A reference extractor, as small as it can be, to check that
// GalleryExpected describes the pages: what a browser would load, and the
// lazy and meta images.

var cssURL = regexp.MustCompile(`url\(\s*(?:"([^"]*)"|'([^']*)'|([^)\s'"]*))\s*\)`)

// srcsetURLs splits a srcset as the HTML standard does: a URL runs to
// whitespace, and its descriptors to a comma outside parentheses.
func srcsetURLs(s string) []string {
	var out []string
	for range len(s) + 1 {
		s = strings.TrimLeft(s, " \t\n\f\r,")
		if s == "" {
			break
		}
		end := strings.IndexAny(s, " \t\n\f\r")
		if end < 0 {
			end = len(s)
		}
		u := s[:end]
		s = s[end:]
		if strings.HasSuffix(u, ",") {
			out = append(out, strings.TrimRight(u, ","))
			continue
		}
		out = append(out, u)
		depth, i := 0, 0
	descriptors:
		for ; i < len(s); i++ {
			switch s[i] {
			case '(':
				depth++
			case ')':
				depth = max(depth-1, 0)
			case ',':
				if depth == 0 {
					break descriptors
				}
			}
		}
		s = s[i:]
	}
	return out
}

type refExtractor struct {
	base           *url.URL
	latin1         bool
	images, css    []string
	seenImg, seenC map[string]bool
}

// resolve resolves a URL as a browser does: surrounding whitespace trimmed,
// tabs and newlines removed, a path's non-ASCII as UTF-8, a query's (in a
// windows-1252 page) as windows-1252; only http and https kept.
func (x *refExtractor) resolve(raw string) (string, bool) {
	raw = strings.Trim(raw, " \t\n\f\r")
	raw = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(raw)
	if raw == "" {
		return "", false
	}
	if x.latin1 {
		if path, query, ok := strings.Cut(raw, "?"); ok {
			var b strings.Builder
			for _, r := range query {
				if r < 0x80 {
					b.WriteRune(r)
					continue
				}
				c, ok := charmap.Windows1252.EncodeRune(r)
				if !ok {
					return "", false
				}
				fmt.Fprintf(&b, "%%%02X", c)
			}
			raw = path + "?" + b.String()
		}
	}
	u, err := x.base.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return "", false
	}
	u.Fragment = ""
	return u.String(), true
}

func (x *refExtractor) addImage(raw string) {
	if u, ok := x.resolve(raw); ok && !x.seenImg[u] {
		x.seenImg[u] = true
		x.images = append(x.images, u)
	}
}

func (x *refExtractor) addCSS(text string) {
	for _, m := range cssURL.FindAllStringSubmatch(text, -1) {
		if u, ok := x.resolve(m[1] + m[2] + m[3]); ok && !x.seenC[u] {
			x.seenC[u] = true
			x.css = append(x.css, u)
		}
	}
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func findBase(n *html.Node) (string, bool) {
	if n.Type == html.ElementNode && n.Data == "base" {
		if href, ok := attr(n, "href"); ok {
			return href, true
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if href, ok := findBase(c); ok {
			return href, ok
		}
	}
	return "", false
}

func (x *refExtractor) walk(n *html.Node) {
	if n.Type == html.ElementNode {
		if v, ok := attr(n, "style"); ok {
			x.addCSS(v)
		}
		switch n.Data {
		case "template":
			return // inert
		case "style":
			if c := n.FirstChild; c != nil && c.Type == html.TextNode {
				x.addCSS(c.Data)
			}
		case "img":
			for _, k := range []string{"src", "srcset", "data-src", "data-srcset"} {
				v, ok := attr(n, k)
				switch {
				case !ok:
				case strings.HasSuffix(k, "srcset"):
					for _, u := range srcsetURLs(v) {
						x.addImage(u)
					}
				default:
					x.addImage(v)
				}
			}
		case "source":
			if v, ok := attr(n, "srcset"); ok && n.Parent != nil && n.Parent.Data == "picture" {
				for _, u := range srcsetURLs(v) {
					x.addImage(u)
				}
			}
		case "meta":
			p, _ := attr(n, "property")
			name, _ := attr(n, "name")
			if p == "og:image" || name == "twitter:image" {
				v, _ := attr(n, "content")
				x.addImage(v)
			}
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		x.walk(c)
	}
}

// extractGallery parses page (UTF-8) found at pageURL.
func extractGallery(t *testing.T, page []byte, pageURL string, latin1 bool) (images, css []string) {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatalf("html.Parse(%s): %v", pageURL, err)
	}
	base, err := url.Parse(pageURL)
	if err != nil {
		t.Fatalf("url.Parse(%q): %v", pageURL, err)
	}
	if href, ok := findBase(doc); ok {
		if base, err = base.Parse(strings.TrimSpace(href)); err != nil {
			t.Fatalf("%s: <base href=%q>: %v", pageURL, href, err)
		}
	}
	x := &refExtractor{base: base, latin1: latin1, images: []string{}, css: []string{}, seenImg: map[string]bool{}, seenC: map[string]bool{}}
	x.walk(doc)
	return x.images, x.css
}

func TestGallery(t *testing.T) {
	srv := newGalleryServer(t)
	kinds := []struct {
		suffix string
		latin1 bool
	}{
		{"", false},
		{"-base", false},
		{"-latin1", true},
	}
	fetched := map[string]bool{}
	for _, k := range kinds {
		for _, n := range []int{0, 1, 30} {
			path := fmt.Sprintf("/gallery/%d%s.html", n, k.suffix)
			t.Run(path, func(t *testing.T) {
				resp, body := fetch(t, srv, "GET", path, nil)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("GET %s: status %d, want 200: %s", path, resp.StatusCode, body)
				}
				ct := resp.Header.Get("Content-Type")
				if !strings.HasPrefix(ct, "text/html; charset=") {
					t.Fatalf("GET %s: Content-Type %q, want text/html with a charset", path, ct)
				}
				for _, neg := range []string{"neg-comment", "neg-script", "neg-noscript", "neg-textarea", "neg-template", "javascript:", "data:image/png;base64,", "favicon"} {
					if !bytes.Contains(body, []byte(neg)) {
						t.Errorf("GET %s: no %q in the page", path, neg)
					}
				}
				r, err := charset.NewReader(bytes.NewReader(body), ct)
				if err != nil {
					t.Fatalf("charset.NewReader(%q): %v", ct, err)
				}
				utf, err := io.ReadAll(r)
				if err != nil {
					t.Fatalf("decode %s: %v", path, err)
				}
				gotImages, gotCSS := extractGallery(t, utf, srv.URL+path, k.latin1)
				wantImages, wantCSS := GalleryExpected(srv.URL, n)
				if k.latin1 {
					wantImages, wantCSS = GalleryLatin1Expected(srv.URL, n)
				}
				if !slices.Equal(gotImages, wantImages) {
					t.Errorf("images of %s:\n got %q\nwant %q", path, gotImages, wantImages)
				}
				if !slices.Equal(gotCSS, wantCSS) {
					t.Errorf("CSS images of %s:\n got %q\nwant %q", path, gotCSS, wantCSS)
				}
				if n == 30 && len(wantImages) < 30 {
					t.Errorf("GalleryExpected(%d) has %d images, want at least %d", n, len(wantImages), n)
				}
				for _, u := range slices.Concat(wantImages, wantCSS) {
					if strings.Contains(u, "/neg-") || !strings.HasPrefix(u, srv.URL+"/img/") {
						t.Errorf("expected URL %q: want %s/img/..., no negatives", u, srv.URL)
					}
				}

				jpath := strings.TrimSuffix(path, ".html") + ".json"
				resp, body = fetch(t, srv, "GET", jpath, nil)
				var j struct {
					Page        string
					Images, CSS []string
				}
				if err := json.Unmarshal(body, &j); err != nil || resp.StatusCode != http.StatusOK {
					t.Fatalf("GET %s: %d, %v", jpath, resp.StatusCode, err)
				}
				if j.Page != path || !slices.Equal(j.Images, wantImages) || !slices.Equal(j.CSS, wantCSS) {
					t.Errorf("GET %s = %+v, want page %s and the expected lists", jpath, j, path)
				}

				for _, u := range slices.Concat(wantImages, wantCSS) {
					if fetched[u] {
						continue
					}
					fetched[u] = true
					resp, body := fetch(t, srv, "GET", u, nil)
					if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" {
						t.Errorf("GET %s: %d %q, want 200 image/png", u, resp.StatusCode, resp.Header.Get("Content-Type"))
						continue
					}
					if _, _, err := image.DecodeConfig(bytes.NewReader(body)); err != nil {
						t.Errorf("DecodeConfig(GET %s): %v", u, err)
					}
				}
			})
		}
	}
}

func TestGalleryLatin1(t *testing.T) {
	srv := newGalleryServer(t)
	resp, body := fetch(t, srv, "GET", "/gallery/3-latin1.html", nil)
	if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=iso-8859-1" {
		t.Errorf("Content-Type %q, want text/html; charset=iso-8859-1", ct)
	}
	if utf8.Valid(body) {
		t.Errorf("the latin1 page is valid UTF-8, want windows-1252 bytes")
	}
	for _, want := range []string{`<meta charset="iso-8859-1">`, "/img/caf\xe9.png", "/img/caf%E9.png", "?name=caf\xe9", "Caf\xe9 cr\xe8me", "5 \x80"} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("the latin1 page lacks %q", want)
		}
	}
	if i := bytes.Index(body, []byte("<meta charset")); i < 0 || i > 1024 {
		t.Errorf("<meta charset> at byte %d, want within the first 1024", i)
	}
}

func TestGalleryLimits(t *testing.T) {
	srv := newGalleryServer(t)
	tests := []struct {
		path   string
		status int
		want   string
	}{
		{"/gallery/20000.html", http.StatusOK, "Gallery of 20000 images"},
		{"/gallery/20001.html", http.StatusBadRequest, "limit of 20000"},
		{"/gallery/20001-latin1.json", http.StatusBadRequest, "limit of 20000"},
		{"/gallery/99999999999.html", http.StatusBadRequest, "limit of 20000"},
		{"/gallery/abc.html", http.StatusNotFound, "/gallery/{n}.html"},
		{"/gallery/01.html", http.StatusNotFound, "/gallery/{n}.html"},
		{"/gallery/-1.html", http.StatusNotFound, "/gallery/{n}.html"},
		{"/gallery/5.txt", http.StatusNotFound, "/gallery/{n}.html"},
		{"/gallery/5-other.html", http.StatusNotFound, "/gallery/{n}.html"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, body := fetch(t, srv, "GET", tt.path, nil)
			if resp.StatusCode != tt.status || !bytes.Contains(body, []byte(tt.want)) {
				t.Errorf("GET %s: %d %.80q, want %d containing %q", tt.path, resp.StatusCode, body, tt.status, tt.want)
			}
		})
	}
	for _, n := range []int{-1, MaxGalleryImages + 1} {
		if im, css := GalleryExpected(srv.URL, n); im != nil || css != nil {
			t.Errorf("GalleryExpected(%d) = %d, %d URLs, want nil", n, len(im), len(css))
		}
	}
	if im, _ := GalleryExpected(srv.URL+"/", 1); len(im) == 0 || strings.Contains(im[0], "//img") {
		t.Errorf("GalleryExpected(base with a trailing slash) = %q, want single slashes", im)
	}
}

func TestChanging(t *testing.T) {
	srv := newGalleryServer(t)
	type state struct {
		etag, lastMod string
		page, img     []byte
	}
	get := func() state {
		resp, page := fetch(t, srv, "GET", "/gallery/changing.html", nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /gallery/changing.html: status %d", resp.StatusCode)
		}
		iresp, img := fetch(t, srv, "GET", "/gallery/changing.png", nil)
		if iresp.StatusCode != http.StatusOK {
			t.Fatalf("GET /gallery/changing.png: status %d", iresp.StatusCode)
		}
		return state{resp.Header.Get("ETag"), resp.Header.Get("Last-Modified"), page, img}
	}
	conditional := func(etag string) int {
		resp, _ := fetch(t, srv, "GET", "/gallery/changing.html", map[string]string{"If-None-Match": etag})
		return resp.StatusCode
	}

	s0 := get()
	if s0.etag != `"rev-0"` || !bytes.Contains(s0.page, []byte("/img/even.png")) || !bytes.Contains(s0.page, []byte("/img/stable.png")) {
		t.Fatalf("revision 0: ETag %q, page %s; want \"rev-0\" with stable.png and even.png", s0.etag, s0.page)
	}
	if got := conditional(s0.etag); got != http.StatusNotModified {
		t.Errorf("If-None-Match %s before the switch: status %d, want 304", s0.etag, got)
	}

	resp, body := fetch(t, srv, "POST", "/gallery/switch", nil)
	if resp.StatusCode != http.StatusOK || string(body) != "revision 1\n" {
		t.Fatalf("POST /gallery/switch: %d %q, want 200 \"revision 1\\n\"", resp.StatusCode, body)
	}
	s1 := get()
	if s1.etag == s0.etag || s1.lastMod == s0.lastMod || bytes.Equal(s1.page, s0.page) || bytes.Equal(s1.img, s0.img) {
		t.Errorf("after the switch: ETag %q, Last-Modified %q, same page %v, same image %v; want all changed",
			s1.etag, s1.lastMod, bytes.Equal(s1.page, s0.page), bytes.Equal(s1.img, s0.img))
	}
	if bytes.Contains(s1.page, []byte("/img/even.png")) || !bytes.Contains(s1.page, []byte("/img/rev-1.png")) {
		t.Errorf("revision 1 page %s: want rev-1.png and no even.png", s1.page)
	}
	if got := conditional(s0.etag); got != http.StatusOK {
		t.Errorf("If-None-Match %s after the switch: status %d, want 200", s0.etag, got)
	}
	if got := conditional(s1.etag); got != http.StatusNotModified {
		t.Errorf("If-None-Match %s: status %d, want 304", s1.etag, got)
	}
	if s2 := get(); s2.etag != s1.etag || !bytes.Equal(s2.page, s1.page) || !bytes.Equal(s2.img, s1.img) {
		t.Errorf("without a switch the page or image changed")
	}
}

func TestSite(t *testing.T) {
	srv := newGalleryServer(t)
	const n = 30
	start := srv.URL + SitePages(n)[0]
	visited := map[string]bool{}
	var queue []string
	enqueue := func(from *url.URL, href string) {
		u, err := from.Parse(strings.TrimSpace(href))
		if err != nil {
			t.Errorf("page %s: href %q: %v", from, href, err)
			return
		}
		u.Fragment = ""
		if u.Scheme != "http" || u.Host != from.Host || strings.Contains(u.Path, "/private/") || strings.HasPrefix(u.Path, "/private") {
			return
		}
		if !visited[u.Path] {
			visited[u.Path] = true
			queue = append(queue, u.String())
		}
	}
	first, _ := url.Parse(start)
	enqueue(first, start)
	var external, private, nofollow, images int
	for steps := 0; len(queue) > 0; steps++ {
		if steps > 10*n {
			t.Fatalf("BFS over %d steps: the site has %d pages", steps, n)
		}
		page := queue[0]
		queue = queue[1:]
		resp, body := fetch(t, srv, "GET", page, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: status %d", page, resp.StatusCode)
		}
		doc, err := html.Parse(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("html.Parse(%s): %v", page, err)
		}
		pu, _ := url.Parse(page)
		var title string
		var walk func(*html.Node)
		walk = func(nd *html.Node) {
			if nd.Type == html.ElementNode {
				switch nd.Data {
				case "title":
					if nd.FirstChild != nil {
						title = nd.FirstChild.Data
					}
				case "img":
					images++
				case "a":
					href, _ := attr(nd, "href")
					rel, _ := attr(nd, "rel")
					switch {
					case strings.HasPrefix(href, "http://example.invalid/"), strings.HasPrefix(href, "https://example.invalid/"):
						external++
					case strings.Contains(href, "/private/"):
						private++
					}
					if rel == "nofollow" {
						nofollow++
						return
					}
					enqueue(pu, href)
				}
			}
			for c := nd.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		walk(doc)
		if !strings.HasPrefix(title, fmt.Sprintf("Site %d, page ", n)) {
			t.Errorf("GET %s: title %q", page, title)
		}
	}
	got := slices.Sorted(func(yield func(string) bool) {
		for p := range visited {
			if !yield(p) {
				return
			}
		}
	})
	want := slices.Sorted(slices.Values(SitePages(n)))
	if !slices.Equal(got, want) {
		t.Errorf("BFS from %s reached %q, want SitePages(%d) = %q", start, got, n, want)
	}
	if external != 2*n || private != n || nofollow != n || images != 2*n {
		t.Errorf("links seen: %d external, %d private, %d nofollow, %d images; want %d, %d, %d, %d", external, private, nofollow, images, 2*n, n, n, 2*n)
	}
}

func TestSiteEndpoints(t *testing.T) {
	srv := newGalleryServer(t)
	tests := []struct {
		path   string
		status int
		want   string
	}{
		{"/site/", http.StatusOK, `href="/site/50/page/0.html"`},
		{"/site/30/", http.StatusOK, `href="/site/30/page/0.html"`},
		{"/site/30/page/29.html", http.StatusOK, "<title>Site 30, page 29</title>"},
		{"/site/1/page/0.html", http.StatusOK, "<title>Site 1, page 0</title>"},
		{"/site/100000/page/99999.html", http.StatusOK, "Page 99999 of 100000"},
		{"/site/30/private/3.html", http.StatusOK, "robots.txt disallows it"},
		{"/site/30/nofollow/3.html", http.StatusOK, "rel=nofollow"},
		{"/site/30/page/30.html", http.StatusNotFound, "0.html to 29.html"},
		{"/site/30/page/x.html", http.StatusNotFound, "0.html to 29.html"},
		{"/site/30/page/03.html", http.StatusNotFound, "0.html to 29.html"},
		{"/site/30/private/30.html", http.StatusNotFound, "0.html to 29.html"},
		{"/site/100001/page/0.html", http.StatusBadRequest, "1 to 100000"},
		{"/site/0/page/0.html", http.StatusBadRequest, "1 to 100000"},
		{"/site/abc/", http.StatusNotFound, "decimal"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, body := fetch(t, srv, "GET", tt.path, nil)
			if resp.StatusCode != tt.status || !bytes.Contains(body, []byte(tt.want)) {
				t.Errorf("GET %s: %d %.200q, want %d containing %q", tt.path, resp.StatusCode, body, tt.status, tt.want)
			}
		})
	}
	for _, n := range []int{0, -1, MaxSitePages + 1} {
		if got := SitePages(n); got != nil {
			t.Errorf("SitePages(%d) = %d paths, want nil", n, len(got))
		}
	}
	if got, want := SitePages(2), []string{"/site/2/page/0.html", "/site/2/page/1.html"}; !slices.Equal(got, want) {
		t.Errorf("SitePages(2) = %q, want %q", got, want)
	}
}

func TestRobots(t *testing.T) {
	srv := newGalleryServer(t)
	resp, body := fetch(t, srv, "GET", "/robots.txt", nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Fatalf("GET /robots.txt: %d %q, want 200 text/plain; charset=utf-8", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// Each group in order, lines as crawlers read them.
	want := []string{
		"User-agent: grab-test-blocked", "Disallow: /",
		"User-agent: *", "Disallow: /site/*/private/", "Disallow: /private", "Crawl-delay: 1",
	}
	var got []string
	for line := range strings.Lines(string(body)) {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			got = append(got, line)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("robots.txt rules = %q, want %q", got, want)
	}
}
