package testserver

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"html"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
)

// Limits of the galleries and of the linked site.
const (
	// MaxGalleryImages caps n in /gallery/{n}.html.
	MaxGalleryImages = 20000
	// MaxSitePages caps n in /site/{n}/page/{i}.html.
	MaxSitePages = 100000
	// DefaultSitePages is the size of the site /site/ links to.
	DefaultSitePages = 50
)

// changingKey is the h.state counter holding the revision of
// /gallery/changing.html.
const changingKey = "gallery-rev"

// imageModTime is the Last-Modified of every /img/ image.
func imageModTime() time.Time { return time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC) }

// galleryRoutes registers the images, the galleries, the changing page, the
// linked site and robots.txt.
func (h *handler) galleryRoutes() {
	h.handle("GET /img/{file}", "deterministic 64x64 PNG: /img/{seed}.png, /img/{name}.png", http.HandlerFunc(h.image))
	h.handle("GET /img/{size}/{file}", "deterministic PNG of any size: /img/{w}x{h}/{seed}.png", http.HandlerFunc(h.image))
	h.handle("GET /gallery/{file}", "image gallery: /gallery/{n}.html, {n}-base.html, {n}-latin1.html; .json: expected URLs", http.HandlerFunc(h.gallery))
	h.handle("GET /gallery/changing.html", "page whose images change on POST /gallery/switch (ETag, 304)", http.HandlerFunc(h.changingPage))
	h.handle("GET /gallery/changing.png", "image whose bytes change on POST /gallery/switch", http.HandlerFunc(h.changingImage))
	h.handle("POST /gallery/switch", "advance the revision of /gallery/changing.html", http.HandlerFunc(h.changingSwitch))
	h.handle("GET /site/{$}", "linked site for crawlers, index of /site/50/", http.HandlerFunc(h.siteIndex))
	h.handle("GET /site/{n}/{$}", "linked site of n pages: index", http.HandlerFunc(h.siteIndex))
	h.handle("GET /site/{n}/page/{file}", "linked site of n pages: /site/{n}/page/{i}.html", http.HandlerFunc(h.sitePage))
	h.handle("GET /site/{n}/private/{file}", "page disallowed by robots.txt", http.HandlerFunc(h.siteOther))
	h.handle("GET /site/{n}/nofollow/{file}", "page linked only with rel=nofollow", http.HandlerFunc(h.siteOther))
	h.handle("GET /robots.txt", "robots.txt for the linked site", http.HandlerFunc(robots))
}

// decimal parses s as a canonical decimal number (digits only, no sign, no
// leading zero). ok is false when s is not one; big is true when it is one
// but exceeds max.
func decimal(s string, max int) (n int, ok, big bool) {
	if s == "" || (len(s) > 1 && s[0] == '0') {
		return 0, false, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false, false
		}
	}
	if len(s) > 9 {
		return 0, true, true
	}
	n, _ = strconv.Atoi(s)
	return n, true, n > max
}

// baseOf returns the scheme and host the request reached the server by.
func baseOf(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := r.Host
	if host == "" {
		host = "localhost"
	}
	return scheme + "://" + host
}

// Images.

// imageSeed maps the file name of /img/{file} to a seed: a canonical
// decimal number is its own seed, any other name is hashed. A name that is
// not UTF-8 is read as Latin-1, so /img/caf%E9.png and /img/caf%C3%A9.png
// are the same image.
func imageSeed(file string) (uint64, bool) {
	name, ok := strings.CutSuffix(file, ".png")
	if !ok || name == "" || len(name) > 200 {
		return 0, false
	}
	if n, err := strconv.ParseUint(name, 10, 64); err == nil && strconv.FormatUint(n, 10) == name {
		return n, true
	}
	if !utf8.ValidString(name) {
		rs := make([]rune, len(name))
		for i := 0; i < len(name); i++ {
			rs[i] = rune(name[i])
		}
		name = string(rs)
	}
	f := fnv.New64a()
	io.WriteString(f, name)
	return f.Sum64(), true
}

