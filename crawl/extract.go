package crawl

import (
	"bytes"
	"net/url"
	"strings"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// MaxLinksPerPage caps the links and the images taken from one page
// (HOSTILE.md M6: a page of a million links); the rest are ignored and the
// page is flagged Truncated.
const MaxLinksPerPage = 10000

// extracted is what a page yields.
type extracted struct {
	title     string
	links     []link
	images    []string
	nofollow  bool // <meta name="robots" content="nofollow">
	truncated bool
}

type link struct {
	url      *url.URL // absolute, fragment removed
	nofollow bool
}

// extract reads the UTF-8 HTML body of the page at base: its title, its
// <a href> and <area href> links resolved against <base href> and base,
// and, when images is set, its <img src> (and srcset) URLs. Only http and
// https URLs are kept.
func extract(body []byte, base *url.URL, images bool) extracted {
	var x extracted
	z := html.NewTokenizer(bytes.NewReader(body))
	baseSet := false
	inTitle := false
	var title strings.Builder
	seenLink := map[string]bool{}
	seenImg := map[string]bool{}
	resolve := func(ref string) *url.URL {
		ref = strings.TrimSpace(ref)
		if ref == "" {
			return nil
		}
		r, err := url.Parse(ref)
		if err != nil {
			return nil
		}
		u := base.ResolveReference(r)
		if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
			return nil
		}
		u.Fragment, u.RawFragment = "", ""
		return u
	}
	addImg := func(ref string) {
		if u := resolve(ref); u != nil {
			s := u.String()
			if !seenImg[s] {
				if len(x.images) >= MaxLinksPerPage {
					x.truncated = true
					return
				}
				seenImg[s] = true
				x.images = append(x.images, s)
			}
		}
	}
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			x.title = strings.Join(strings.Fields(title.String()), " ")
			return x
		case html.TextToken:
			if inTitle && title.Len() < 4096 {
				title.Write(z.Text())
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			if atom.Lookup(name) == atom.Title {
				inTitle = false
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			a := atom.Lookup(name)
			switch a {
			case atom.Title:
				inTitle = tt == html.StartTagToken && x.title == "" && title.Len() == 0
				continue
			case atom.A, atom.Area, atom.Base, atom.Img, atom.Meta:
			default:
				continue
			}
			attrs := map[string]string{}
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				key := string(k)
				if _, dup := attrs[key]; !dup { // the first of repeated attributes wins, as in browsers
					attrs[key] = string(v)
				}
			}
			switch a {
			case atom.Base:
				if href, ok := attrs["href"]; ok && !baseSet {
					baseSet = true
					if r, err := url.Parse(strings.TrimSpace(href)); err == nil {
						if b := base.ResolveReference(r); b.Scheme == "http" || b.Scheme == "https" {
							base = b
						}
					}
				}
			case atom.Meta:
				if strings.EqualFold(attrs["name"], "robots") && hasToken(attrs["content"], "nofollow", "none") {
					x.nofollow = true
				}
			case atom.A, atom.Area:
				href, ok := attrs["href"]
				if !ok {
					continue
				}
				u := resolve(href)
				if u == nil {
					continue
				}
				s := u.String()
				if seenLink[s] {
					continue
				}
				if len(x.links) >= MaxLinksPerPage {
					x.truncated = true
					continue
				}
				seenLink[s] = true
				x.links = append(x.links, link{url: u, nofollow: hasToken(attrs["rel"], "nofollow")})
			case atom.Img:
				if !images {
					continue
				}
				if src, ok := attrs["src"]; ok {
					addImg(src)
				}
				for _, cand := range strings.Split(attrs["srcset"], ",") {
					if f := strings.Fields(cand); len(f) > 0 {
						addImg(f[0])
					}
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
		css, attr, hasAttr := strings.Cut(sel, "@")
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
