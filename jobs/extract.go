package jobs

import (
	"bytes"
	"errors"
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
// (<a href>, <area href>), not stylesheets, scripts or frames.
func extractPage(body []byte, contentType, pageURL string, ex Extract, maxURLs int) (extracted, error) {
	var out extracted
	if !ex.Images && !ex.Links || !isHTML(contentType) {
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
		imgs, err := parse.Images(strings.NewReader(string(text)), pageURL, opts)
		if err != nil && !errors.Is(err, parse.ErrTruncated) {
			return out, err
		}
		for _, im := range imgs {
			out.images = append(out.images, im.URL)
		}
	}
	if ex.Links {
		links, err := parse.Links(strings.NewReader(string(text)), pageURL, opts)
		if err != nil && !errors.Is(err, parse.ErrTruncated) {
			return out, err
		}
		for _, l := range links {
			if l.Tag == "a" || l.Tag == "area" {
				out.links = append(out.links, l.URL)
			}
		}
	}
	return out, nil
}