// parseSize parses "WxH" and checks it against the limits.
func parseSize(s string) (w, h int, err error) {
	ws, hs, found := strings.Cut(s, "x")
	w, okw, _ := decimal(ws, MaxImageSide)
	h, okh, _ := decimal(hs, MaxImageSide)
	if !found || !okw || !okh {
		return 0, 0, fmt.Errorf("image size %q: want WxH in decimal, such as 64x48", s)
	}
	if len(ws) > 9 || len(hs) > 9 {
		return 0, 0, fmt.Errorf("image size %q: width and height must be 1 to %d", s, MaxImageSide)
	}
	return w, h, checkImageSize(w, h)
}

// image serves /img/{file} and /img/{size}/{file}.
func (h *handler) image(w http.ResponseWriter, r *http.Request) {
	seed, ok := imageSeed(r.PathValue("file"))
	if !ok {
		http.Error(w, "image not found: names end in .png and have 1 to 200 bytes before it", http.StatusNotFound)
		return
	}
	width, height := DefaultImageSide, DefaultImageSide
	if size := r.PathValue("size"); size != "" {
		var err error
		if width, height, err = parseSize(size); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	}
	servePNG(w, r, width, height, seed, imageModTime())
}

// servePNG serves a generated image with an ETag hashed from its bytes,
// answering conditional and Range requests.
func servePNG(w http.ResponseWriter, r *http.Request, width, height int, seed uint64, mod time.Time) {
	b, err := pngBytes(width, height, seed)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	sum := sha256.Sum256(b)
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:16])+`"`)
	http.ServeContent(w, r, "", mod, bytes.NewReader(b))
}

// Galleries.

type galleryKind int

const (
	galleryPlain  galleryKind = iota // /gallery/{n}.html
	galleryBase                      // /gallery/{n}-base.html: relative URLs through <base href="/img/">
	galleryLatin1                    // /gallery/{n}-latin1.html: windows-1252 bytes
)

// galleryBuilder writes a gallery page and records, beside each image
// reference, the path on this server that a browser would resolve it to.
type galleryBuilder struct {
	kind   galleryKind
	origin string // scheme://host, HTML-escaped, for absolute URLs
	host   string // host, HTML-escaped, for protocol-relative URLs
	b      strings.Builder
	images []string
	css    []string
}

// rel returns a URL relative to the document base that resolves to p, a
// path under /img/.
func (g *galleryBuilder) rel(p string) string {
	if g.kind == galleryBase {
		return strings.TrimPrefix(p, "/img/")
	}
	return ".." + p
}

func (g *galleryBuilder) printf(format string, args ...any) { fmt.Fprintf(&g.b, format, args...) }
func (g *galleryBuilder) img(paths ...string)               { g.images = append(g.images, paths...) }
func (g *galleryBuilder) style(paths ...string)             { g.css = append(g.css, paths...) }

