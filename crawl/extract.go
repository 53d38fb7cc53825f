package crawl

import (
	"bytes"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/grabhq/grab/internal/htmlcharset"
	"github.com/grabhq/grab/internal/utf8x"
	"github.com/grabhq/grab/parse"
)

// MaxLinksPerPage caps the links and the images taken from one page
// (HOSTILE.md M6: a page of a million links); the rest are ignored and the
// page is flagged Truncated.
const MaxLinksPerPage = 10000

// extracted is what a page yields.
type extracted struct {
	title     string
	links     []parse.Link
	images    []string
	nofollow  bool // <meta name="robots" content="nofollow">
	truncated bool
}

// extract reads the HTML body of the page at pageURL, decoded by its
// charset (parse.Decode: BOM, Content-Type, <meta>): its title and
// <meta name="robots"> with a tokenizer pass over the head, its links with
// parse.Links and, when images is set, its images with parse.Images.
func extract(body []byte, contentType, pageURL string, images bool) (extracted, []byte) {
	var x extracted
	// parse.Decode's choice (the same htmlcharset.Detect), made on the
	// body in hand: a UTF-8 page (the usual) is only cut of its byte
	// order mark; another is decoded whole.
	cs := "utf-8"
	d := htmlcharset.Detect(body[:min(len(body), htmlcharset.PrescanBytes)], contentType)
	body = body[d.BOM:]
	if d.Name != "utf-8" {
		if b, err := d.Encoding.NewDecoder().Bytes(body); err == nil {
			body, cs = b, d.Name
		}
	}
	if cs == "utf-8" && !utf8.Valid(body) {
		// Each maximal subpart of an ill-formed sequence becomes one
		// U+FFFD.
		body = []byte(utf8x.Valid(body))
	}
	x.title, x.nofollow = head(body)
	opts := parse.Options{Charset: cs, MaxBytes: -1, MaxURLs: MaxLinksPerPage}
	links, err := parse.Links(bytes.NewReader(body), pageURL, opts)
	if errors.Is(err, parse.ErrTruncated) {
		x.truncated = true
	}
	x.links = links
	if images {
		imgs, err := parse.Images(bytes.NewReader(body), pageURL, opts)
		if errors.Is(err, parse.ErrTruncated) {
			x.truncated = true
		}
		for _, im := range imgs {
			x.images = append(x.images, im.URL)
		}
	}
	return x, body
}

// head returns a page's <title> text (spaces collapsed) and whether a
// <meta name="robots"> says nofollow (or none). It stops at <body>.
func head(body []byte) (title string, nofollow bool) {
	z := html.NewTokenizer(bytes.NewReader(body))
	z.SetMaxBuf(1 << 20)
	var t strings.Builder
	inTitle, done := false, false
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return strings.Join(strings.Fields(t.String()), " "), nofollow
		case html.TextToken:
			if inTitle && t.Len() < 4096 {
				t.Write(z.Text())
			}
		case html.EndTagToken:
			if name, _ := z.TagName(); atom.Lookup(name) == atom.Title {
				inTitle, done = false, true
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			switch atom.Lookup(name) {
			case atom.Body:
				return strings.Join(strings.Fields(t.String()), " "), nofollow
			case atom.Title:
				inTitle = tt == html.StartTagToken && !done
			case atom.Meta:
				var isRobots bool
				var content string
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					switch string(k) {
					case "name":
						isRobots = strings.EqualFold(strings.TrimSpace(string(v)), "robots")
					case "content":
						content = string(v)
					}
				}
				if isRobots && hasToken(content, "nofollow", "none") {
					nofollow = true
				}
			}
		}
	}
}

// hasToken reports whether the space- or comma-separated list s holds one
// of the tokens, ignoring case.
func hasToken(s string, tokens ...string) bool {
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' || r == '\n' }) {
		for _, t := range tokens {
			if strings.EqualFold(f, t) {
				return true
			}
		}
	}
	return false
}

// CheckField reports what is wrong with a field of Crawler.Fields, "css" or
// "css@attr": its CSS selector that does not compile.
func CheckField(sel string) error {
	css, _, _ := cutField(sel)
	_, err := parse.Compile(css)
	return err
}

// cutField splits a field, "css" or "css@attr", at its last '@' when what
// follows names an attribute: an '@' inside the selector
// (a[title="me@x"], :contains("@"), a class escaped as .u-hidden\@md) is
// the selector's.
func cutField(sel string) (css, attr string, ok bool) {
	i := strings.LastIndexByte(sel, '@')
	if i < 0 || !isAttrName(sel[i+1:]) {
		return sel, "", false
	}
	slashes := 0
	for j := i - 1; j >= 0 && sel[j] == '\\'; j-- {
		slashes++
	}
	if slashes%2 == 1 { // escaped: part of a name
		return sel, "", false
	}
	return sel[:i], sel[i+1:], true
}

// isAttrName reports whether s can be an HTML attribute's name: no space,
// quote, bracket or parenthesis, nothing the selector grammar would use.
func isAttrName(s string) bool {
	return s != "" && !strings.ContainsAny(s, " \t\n\"'()[]=>~+,*|^$")
}

// selectFields runs each named goquery selector on the page and returns
// the text of every match (trimmed; or the named attribute, for a selector
// written "css@attr").
func selectFields(body []byte, fields map[string]string) (map[string][]string, error) {
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	out := make(map[string][]string, len(fields))
	for name, sel := range fields {
		css, attr, hasAttr := cutField(sel)
		vals := []string{}
		doc.Find(css).Each(func(_ int, s *goquery.Selection) {
			if hasAttr {
				if v, ok := s.Attr(attr); ok {
					vals = append(vals, v)
				}
				return
			}
			vals = append(vals, strings.TrimSpace(s.Text()))
		})
		out[name] = vals
	}
	return out, nil
}
