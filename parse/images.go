package parse

import (
	"bytes"
	"io"
	"strings"

	"golang.org/x/net/html"
)

// Image is one image reference of a page.
type Image struct {
	// URL is the absolute http or https URL a browser requests for the
	// reference (or, with Options.KeepData, a data: URI).
	URL string `json:"url"`
	// Raw is the reference as written in the page, character references
	// decoded and surrounding whitespace trimmed: a single URL, or one
	// candidate of a srcset.
	Raw string `json:"raw"`
	// Tag is the element it came from ("img", "source", "meta", "style",
	// any element for a style attribute), lower-cased.
	Tag string `json:"tag"`
	// Attr is the attribute it came from ("src", "srcset", "data-src",
	// "content", "href", "style", ...), or "" for a <style> block.
	Attr string `json:"attr"`
	// Kind is the kind of reference.
	Kind Kind `json:"kind"`
	// Descriptor is the srcset descriptor of a candidate, such as "2x" or
	// "300w", or "".
	Descriptor string `json:"descriptor"`
	// Alt is the alt text of the <img> (for <source>, of the <img> of its
	// <picture>), or "".
	Alt string `json:"alt"`
}

// Images reads an HTML page from r, already decoded to UTF-8 (see Decode),
// and returns its image references in document order, resolved against the
// first <base href> of the page and pageURL (the URL the page was fetched
// from; "" when unknown, and then relative references are left out).
//
// It tokenizes the page as a browser does, without building a tree: nothing
// in comments, <script>, <style> (except its CSS with KindCSS), <textarea>,
// <title>, <noscript>, <iframe>, <xmp> or <template> content counts. Which
// references it reports is set by opts (see Options and Kind). Every URL is
// absolute http or https; javascript: is never reported, data: only with
// Options.KeepData, and a reference that does not resolve (an empty value,
// a fragment alone, a bad host or port) is left out.
//
// When a limit of opts stops it, Images returns the images found up to
// there and an error matching ErrTruncated; on a read error, the images
// found and the error. A pageURL that is not absolute is an error.
func Images(r io.Reader, pageURL string, opts Options) ([]Image, error) {
	if err := checkPageURL(pageURL); err != nil {
		return nil, err
	}
	e := &imageExtractor{
		scanner: newScanner(r, &opts),
		kinds:   opts.kinds(),
		max:     opts.maxURLs(),
	}
	err := e.run()
	return e.resolve(pageURL), err
}

type imageExtractor struct {
	*scanner
	kinds Kind
	max   int // -1: no limit
	items imageList

	// seen holds the raw references collected, once collecting them all
	// has filled the limit (see add).
	seen map[string]struct{}

	base      string // href of the first <base href>
	haveBase  bool
	pictures  int // depth of <picture>
	pictureAt int // index in items of the first image of the current <picture>
	styleText bool

	cands []candidate
}

func (e *imageExtractor) run() error {
	z := e.z
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return e.err()
		case html.TextToken:
			if e.styleText {
				e.styleText = false
				if !e.cssText(string(z.Text())) {
					return urlLimit(e.max)
				}
			}
		case html.EndTagToken:
			e.styleText = false
			if e.templates == 0 && e.pictures == 0 {
				continue // the tag name is needed only to close these
			}
			name := e.name(false)
			if !e.inert(tt, name) && e.pictures > 0 && string(name) == "picture" {
				e.pictures--
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			e.styleText = false
			name := e.name(e.kinds&KindCSS != 0)
			if e.inert(tt, name) {
				continue
			}
			if !e.tag(name) {
				return urlLimit(e.max)
			}
		default:
			e.styleText = false
		}
	}
}

// tag handles a start tag; false means the URL limit is reached.
func (e *imageExtractor) tag(name []byte) bool {
	switch string(name) {
	case "img", "image":
		return e.img(tagName(name))
	case "source":
		return e.source()
	case "picture":
		e.pictures++
		e.pictureAt = e.items.n
		return e.styleAttr(name)
	case "meta":
		if e.kinds&KindMeta != 0 {
			return e.meta()
		}
	case "link":
		if e.kinds&KindIcon != 0 {
			return e.icon()
		}
	case "base":
		if !e.haveBase {
			e.baseHref()
		}
	case "style":
		e.styleText = e.kinds&KindCSS != 0
		return e.styleAttr(name)
	case "input", "video":
		return e.inputVideo(tagName(name))
	default:
		return e.styleAttr(name)
	}
	return true
}

// tagName returns the name of a tag handled by img or inputVideo as a
// constant string.
func tagName(name []byte) string {
	switch string(name) {
	case "img":
		return "img"
	case "image":
		return "image"
	case "input":
		return "input"
	case "video":
		return "video"
	}
	return string(name)
}

// Attribute names of the lazy-loading scripts.
var lazySingle = []string{"data-src", "data-original", "data-lazy-src", "data-lazy"}
var lazySrcset = []string{"data-srcset", "data-lazy-srcset"}