// buildGallery writes the gallery page of kind with n items for a client
// that reached the server at origin (scheme://host), and returns it with the
// paths of its images and of its CSS images, in document order.
func buildGallery(kind galleryKind, origin string, n int) (page string, images, css []string) {
	g := &galleryBuilder{kind: kind, origin: html.EscapeString(origin)}
	_, host, _ := strings.Cut(origin, "://")
	g.host = html.EscapeString(host)

	charset := "utf-8"
	if kind == galleryLatin1 {
		charset = "iso-8859-1"
	}
	g.printf("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=%q>\n", charset)
	if kind == galleryBase {
		// The first <base href> wins; the one in the body below is ignored.
		g.printf("<base href=\"/img/\">\n")
	}
	g.printf("<title>Gallery of %d images</title>\n", n)
	g.printf("<meta property=\"og:image\" content=\"%s/img/1200x630/og.png\">\n", g.origin)
	g.img("/img/1200x630/og.png")
	g.printf("<meta name=\"twitter:image\" content=\"%s/img/1200x600/twitter.png\">\n", g.origin)
	g.img("/img/1200x600/twitter.png")
	g.printf("<link rel=\"icon\" href=\"/img/16x16/favicon.png\">\n") // in neither list
	g.printf("<style>\n.hero { background-image: url(\"%s\"); height: 200px; }\n", g.rel("/img/600x200/hero.png"))
	g.printf(".tile { background: #eee url( '/img/50x50/tile.png' ) repeat; }\n</style>\n")
	g.style("/img/600x200/hero.png", "/img/50x50/tile.png")
	g.printf("</head>\n<body>\n<h1>Gallery</h1>\n<div class=\"hero\"></div>\n")

	// What a browser does not load.
	g.printf("<!-- <img src=\"/img/neg-comment.png\"> -->\n")
	g.printf("<script>document.write('<img src=\"/img/neg-script.png\">');</script>\n")
	g.printf("<noscript><img src=\"/img/neg-noscript.png\"></noscript>\n")
	g.printf("<textarea><img src=\"/img/neg-textarea.png\"></textarea>\n")
	g.printf("<template><img src=\"/img/neg-template.png\"></template>\n")
	g.printf("<img src=\"javascript:alert(1)\" alt=\"javascript URI\">\n")
	g.printf("<img src=\"\" alt=\"empty src\">\n<img alt=\"no src\">\n")
	if dot, err := pngBytes(1, 1, 0); err == nil {
		g.printf("<img src=\"data:image/png;base64,%s\" alt=\"data URI\">\n", base64.StdEncoding.EncodeToString(dot))
	}
	if kind == galleryBase {
		g.printf("<base href=\"/wrong/\">\n")
	}

	// The same image three times.
	g.printf("<img src=\"/img/dup.png\" alt=\"duplicate 1\"><img src=\"/img/dup.png\" alt=\"duplicate 2\">")
	g.printf("<img src=\"%s/img/dup.png\" alt=\"duplicate 3\">\n", g.origin)
	g.img("/img/dup.png", "/img/dup.png", "/img/dup.png")

	if kind == galleryLatin1 {
		g.printf("<p>Crème brûlée à 5 € — déjà vu</p>\n")
		// A browser percent-encodes a path as UTF-8 whatever the document's
		// encoding, and a query in the document's encoding.
		g.printf("<img src=\"/img/café.png\" alt=\"Café crème\">\n")
		g.img("/img/caf%C3%A9.png")
		g.printf("<img src=\"/img/caf%%E9.png\" alt=\"Noël\">\n")
		g.img("/img/caf%E9.png")
		g.printf("<img src=\"/img/latin1.png?name=café\" alt=\"Ça va\">\n")
		g.img("/img/latin1.png?name=caf%E9")
	}

	for i := range n {
		g.item(i)
	}
	g.printf("</body>\n</html>\n")
	return g.b.String(), g.images, g.css
}

// galleryForms is the number of ways item writes an image.
const galleryForms = 12

