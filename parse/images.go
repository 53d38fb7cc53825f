package parse

import (
	"bytes"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"

	"github.com/grabhq/grab/internal/utf8x"
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
// found and the error. A pageURL that is not absolute, or whose IPv6 host
// has a zone, is an error (see CheckPageURL).
func Images(r io.Reader, pageURL string, opts Options) ([]Image, error) {
	if r == nil {
		return nil, errNoReader
	}
	if err := CheckPageURL(pageURL); err != nil {
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
	items itemList
	text  textStore // the strings of items
	names nameTable // the names of items past the constant ones

	// seen holds the raw references collected, once collecting them all
	// has filled the limit (see add).
	seen map[string]struct{}

	pictures  int // depth of <picture>
	pictureAt int // index in items of the first image of the current <picture> an <img alt> has not given its alt to
	styleText bool

	cands []candidate
}

// item is an image reference collected, its URL not yet resolved: an
// Image without pointers (see store.go).
type item struct {
	raw, alt, desc span
	tag, attr      nameID
	kind           Kind
}

func (e *imageExtractor) run() error {
	for {
		tt := e.next()
		switch tt {
		case html.ErrorToken:
			return e.err()
		case html.TextToken:
			if e.styleText {
				e.styleText = false
				if !e.cssText(string(e.lx.text())) {
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
	case "img":
		return e.img(nameImg)
	case "image":
		return e.img(nameImage)
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
		if e.kinds&(KindIcon|KindPreload) != 0 {
			return e.link()
		}
	case "base":
		e.baseHref()
	case "style":
		e.styleText = e.kinds&KindCSS != 0
		return e.styleAttr(name)
	case "input":
		return e.inputVideo(nameInput)
	case "video":
		return e.inputVideo(nameVideo)
	default:
		return e.styleAttr(name)
	}
	return true
}

// The attributes of the lazy-loading scripts.
var lazyAttrs = [...]struct {
	id     nameID
	srcset bool
}{
	{nameDataSrc, false}, {nameDataOriginal, false}, {nameDataLazySrc, false}, {nameDataLazy, false},
	{nameDataSrcset, true}, {nameDataLazySrcset, true},
}

// img handles <img> (and <image>).
func (e *imageExtractor) img(tag nameID) bool {
	attrs := e.readAttrs()
	var alt span
	for _, a := range attrs {
		if string(a.key) == "alt" {
			alt = e.store(a.val)
			break
		}
	}
	if e.pictures > 0 && alt != (span{}) {
		for i := e.pictureAt; i < e.items.n; i++ {
			if it := e.items.at(i); it.tag == nameSource && it.alt == (span{}) {
				it.alt = alt
			}
		}
		// Those sources have their alt: a later <img alt> in the same
		// picture (an unclosed one holds thousands, HOSTILE N1) has
		// nothing before it to give its alt to.
		e.pictureAt = e.items.n
	}
	for _, a := range attrs {
		k, v := a.key, a.val
		switch string(k) {
		case "src":
			if !e.single(v, tag, nameSrc, KindImg, alt) {
				return false
			}
		case "href":
			if tag == nameImage && !e.single(v, tag, nameHref, KindImg, alt) {
				return false
			}
		case "xlink:href":
			if tag == nameImage && !e.single(v, tag, nameXlinkHref, KindImg, alt) {
				return false
			}
		case "srcset":
			if !e.srcset(v, tag, nameSrcset, KindSrcset, alt) {
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
func (e *imageExtractor) lazy(k, v []byte, tag nameID, alt span) bool {
	if e.kinds&KindLazy == 0 || len(k) < 8 || k[0] != 'd' || !bytes.HasPrefix(k, []byte("data-")) {
		return true
	}
	for _, l := range lazyAttrs {
		if string(k) != names[l.id] {
			continue
		}
		if l.srcset {
			return e.srcset(v, tag, l.id, KindLazy, alt)
		}
		return e.single(v, tag, l.id, KindLazy, alt)
	}
	return true
}

// source handles <source> (which matters in <picture>).
func (e *imageExtractor) source() bool {
	attrs := e.readAttrs()
	for _, a := range attrs {
		switch string(a.key) {
		case "srcset":
			if !e.srcset(a.val, nameSource, nameSrcset, KindSource, span{}) {
				return false
			}
		case "style":
			if !e.css(a.val, nameSource, span{}) {
				return false
			}
		default:
			if !e.lazy(a.key, a.val, nameSource, span{}) {
				return false
			}
		}
	}
	return true
}

// inputVideo handles <input type=image src> and <video poster>.
func (e *imageExtractor) inputVideo(tag nameID) bool {
	attrs := e.readAttrs()
	isImage := false
	if tag == nameInput {
		for _, a := range attrs {
			if string(a.key) == "type" && strings.EqualFold(string(bytes.TrimSpace(a.val)), "image") {
				isImage = true
			}
		}
	}
	for _, a := range attrs {
		switch string(a.key) {
		case "src":
			if isImage && !e.single(a.val, tag, nameSrc, KindImg, span{}) {
				return false
			}
		case "poster":
			if tag == nameVideo && !e.single(a.val, tag, namePoster, KindImg, span{}) {
				return false
			}
		case "style":
			if !e.css(a.val, tag, span{}) {
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
	return e.single(content, nameMeta, nameContent, KindMeta, span{})
}

// Link relations of icons.
var iconRels = []string{"icon", "apple-touch-icon", "apple-touch-icon-precomposed", "mask-icon"}

// link handles <link rel=icon href> and <link rel=preload as=image href
// imagesrcset>.
func (e *imageExtractor) link() bool {
	attrs := e.readAttrs()
	var href, srcset []byte
	icon, preload, image := false, false, false
	for _, a := range attrs {
		switch string(a.key) {
		case "rel":
			for _, r := range strings.Fields(strings.ToLower(string(a.val))) {
				icon = icon || slices.Contains(iconRels, r)
				preload = preload || r == "preload"
			}
		case "as":
			image = strings.EqualFold(string(trimSpace(a.val)), "image")
		case "href":
			href = a.val
		case "imagesrcset":
			srcset = a.val
		}
	}
	if icon && href != nil && !e.single(href, nameLink, nameHref, KindIcon, span{}) {
		return false
	}
	if preload && image {
		// A browser preloads imagesrcset's pick when there is one, else href.
		if srcset != nil && !e.srcset(srcset, nameLink, nameImagesrcset, KindPreload, span{}) {
			return false
		}
		return href == nil || e.single(href, nameLink, nameHref, KindPreload, span{})
	}
	return true
}

// legacyBackground holds the elements whose background attribute browsers
// paint.
var legacyBackground = []string{"body", "table", "thead", "tbody", "tfoot", "tr", "td", "th"}

// styleAttr handles the style attribute of any element, and the legacy
// background attribute, with KindCSS.
func (e *imageExtractor) styleAttr(name []byte) bool {
	if e.kinds&KindCSS == 0 {
		return true
	}
	for _, a := range e.readAttrs() {
		switch string(a.key) {
		case "style":
			if !e.css(a.val, e.names.id(name), span{}) {
				return false
			}
		case "background":
			if slices.Contains(legacyBackground, string(name)) && !e.single(a.val, e.names.id(name), nameBackground, KindCSS, span{}) {
				return false
			}
		}
	}
	return true
}

// css collects the url()s of a style attribute.
func (e *imageExtractor) css(v []byte, tag nameID, alt span) bool {
	if e.kinds&KindCSS == 0 {
		return true
	}
	ok := true
	cssURLs(string(v), func(u string) bool {
		ok = e.addString(trimSpace(u), item{tag: tag, attr: nameStyle, kind: KindCSS, alt: alt})
		return ok
	})
	return ok
}

// cssText collects the url()s of a <style> block.
func (e *imageExtractor) cssText(s string) bool {
	ok := true
	cssURLs(s, func(u string) bool {
		ok = e.addString(trimSpace(u), item{tag: nameStyle, attr: nameNone, kind: KindCSS})
		return ok
	})
	return ok
}

// single collects an attribute holding one URL.
func (e *imageExtractor) single(v []byte, tag, attr nameID, kind Kind, alt span) bool {
	if e.kinds&kind == 0 {
		return true
	}
	v = trimSpace(v)
	if dropped(v, e.o.KeepData) {
		return true
	}
	it := item{tag: tag, attr: attr, kind: kind, alt: alt}
	if e.full() {
		return e.addSlow(validUTF8(string(v)), "", it)
	}
	it.raw = e.store(v)
	e.items.append(it)
	return true
}

// srcset collects the candidates of a srcset attribute.
func (e *imageExtractor) srcset(v []byte, tag, attr nameID, kind Kind, alt span) bool {
	if e.kinds&kind == 0 {
		return true
	}
	if e.full() {
		e.cands = parseSrcset(e.cands[:0], string(v))
	} else {
		// The candidates' strings are spans of the stored attribute.
		sp := e.text.add(v)
		e.cands = parseSrcset(e.cands[:0], e.text.get(sp))
		valid := utf8.Valid(v)
		for i := range e.cands {
			c := &e.cands[i]
			if valid || utf8.ValidString(c.url) {
				c.sp = e.text.sub(sp, c.at, c.at+len(c.url))
			} else {
				c.sp = e.text.addString(validUTF8(c.url))
			}
		}
	}
	if len(e.cands) == 0 {
		return true
	}
	cs := e.cands
	if e.o.BestCandidate {
		b := best(cs)
		cs = cs[b : b+1]
	}
	for _, c := range cs {
		if dropped(c.url, e.o.KeepData) {
			continue
		}
		it := item{tag: tag, attr: attr, kind: kind, alt: alt}
		if e.full() {
			if !e.addSlow(validUTF8(c.url), c.desc, it) {
				return false
			}
			continue
		}
		it.raw, it.desc = c.sp, e.text.addString(c.desc)
		e.items.append(it)
	}
	return true
}

// addString collects the reference s (trimmed).
func (e *imageExtractor) addString(s string, it item) bool {
	if dropped(s, e.o.KeepData) {
		return true
	}
	s = validUTF8(s)
	if e.full() {
		return e.addSlow(s, "", it)
	}
	it.raw = e.text.addString(s)
	e.items.append(it)
	return true
}

// store stores the text p, invalid UTF-8 replaced, and returns its span.
func (e *imageExtractor) store(p []byte) span {
	if utf8.Valid(p) {
		return e.text.add(p)
	}
	return e.text.addString(utf8x.Valid(p))
}

// full reports whether collecting must go through addSlow: the limit of
// URLs is reached, or was.
func (e *imageExtractor) full() bool {
	return e.seen != nil || e.max >= 0 && e.items.n >= e.max
}

// addSlow collects an image whose raw reference is raw (valid UTF-8) and
// descriptor desc once the limit of URLs is reached (see full); false
// means the limit stops Images. Duplicates are collected as they come,
// which costs nothing on ordinary pages; when the limit is reached, the
// duplicates of raw are dropped and, from then on, not collected, so that
// a page of a million copies of one image does not fill the limit.
func (e *imageExtractor) addSlow(raw, desc string, it item) bool {
	key := refKey(raw)
	if e.seen != nil {
		if _, dup := e.seen[key]; dup {
			return true
		}
	}
	if e.max >= 0 && e.items.n >= e.max {
		if e.o.KeepDuplicates || e.seen != nil {
			return false
		}
		e.compact()
		if _, dup := e.seen[key]; dup {
			return true
		}
		if e.items.n >= e.max {
			return false
		}
	}
	it.raw, it.desc = e.text.addString(raw), e.text.addString(desc)
	if e.seen != nil {
		e.seen[refKey(e.text.get(it.raw))] = struct{}{}
	}
	e.items.append(it)
	return true
}

// compact drops the items whose raw reference (its fragment aside) came
// before and starts e.seen.
func (e *imageExtractor) compact() {
	e.seen = make(map[string]struct{}, e.items.n)
	var out itemList
	for i := range e.items.n {
		it := e.items.at(i)
		key := refKey(e.text.get(it.raw))
		if _, dup := e.seen[key]; !dup {
			e.seen[key] = struct{}{}
			out.append(*it)
		}
	}
	e.items = out
	e.pictureAt = min(e.pictureAt, out.n)
}

// resolve returns the items as Images with their URL set, without those
// that do not resolve and, unless KeepDuplicates, the repeats of a URL.
func (e *imageExtractor) resolve(pageURL string) []Image {
	if e.items.n == 0 {
		return nil
	}
	res := newResolver(pageURL, e.base, e.o)
	// CSS's url() is parsed as UTF-8 whatever the page's encoding (CSS
	// Values; WPT's query-encoding tests), in <style> and style="" alike;
	// HTML's attributes, the legacy background= too, use the page's.
	var cssRes *resolver
	if res.enc != nil {
		c := *res // the same base; its own cache of directories
		c.enc, c.dirs = nil, make(map[string]dirEntry)
		cssRes = &c
	}
	var seen map[string]struct{}
	if !e.o.KeepDuplicates {
		seen = make(map[string]struct{}, e.items.n)
	}
	var urls strArena
	out := make([]Image, 0, e.items.n)
	for i, c := range e.items.chunks {
		e.items.chunks[i] = nil // what is resolved is garbage: peak memory stays low
		for _, it := range c {
			raw := e.text.get(it.raw)
			r := res
			if cssRes != nil && it.kind == KindCSS && it.attr != nameBackground {
				r = cssRes
			}
			u, ok := r.resolveIn(raw, &urls)
			if !ok {
				continue
			}
			if seen != nil {
				n := len(seen)
				if seen[u] = struct{}{}; len(seen) == n {
					continue // a repeat: one hashing instead of a lookup and an insert
				}
			}
			out = append(out, Image{
				URL:        u,
				Raw:        raw,
				Tag:        e.names.get(it.tag),
				Attr:       e.names.get(it.attr),
				Kind:       it.kind,
				Descriptor: e.text.get(it.desc),
				Alt:        e.text.get(it.alt),
			})
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// dropped reports whether the trimmed reference s is one Images never
// reports, and so not worth keeping: empty, javascript:, or data: without
// Options.KeepData.
func dropped[T string | []byte](s T, keepData bool) bool {
	return len(s) == 0 || !keepData && hasScheme(s, "data:") || hasScheme(s, "javascript:")
}

// hasScheme reports whether s starts with scheme (lower-case, with its
// colon), in any case.
func hasScheme[T string | []byte](s T, scheme string) bool {
	return len(s) >= len(scheme) && strings.EqualFold(string(s[:len(scheme)]), scheme)
}
