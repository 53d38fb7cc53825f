package jobs

import (
	"bytes"
	"io"
	"mime"
	"net/url"
	"strings"

	"golang.org/x/net/html"

	"github.com/grabhq/grab/fetch"
)

// extracted is what a page gave.
type extracted struct {
	images, links []string
	fields        map[string]any
}

// isHTML reports whether a Content-Type (possibly missing) may be HTML.
func isHTML(contentType string) bool {
	if contentType == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(contentType)
	return err != nil || mt == "text/html" || mt == "application/xhtml+xml"
}

// extractPage takes the job's items from a page body, decoded by its
// charset, resolving URLs against the page URL and its <base href>. Only
// absolute http and https URLs are kept, without fragments, each once, in
// document order.
func extractPage(body []byte, contentType, pageURL string, ex Extract) (extracted, error) {
	var out extracted
	if !ex.Images && !ex.Links || !isHTML(contentType) {
		return out, nil
	}
	text, err := fetch.DetectCharset(body, contentType).Decode(body)
	if err != nil {
		return out, err
	}
	base, err := url.Parse(pageURL)
	if err != nil {
		return out, err
	}
	seenImg, seenLink := map[string]bool{}, map[string]bool{}
	add := func(list *[]string, seen map[string]bool, ref string) {
		ref = strings.TrimSpace(ref)
		if ref == "" {
			return
		}
		u, err := base.Parse(ref)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return
		}
		u.Fragment, u.RawFragment = "", ""
		s := u.String()
		if !seen[s] {
			seen[s] = true
			*list = append(*list, s)
		}
	}
	z := html.NewTokenizer(io.Reader(bytes.NewReader([]byte(text))))
	baseSet := false
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		name, hasAttr := z.TagName()
		if !hasAttr {
			continue
		}
		attrs := map[string]string{}
		for {
			k, v, more := z.TagAttr()
			if _, dup := attrs[string(k)]; !dup {
				attrs[string(k)] = string(v)
			}
			if !more {
				break
			}
		}
		switch string(name) {
		case "base":
			if h, ok := attrs["href"]; ok && !baseSet {
				if b, err := base.Parse(strings.TrimSpace(h)); err == nil {
					base, baseSet = b, true
				}
			}
		case "img":
			if ex.Images {
				add(&out.images, seenImg, attrs["src"])
				for _, c := range strings.Split(attrs["srcset"], ",") {
					if f := strings.Fields(c); len(f) > 0 {
						add(&out.images, seenImg, f[0])
					}
				}
			}
		case "source":
			if ex.Images {
				for _, c := range strings.Split(attrs["srcset"], ",") {
					if f := strings.Fields(c); len(f) > 0 {
						add(&out.images, seenImg, f[0])
					}
				}
			}
		case "a", "area":
			if ex.Links {
				add(&out.links, seenLink, attrs["href"])
			}
		}
	}
	return out, nil
}