// item writes item i: image seed i in form i mod galleryForms.
func (g *galleryBuilder) item(i int) {
	p := func(format string) string { return fmt.Sprintf(format, i) }
	g.printf("<div class=\"item\">")
	switch i % galleryForms {
	case 0: // root-relative
		g.printf("<img src=\"%s\" alt=\"image %d\">", p("/img/%d.png"), i)
		g.img(p("/img/%d.png"))
	case 1: // document-relative
		g.printf("<img src=\"%s\" alt=\"image %d\">", g.rel(p("/img/%d.png")), i)
		g.img(p("/img/%d.png"))
	case 2: // absolute
		g.printf("<img src=\"%s%s\" alt=\"image %d\">", g.origin, p("/img/%d.png"), i)
		g.img(p("/img/%d.png"))
	case 3: // protocol-relative
		g.printf("<img src=\"//%s%s\" alt=\"image %d\">", g.host, p("/img/%d.png"), i)
		g.img(p("/img/%d.png"))
	case 4: // srcset with density descriptors, one candidate repeating src
		g.printf("<img src=\"%s\" srcset=\"%s 1x, %s 2x,%s 3x\" alt=\"image %d\">",
			p("/img/32x32/%d.png"), p("/img/32x32/%d.png"), g.rel(p("/img/64x64/%d.png")), p("/img/96x96/%d.png"), i)
		g.img(p("/img/32x32/%d.png"), p("/img/32x32/%d.png"), p("/img/64x64/%d.png"), p("/img/96x96/%d.png"))
	case 5: // srcset with width descriptors and sizes
		g.printf("<img src=\"%s\" srcset=\"%s 100w,\n  %s 200w\" sizes=\"(max-width: 600px) 100px, 200px\" alt=\"image %d\">",
			p("/img/%d.png"), p("/img/100x50/%d.png"), p("/img/200x100/%d.png"), i)
		g.img(p("/img/%d.png"), p("/img/100x50/%d.png"), p("/img/200x100/%d.png"))
	case 6: // <picture> with <source srcset type> and <source media>
		g.printf("<picture><source type=\"image/webp\" srcset=\"%s\"><source media=\"(min-width: 800px)\" srcset=\"%s 1x, %s 2x\"><img src=\"%s\" alt=\"image %d\"></picture>",
			p("/img/80x80/%d.png?format=webp"), p("/img/160x80/%d.png"), p("/img/320x160/%d.png"), p("/img/%d.png"), i)
		g.img(p("/img/80x80/%d.png?format=webp"), p("/img/160x80/%d.png"), p("/img/320x160/%d.png"), p("/img/%d.png"))
	case 7: // lazy loading
		g.printf("<img class=\"lazy\" data-src=\"%s\" data-srcset=\"%s 1x, %s 2x\" alt=\"image %d\">",
			g.rel(p("/img/%d.png")), p("/img/48x48/%d.png"), p("/img/96x48/%d.png"), i)
		g.img(p("/img/%d.png"), p("/img/48x48/%d.png"), p("/img/96x48/%d.png"))
	case 8: // commas inside srcset URLs, no space after the separating comma
		g.printf("<img srcset=\"%s 1x,%s 2x\" alt=\"image %d\">",
			p("/img/40x40/%d.png?crop=1,2"), p("/img/80x80/%d.png?crop=3,4"), i)
		g.img(p("/img/40x40/%d.png?crop=1,2"), p("/img/80x80/%d.png?crop=3,4"))
	case 9: // whitespace around a URL; tab and newline inside one
		g.printf("<img src=\" \n\t%s \n\" alt=\"image %d\"><img src=\"/img/24x24/\n%d\t.png\" alt=\"image %d\">",
			p("/img/%d.png"), i, i, i)
		g.img(p("/img/%d.png"), p("/img/24x24/%d.png"))
	case 10: // character references
		g.printf("<img src=\"%s?a=1&amp;b=2\" alt=\"image %d\"><img src=\"&#x2f;img&#x2F;16x16&#47;%d.png\" alt=\"image %d\">",
			p("/img/%d.png"), i, i, i)
		g.img(p("/img/%d.png?a=1&b=2"), p("/img/16x16/%d.png"))
	case 11: // CSS in style attributes
		g.printf("<div class=\"bg\" style=\"background-image: url('%s')\"></div><span style=\"background:url(&quot;%s&quot;) no-repeat\"></span>",
			g.rel(p("/img/120x40/%d.png")), p("/img/30x30/%d.png"))
		g.style(p("/img/120x40/%d.png"), p("/img/30x30/%d.png"))
	}
	g.printf("</div>\n")
}

// absolute dedupes paths, keeping the first of each, and prefixes them with
// base.
func absolute(base string, paths []string) []string {
	base = strings.TrimSuffix(base, "/")
	seen := make(map[string]bool, len(paths))
	out := []string{}
	for _, p := range paths {
		if !seen[p] {
			seen[p] = true
			out = append(out, base+p)
		}
	}
	return out
}

// GalleryExpected returns what a correct image extractor finds, with its
// default options, in /gallery/{n}.html and in /gallery/{n}-base.html of the
// server at base (a scheme://host[:port] origin such as an
// httptest.Server's URL): the absolute URLs of the images of <img src>,
// <img srcset> (width and density descriptors, commas inside URLs), <picture>
// <source srcset>, lazy data-src and data-srcset, and <meta> og:image and
// twitter:image; and, separately, the URLs in CSS (style attributes and the
// <style> block). Each list is in document order with each URL once; every
// URL answers 200 with a PNG.
//
// The page also holds what the lists leave out: a javascript: URI, a data:
// URI (a 1x1 PNG), an empty src, a <link rel="icon">, and images a browser
// does not load, named /img/neg-*.png (in a comment, <script>, <noscript>,
// <textarea> and <template>). In the -base page relative URLs go through
// <base href="/img/">, and a second <base> in the body must be ignored. The
// page is served as /gallery/{n}.json too. GalleryExpected returns nil lists
// for n outside 0 to [MaxGalleryImages].
func GalleryExpected(base string, n int) (images, css []string) {
	return galleryExpected(galleryPlain, base, n)
}

