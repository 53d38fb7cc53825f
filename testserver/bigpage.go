package testserver

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Limits of /bigpage/{n}.html.
const (
	// MaxBigPageImages caps n in /bigpage/{n}.html (a page of about 40 MB).
	MaxBigPageImages = 200000
	// MaxBigPageBytes caps ?bytes= of /bigpage/{n}.html.
	MaxBigPageBytes = 64 << 20
	// BigPageBytesPerImage is the default size of /bigpage/{n}.html per
	// image: 20,000 images make a page of 5 MB.
	BigPageBytesPerImage = 250
)

// bigpageRoutes registers /bigpage/{n}.html.
func (h *handler) bigpageRoutes() {
	h.handle("GET /bigpage/{file}", "extraction workload: /bigpage/{n}.html?bytes=SIZE, n images in noise", http.HandlerFunc(h.bigpage))
}

// BigPage returns the extraction workload page: n images written in five
// forms (root-relative, document-relative, absolute on origin, srcset with
// src, lazy data-src with a data: placeholder in src), wrapped in markup
// an extractor must read past without finding images in it (comments,
// <script> and <style> holding image markup, long attributes, character
// references), and padded with text towards size bytes (when size is
// larger than the page without padding). Image i is /img/{i}.png on
// origin; the srcset form adds /img/{i}@2x.png. The page is meant to be
// served as /bigpage/{n}.html, which the document-relative form
// (../img/{i}.png) assumes. The same arguments give the same bytes.
//
// The page is what the shared bench fixture serves as /bigpage/N.html, so
// figures from both agree.
func BigPage(origin string, n, size int) []byte {
	if n < 0 {
		n = 0
	}
	base := renderBigPage(origin, n, 0)
	if n == 0 || size <= len(base) {
		return base
	}
	pad := (size-len(base))/n - len("<p></p>")
	if pad <= 0 {
		return base
	}
	return renderBigPage(origin, n, pad)
}

// BigPageExpected returns what an image extractor with default options
// finds in [BigPage](origin, n, size) served from origin as
// /bigpage/{n}.html, sorted: /img/{i}.png for every i and /img/{i}@2x.png
// for the srcset form, absolute on origin. The data: placeholders of the
// lazy form and the images in comments, scripts and styles are not in it.
func BigPageExpected(origin string, n int) []string {
	origin = strings.TrimSuffix(origin, "/")
	var out []string
	for i := range max(n, 0) {
		out = append(out, fmt.Sprintf("%s/img/%d.png", origin, i))
		if i%5 == 3 {
			out = append(out, fmt.Sprintf("%s/img/%d@2x.png", origin, i))
		}
	}
	slices.Sort(out)
	return out
}

// renderBigPage writes the page with pad bytes of text in each item.
func renderBigPage(origin string, n, pad int) []byte {
	var w bytes.Buffer
	w.Grow(n*(pad+200) + 1024)
	w.WriteString("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Big page</title>\n")
	w.WriteString("<script>window.__STATE__ = {\"imgs\": [\"<img src='/img/in-script.png'>\"]};</script>\n")
	w.WriteString("<style>body{font:14px sans-serif}.card{background:url(/img/in-style.png)}</style></head>\n<body>\n")
	const text = "lorem ipsum dolor sit amet &amp; consectetur &lt;img&gt; adipiscing elit "
	filler := strings.Repeat(text, 1+pad/len(text))[:pad]
	for i := range n {
		fmt.Fprintf(&w, "<div class=\"card card-%d\" data-id=\"%d\" data-meta='{\"k\":%d,\"tags\":[\"a\",\"b\"]}' style=\"margin:%dpx\">", i, i, i, i%7)
		switch i % 5 {
		case 0:
			fmt.Fprintf(&w, `<img src="/img/%d.png" alt="image %d">`, i, i)
		case 1:
			fmt.Fprintf(&w, `<img src="../img/%d.png" width="64" height="64" loading="lazy">`, i)
		case 2:
			fmt.Fprintf(&w, `<img src="%s/img/%d.png" title='abs %d'>`, origin, i, i)
		case 3:
			fmt.Fprintf(&w, `<img srcset="/img/%d.png 1x, /img/%d@2x.png 2x" src="/img/%d.png" alt="">`, i, i, i)
		case 4:
			fmt.Fprintf(&w, `<img class="lazy" data-src="/img/%d.png" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">`, i)
		}
		if i%10 == 0 {
			fmt.Fprintf(&w, "<!-- <img src=\"/img/commented-%d.png\"> old markup -->", i)
		}
		if i%50 == 0 {
			fmt.Fprintf(&w, "<script>var s%d = \"<img src=\\\"/img/script-%d.png\\\">\"; for (var j=0;j<10;j++){x+=j<5?1:2}</script>", i, i)
		}
		if i%100 == 0 {
			fmt.Fprintf(&w, "<style>.c%d{background:url(/img/style-%d.png)}</style>", i, i)
		}
		if pad > 0 {
			w.WriteString("<p>")
			w.WriteString(filler)
			w.WriteString("</p>")
		}
		w.WriteString("</div>\n")
	}
	w.WriteString("</body></html>\n")
	return w.Bytes()
}

// bigpage serves /bigpage/{n}.html.
func (h *handler) bigpage(w http.ResponseWriter, r *http.Request) {
	stem, ok := strings.CutSuffix(r.PathValue("file"), ".html")
	n, okn, big := decimal(stem, MaxBigPageImages)
	if !ok || !okn {
		http.Error(w, "big page not found: want /bigpage/{n}.html", http.StatusNotFound)
		return
	}
	if big {
		http.Error(w, fmt.Sprintf("big page of %s images: over the limit of %d", stem, MaxBigPageImages), http.StatusBadRequest)
		return
	}
	size := BigPageBytesPerImage * n
	if s := r.URL.Query().Get("bytes"); s != "" {
		v, okv, bigv := decimal(s, MaxBigPageBytes)
		if !okv || bigv {
			http.Error(w, fmt.Sprintf("bytes=%q: want a decimal number of bytes up to %d", s, MaxBigPageBytes), http.StatusBadRequest)
			return
		}
		size = v
	}
	if size > MaxBigPageBytes {
		size = MaxBigPageBytes
	}
	b := BigPage(baseOf(r), n, size)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	if r.Method != http.MethodHead {
		w.Write(b)
	}
}