// img handles <img> (and <image>).
func (e *imageExtractor) img(tag string) bool {
	attrs := e.readAttrs()
	var alt string
	for _, a := range attrs {
		if string(a.key) == "alt" {
			alt = string(a.val)
			break
		}
	}
	if e.pictures > 0 && alt != "" {
		for i := e.pictureAt; i < e.items.n; i++ {
			if im := e.items.at(i); im.Tag == "source" && im.Alt == "" {
				im.Alt = alt
			}
		}
	}
	for _, a := range attrs {
		k, v := a.key, a.val
		switch string(k) {
		case "src":
			if !e.single(v, tag, "src", KindImg, alt) {
				return false
			}
		case "href", "xlink:href":
			if tag == "image" && !e.single(v, tag, attrName(k), KindImg, alt) {
				return false
			}
		case "srcset":
			if !e.srcset(v, tag, "srcset", KindSrcset, alt) {
				return false
			}
		case "style":
			if !e.css(v, tag, alt) {
				return false
			}
		default:
			if !e.lazy(k, v, tag, alt) {
				return false
			}
		}
	}
	return true
}

// lazy handles a lazy-loading attribute, if k is one.
func (e *imageExtractor) lazy(k, v []byte, tag, alt string) bool {
	if e.kinds&KindLazy == 0 || len(k) < 8 || k[0] != 'd' || !bytes.HasPrefix(k, []byte("data-")) {
		return true
	}
	for _, n := range lazySingle {
		if string(k) == n {
			return e.single(v, tag, n, KindLazy, alt)
		}
	}
	for _, n := range lazySrcset {
		if string(k) == n {
			return e.srcset(v, tag, n, KindLazy, alt)
		}
	}
	return true
}

// attrName returns the few attribute names that are not constants.
func attrName(k []byte) string {
	switch string(k) {
	case "href":
		return "href"
	case "xlink:href":
		return "xlink:href"
	}
	return string(k)
}

// source handles <source> (which matters in <picture>).
func (e *imageExtractor) source() bool {
	attrs := e.readAttrs()
	for _, a := range attrs {
		switch string(a.key) {
		case "srcset":
			if !e.srcset(a.val, "source", "srcset", KindSource, "") {
				return false
			}
		case "style":
			if !e.css(a.val, "source", "") {
				return false
			}
		default:
			if !e.lazy(a.key, a.val, "source", "") {
				return false
			}
		}
	}
	return true
}

// inputVideo handles <input type=image src> and <video poster>.
func (e *imageExtractor) inputVideo(tag string) bool {
	attrs := e.readAttrs()
	isImage := false
	if tag == "input" {
		for _, a := range attrs {
			if string(a.key) == "type" && strings.EqualFold(string(bytes.TrimSpace(a.val)), "image") {
				isImage = true
			}
		}
	}
	for _, a := range attrs {
		switch string(a.key) {
		case "src":
			if isImage && !e.single(a.val, tag, "src", KindImg, "") {
				return false
			}
		case "poster":
			if tag == "video" && !e.single(a.val, tag, "poster", KindImg, "") {
				return false
			}
		case "style":
			if !e.css(a.val, tag, "") {
				return false
			}
		}
	}
	return true
}

// Properties of <meta> that name the page's image.
var metaImage = []string{"og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src"}

// meta handles <meta property|name=og:image content>.
func (e *imageExtractor) meta() bool {
	attrs := e.readAttrs()
	var content []byte
	is := false
	for _, a := range attrs {
		switch string(a.key) {
		case "property", "name":
			p := strings.ToLower(strings.TrimSpace(string(a.val)))
			for _, m := range metaImage {
				if p == m {
					is = true
				}
			}
		case "content":
			content = a.val
		}
	}
	if !is || content == nil {
		return true
	}
	return e.single(content, "meta", "content", KindMeta, "")
}

// Link relations of icons.
var iconRels = []string{"icon", "apple-touch-icon", "apple-touch-icon-precomposed", "mask-icon"}

// icon handles <link rel=icon href>.
func (e *imageExtractor) icon() bool {
	attrs := e.readAttrs()
	var href []byte
	is := false
	for _, a := range attrs {
		switch string(a.key) {
		case "rel":
			for _, r := range strings.Fields(strings.ToLower(string(a.val))) {
				for _, ir := range iconRels {
					if r == ir {
						is = true
					}
				}
			}
		case "href":
			href = a.val
		}
	}
	if !is || href == nil {
		return true
	}
	return e.single(href, "link", "href", KindIcon, "")
}

// baseHref records the first <base href>.
func (e *imageExtractor) baseHref() {
	for _, a := range e.readAttrs() {
		if string(a.key) == "href" {
			e.base, e.haveBase = string(a.val), true
			return
		}
	}
}

// styleAttr handles the style attribute of any element, with KindCSS.
func (e *imageExtractor) styleAttr(name []byte) bool {
	if e.kinds&KindCSS == 0 {
		return true
	}
	for _, a := range e.readAttrs() {
		if string(a.key) == "style" {
			return e.css(a.val, string(name), "")
		}
	}
	return true
}