// GalleryLatin1Expected is [GalleryExpected] for /gallery/{n}-latin1.html,
// served as windows-1252 (labelled iso-8859-1 in Content-Type and <meta
// charset>). It adds, as a browser resolves them, an image whose path holds
// a raw é (percent-encoded as UTF-8: /img/caf%C3%A9.png), one written
// /img/caf%E9.png (kept as written), and one with a raw é in its query
// (percent-encoded in the document's encoding: ?name=caf%E9). The server
// answers the first two with the same image.
func GalleryLatin1Expected(base string, n int) (images, css []string) {
	return galleryExpected(galleryLatin1, base, n)
}

func galleryExpected(kind galleryKind, base string, n int) (images, css []string) {
	if n < 0 || n > MaxGalleryImages {
		return nil, nil
	}
	_, im, cs := buildGallery(kind, "http://example.invalid", n)
	return absolute(base, im), absolute(base, cs)
}

// gallery serves /gallery/{n}.html, /gallery/{n}-base.html,
// /gallery/{n}-latin1.html and their .json expectations.
func (h *handler) gallery(w http.ResponseWriter, r *http.Request) {
	file := r.PathValue("file")
	stem, isJSON := strings.CutSuffix(file, ".json")
	if !isJSON {
		var ok bool
		if stem, ok = strings.CutSuffix(file, ".html"); !ok {
			http.Error(w, "gallery not found: want /gallery/{n}.html, {n}-base.html, {n}-latin1.html or .json", http.StatusNotFound)
			return
		}
	}
	kind := galleryPlain
	if s, ok := strings.CutSuffix(stem, "-base"); ok {
		stem, kind = s, galleryBase
	} else if s, ok := strings.CutSuffix(stem, "-latin1"); ok {
		stem, kind = s, galleryLatin1
	}
	n, ok, big := decimal(stem, MaxGalleryImages)
	if !ok {
		http.Error(w, "gallery not found: want /gallery/{n}.html, {n}-base.html, {n}-latin1.html or .json", http.StatusNotFound)
		return
	}
	if big {
		http.Error(w, fmt.Sprintf("gallery of %s images: over the limit of %d", stem, MaxGalleryImages), http.StatusBadRequest)
		return
	}
	origin := baseOf(r)
	page, images, css := buildGallery(kind, origin, n)
	if isJSON {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(struct {
			Page   string   `json:"page"`
			Images []string `json:"images"`
			CSS    []string `json:"css"`
		}{strings.TrimSuffix(r.URL.Path, ".json") + ".html", absolute(origin, images), absolute(origin, css)})
		return
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if kind == galleryLatin1 {
		enc := encoding.ReplaceUnsupported(charmap.Windows1252.NewEncoder())
		latin, err := enc.String(page)
		if err != nil {
			http.Error(w, "encode gallery as windows-1252: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=iso-8859-1")
		w.Header().Set("Content-Length", strconv.Itoa(len(latin)))
		io.WriteString(w, latin)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(page)))
	io.WriteString(w, page)
}

// The changing page.

// changingRev returns the current revision of /gallery/changing.html, 0
// until the first switch.
func (h *handler) changingRev() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.state[changingKey]
}

// changingModTime is the Last-Modified of revision rev: one hour per
// revision after imageModTime.
func changingModTime(rev int) time.Time { return imageModTime().Add(time.Duration(rev) * time.Hour) }

