package jobs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"

	"github.com/grabhq/grab/parse"
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

// extractPage takes the job's items from a page body with the parse
// package: decoded by its charset, resolved against the page URL and its
// <base href>, absolute http and https URLs only, each once, in document
// order. Images are parse's default kinds (img src and srcset, picture
// sources, lazy-loading attributes, og:image); links are the hyperlinks
// (<a href>, <area href>), not stylesheets, scripts or frames. Fields
// are read from the page's tree with goquery (through parse.Query): the
// text of the first match, its white space collapsed, or an attribute's
// value; every match with All; null when nothing matches.
func extractPage(body []byte, contentType, pageURL string, ex Extract, maxURLs int) (extracted, error) {
	var out extracted
	if !ex.Images && !ex.Links && len(ex.Fields) == 0 || !isHTML(contentType) {
		return out, nil
	}
	r, cs, err := parse.Decode(bytes.NewReader(body), contentType)
	if err != nil {
		return out, err
	}
	text, err := io.ReadAll(r)
	if err != nil {
		return out, err
	}
	opts := parse.Options{Charset: cs, MaxURLs: maxURLs, MaxBytes: -1}
	if ex.Images {
		imgs, err := parse.Images(bytes.NewReader(text), pageURL, opts)
		if err != nil && !errors.Is(err, parse.ErrTruncated) {
			return out, err
		}
		for _, im := range imgs {
			out.images = append(out.images, im.URL)
		}
	}
	if ex.Links {
		links, err := parse.Links(bytes.NewReader(text), pageURL, opts)
		if err != nil && !errors.Is(err, parse.ErrTruncated) {
			return out, err
		}
		for _, l := range links {
			if l.Tag == "a" || l.Tag == "area" {
				out.links = append(out.links, l.URL)
			}
		}
	}
	if len(ex.Fields) > 0 {
		root, err := parse.Query(bytes.NewReader(text), "html")
		if err != nil {
			return out, err
		}
		out.fields = map[string]any{}
		for name, f := range ex.Fields {
			sel, err := parse.Select(root, f.Selector)
			if err != nil {
				return out, fmt.Errorf("field %s: %w", name, err)
			}
			var vals []string
			for i := range sel.Length() {
				el := sel.Eq(i)
				if f.Attr != "" {
					if v, ok := el.Attr(f.Attr); ok {
						vals = append(vals, strings.TrimSpace(v))
					}
				} else {
					vals = append(vals, strings.Join(strings.Fields(el.Text()), " "))
				}
				if !f.All && len(vals) > 0 {
					break
				}
			}
			switch {
			case f.All:
				if vals == nil {
					vals = []string{}
				}
				out.fields[name] = vals
			case len(vals) > 0:
				out.fields[name] = vals[0]
			default:
				out.fields[name] = nil
			}
		}
	}
	return out, nil
}