// css collects the url()s of a style attribute.
func (e *imageExtractor) css(v []byte, tag, alt string) bool {
	if e.kinds&KindCSS == 0 {
		return true
	}
	ok := true
	cssURLs(string(v), func(u string) bool {
		ok = e.add(Image{Raw: trimSpace(u), Tag: tag, Attr: "style", Kind: KindCSS, Alt: alt})
		return ok
	})
	return ok
}

// cssText collects the url()s of a <style> block.
func (e *imageExtractor) cssText(s string) bool {
	ok := true
	cssURLs(s, func(u string) bool {
		ok = e.add(Image{Raw: trimSpace(u), Tag: "style", Kind: KindCSS})
		return ok
	})
	return ok
}

// single collects an attribute holding one URL.
func (e *imageExtractor) single(v []byte, tag, attr string, kind Kind, alt string) bool {
	if e.kinds&kind == 0 {
		return true
	}
	v = bytes.TrimFunc(v, isC0OrSpace)
	if len(v) == 0 {
		return true
	}
	return e.add(Image{Raw: string(v), Tag: tag, Attr: attr, Kind: kind, Alt: alt})
}

func isC0OrSpace(r rune) bool { return r <= ' ' }

// srcset collects the candidates of a srcset attribute.
func (e *imageExtractor) srcset(v []byte, tag, attr string, kind Kind, alt string) bool {
	if e.kinds&kind == 0 {
		return true
	}
	e.cands = parseSrcset(e.cands[:0], string(v))
	if len(e.cands) == 0 {
		return true
	}
	cs := e.cands
	if e.o.BestCandidate {
		b := best(cs)
		cs = cs[b : b+1]
	}
	for _, c := range cs {
		if !e.add(Image{Raw: c.url, Tag: tag, Attr: attr, Kind: kind, Descriptor: c.desc, Alt: alt}) {
			return false
		}
	}
	return true
}

// add collects an image, its URL not yet resolved; false means the URL
// limit is reached. Duplicates are collected as they come, which costs
// nothing on ordinary pages; when the limit is reached, the duplicates of
// Raw are dropped and, from then on, not collected, so that a page of a
// million copies of one image does not fill the limit.
func (e *imageExtractor) add(im Image) bool {
	if im.Raw == "" || !e.o.KeepData && hasScheme(im.Raw, "data:") || hasScheme(im.Raw, "javascript:") {
		return true // never reported: not worth keeping until the end
	}
	im.Raw, im.Alt = validUTF8(im.Raw), validUTF8(im.Alt)
	if e.seen != nil {
		if _, dup := e.seen[im.Raw]; dup {
			return true
		}
	}
	if e.max >= 0 && e.items.n >= e.max {
		if e.o.KeepDuplicates || e.seen != nil {
			return false
		}
		e.compact()
		if _, dup := e.seen[im.Raw]; dup {
			return true
		}
		if e.items.n >= e.max {
			return false
		}
	}
	if e.seen != nil {
		e.seen[im.Raw] = struct{}{}
	}
	e.items.append(im)
	return true
}

// compact drops the items whose Raw came before and starts e.seen.
func (e *imageExtractor) compact() {
	e.seen = make(map[string]struct{}, e.items.n)
	var out imageList
	for i := range e.items.n {
		im := e.items.at(i)
		if _, dup := e.seen[im.Raw]; !dup {
			e.seen[im.Raw] = struct{}{}
			out.append(*im)
		}
	}
	e.items = out
	e.pictureAt = min(e.pictureAt, out.n)
}

// resolve returns the items with their URL set, without those that do not
// resolve and, unless KeepDuplicates, the repeats of a URL.
func (e *imageExtractor) resolve(pageURL string) []Image {
	if e.items.n == 0 {
		return nil
	}
	res := newResolver(pageURL, e.base, e.o)
	var seen map[string]struct{}
	if !e.o.KeepDuplicates {
		seen = make(map[string]struct{}, e.items.n)
	}
	out := make([]Image, 0, e.items.n)
	for i, c := range e.items.chunks {
		e.items.chunks[i] = nil // what is resolved is garbage: peak memory stays low
		for _, im := range c {
			u, ok := res.resolve(im.Raw)
			if !ok {
				continue
			}
			if seen != nil {
				if _, dup := seen[u]; dup {
					continue
				}
				seen[u] = struct{}{}
			}
			im.URL = u
			out = append(out, im)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// chunkSize is the number of images in each chunk of an imageList.
const chunkSize = 512

// imageList is an append-only list of images in chunks, so that growing it
// never copies what it holds.
type imageList struct {
	chunks [][]Image
	n      int
}

func (l *imageList) append(im Image) {
	if l.n%chunkSize == 0 {
		l.chunks = append(l.chunks, make([]Image, 0, chunkSize))
	}
	c := &l.chunks[len(l.chunks)-1]
	*c = append(*c, im)
	l.n++
}

func (l *imageList) at(i int) *Image { return &l.chunks[i/chunkSize][i%chunkSize] }

// hasScheme reports whether s starts with scheme (lower-case, with its
// colon), in any case.
func hasScheme(s, scheme string) bool {
	return len(s) >= len(scheme) && strings.EqualFold(s[:len(scheme)], scheme)
}