// changingPage serves /gallery/changing.html. Revision r shows
// /img/stable.png in every revision, /img/rev-{r}.png, /gallery/changing.png
// (the same URL with new bytes each revision) and, in even revisions only,
// /img/even.png. Its ETag is "rev-{r}" and its Last-Modified moves one hour
// per revision, so conditional requests get 304 until the next switch.
func (h *handler) changingPage(w http.ResponseWriter, r *http.Request) {
	rev := h.changingRev()
	var b strings.Builder
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Changing page, revision %d</title>\n</head>\n<body>\n", rev)
	fmt.Fprintf(&b, "<h1>Revision %d</h1>\n<p>POST /gallery/switch moves to the next revision.</p>\n", rev)
	fmt.Fprintf(&b, "<img src=\"/img/stable.png\" alt=\"in every revision\">\n")
	fmt.Fprintf(&b, "<img src=\"/img/rev-%d.png\" alt=\"in revision %d only\">\n", rev, rev)
	fmt.Fprintf(&b, "<img src=\"/gallery/changing.png\" alt=\"new bytes each revision\">\n")
	if rev%2 == 0 {
		fmt.Fprintf(&b, "<img src=\"/img/even.png\" alt=\"in even revisions\">\n")
	}
	fmt.Fprintf(&b, "</body>\n</html>\n")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("ETag", fmt.Sprintf(`"rev-%d"`, rev))
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, "", changingModTime(rev), strings.NewReader(b.String()))
}

// changingImage serves /gallery/changing.png: a 64x64 image drawn from the
// current revision.
func (h *handler) changingImage(w http.ResponseWriter, r *http.Request) {
	rev := h.changingRev()
	w.Header().Set("Cache-Control", "no-cache")
	servePNG(w, r, DefaultImageSide, DefaultImageSide, uint64(rev)+1<<32, changingModTime(rev))
}

// changingSwitch advances the revision and reports the new one.
func (h *handler) changingSwitch(w http.ResponseWriter, r *http.Request) {
	rev := h.next(changingKey)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "revision %d\n", rev)
}

// The linked site.

// SitePages returns the paths of the pages of the linked site of n pages,
// /site/{n}/page/{i}.html for i from 0 to n-1: all are reachable from page 0
// through <a href> links, without following rel="nofollow" links or the
// pages robots.txt disallows. The site's pages also link to
// /site/{n}/private/{i}.html (disallowed by robots.txt, answering 200 to
// show whether a crawler fetched them), to /site/{n}/nofollow/{i}.html (only
// through rel="nofollow"), to http://example.invalid/ and
// https://example.invalid/ (another host), and to mailto: and javascript:
// URIs; each page has a <title> and two images under /img/. No page links to
// the index /site/{n}/. SitePages returns nil for n outside 1 to
// [MaxSitePages].
func SitePages(n int) []string {
	if n < 1 || n > MaxSitePages {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("/site/%d/page/%d.html", n, i)
	}
	return out
}

// siteSize parses the {n} of /site/{n}/..., writing the error response when
// it is not valid.
func siteSize(w http.ResponseWriter, r *http.Request) (int, bool) {
	s := r.PathValue("n")
	if s == "" {
		return DefaultSitePages, true
	}
	n, ok, big := decimal(s, MaxSitePages)
	switch {
	case !ok:
		http.Error(w, fmt.Sprintf("site size %q: want a decimal number of pages", s), http.StatusNotFound)
		return 0, false
	case big || n < 1:
		http.Error(w, fmt.Sprintf("site size %s: must be 1 to %d pages", s, MaxSitePages), http.StatusBadRequest)
		return 0, false
	}
	return n, true
}

// sitePageIndex parses the {i}.html of a site page, writing a 404 when it is
// not a page of a site of n pages.
func sitePageIndex(w http.ResponseWriter, r *http.Request, n int) (int, bool) {
	file := r.PathValue("file")
	s, ok := strings.CutSuffix(file, ".html")
	i, ok2, big := decimal(s, n-1)
	if !ok || !ok2 || big {
		http.Error(w, fmt.Sprintf("page %q not found: pages are 0.html to %d.html", file, n-1), http.StatusNotFound)
		return 0, false
	}
	return i, true
}

func writeHTML(w http.ResponseWriter, page string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(page)))
	io.WriteString(w, page)
}

// siteIndex serves /site/ (a site of DefaultSitePages pages) and
// /site/{n}/, linking to page 0.
func (h *handler) siteIndex(w http.ResponseWriter, r *http.Request) {
	n, ok := siteSize(w, r)
	if !ok {
		return
	}
	writeHTML(w, fmt.Sprintf("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Site of %d pages</title>\n</head>\n<body>\n"+
		"<h1>Site of %d pages</h1>\n<p>Start at <a href=\"/site/%d/page/0.html\">page 0</a>. /site/{n}/ is a site of n pages, up to %d.</p>\n</body>\n</html>\n",
		n, n, n, MaxSitePages))
}

// sitePageParams reads the site size and page index of a site page's
// path, answering the request itself when they are invalid.
func sitePageParams(w http.ResponseWriter, r *http.Request) (n, i int, ok bool) {
	if n, ok = siteSize(w, r); !ok {
		return 0, 0, false
	}
	if i, ok = sitePageIndex(w, r, n); !ok {
		return 0, 0, false
	}
	return n, i, true
}

// sitePage serves /site/{n}/page/{i}.html.
func (h *handler) sitePage(w http.ResponseWriter, r *http.Request) {
	n, i, ok := sitePageParams(w, r)
	if !ok {
		return
	}
	origin := html.EscapeString(baseOf(r))
	var b strings.Builder
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Site %d, page %d</title>\n</head>\n<body id=\"top\">\n", n, i)
	fmt.Fprintf(&b, "<h1>Page %d of %d</h1>\n<nav>", i, n)
	if i+1 < n {
		fmt.Fprintf(&b, "<a href=\"%d.html\">next</a> ", i+1)
	}
	if i > 0 {
		fmt.Fprintf(&b, "<a href=\"/site/%d/page/%d.html\">previous</a> ", n, i-1)
	}
	fmt.Fprintf(&b, "<a href=\"#top\">top</a></nav>\n<ul>\n")
	s := uint64(n)<<32 | uint64(i)
	for k := range 3 {
		t := int(splitmix(&s) % uint64(n))
		switch k {
		case 0:
			fmt.Fprintf(&b, "<li><a href=\"./%d.html\">page %d</a></li>\n", t, t)
		case 1:
			fmt.Fprintf(&b, "<li><a href=\"%s/site/%d/page/%d.html#section\">page %d</a></li>\n", origin, n, t, t)
		case 2:
			fmt.Fprintf(&b, "<li><a href=\"../page/%d.html\">page %d</a></li>\n", t, t)
		}
	}
	fmt.Fprintf(&b, "</ul>\n<img src=\"/img/48x48/%d.png\" alt=\"picture of page %d\"> <img src=\"../../../img/%d.png\" alt=\"another\">\n", i, i, i)
	fmt.Fprintf(&b, "<p><a href=\"http://example.invalid/\">another site</a> <a href=\"https://example.invalid/from/%d\">another site, https</a>\n", i)
	fmt.Fprintf(&b, "<a href=\"/site/%d/private/%d.html\">private (robots.txt disallows it)</a>\n", n, i)
	fmt.Fprintf(&b, "<a rel=\"nofollow\" href=\"/site/%d/nofollow/%d.html\">nofollow</a>\n", n, i)
	fmt.Fprintf(&b, "<a href=\"mailto:webmaster@example.invalid\">mail</a> <a href=\"javascript:void(0)\">script</a></p>\n</body>\n</html>\n")
	writeHTML(w, b.String())
}

// siteOther serves /site/{n}/private/{i}.html and
// /site/{n}/nofollow/{i}.html: pages that link nowhere.
func (h *handler) siteOther(w http.ResponseWriter, r *http.Request) {
	n, i, ok := sitePageParams(w, r)
	if !ok {
		return
	}
	what := "private page: robots.txt disallows it"
	if strings.Contains(r.URL.Path, "/nofollow/") {
		what = "page linked only with rel=nofollow"
	}
	writeHTML(w, fmt.Sprintf("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"robots\" content=\"noindex, nofollow\">\n"+
		"<title>Site %d, %s %d</title>\n</head>\n<body>\n<p>%s</p>\n</body>\n</html>\n", n, what, i, what))
}

// robotsTxt is served at /robots.txt. Crawl-delay: 1 asks crawlers that
// honour it for one second between requests; crawler tests cap or override
// it.
const robotsTxt = `# grab test server
# The linked site lives under /site/{n}/; its /site/{n}/private/ pages are
# disallowed for every crawler, and grab-test-blocked may fetch nothing.

User-agent: grab-test-blocked
Disallow: /

User-agent: *
Disallow: /site/*/private/
Disallow: /private
Crawl-delay: 1
`

func robots(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(robotsTxt)))
	io.WriteString(w, robotsTxt)
}
