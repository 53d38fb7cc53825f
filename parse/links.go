package parse

import (
	"io"
	"strings"

	"golang.org/x/net/html"
)

// Link is one link of a page.
type Link struct {
	// URL is the absolute http or https URL of the link, without its
	// fragment.
	URL string `json:"url"`
	// Raw is the reference as written, character references decoded and
	// surrounding whitespace trimmed.
	Raw string `json:"raw"`
	// Tag is the element: "a", "area", "link", "iframe" or "frame".
	Tag string `json:"tag"`
	// Attr is the attribute: "href" or "src".
	Attr string `json:"attr"`
	// Rel is the rel attribute, lower-cased, its tokens separated by one
	// space, or "".
	Rel string `json:"rel"`
	// NoFollow is whether Rel holds "nofollow".
	NoFollow bool `json:"nofollow"`
}

// Links reads an HTML page from r, already decoded to UTF-8 (see Decode),
// and returns the links of its <a href>, <area href>, <link href>, <iframe
// src> and <frame src> in document order, resolved as Images resolves
// images (against the first <base href> and pageURL). Only http and https
// links are reported (no javascript:, mailto:, tel: or data:), without
// their fragment; a reference that is a fragment alone ("#top", the page
// itself) is left out, as colly leaves it out. Options.Kinds,
// BestCandidate and KeepData do not apply; the limits do, as in Images.
// Links does not read <meta name=robots>: NoFollow reflects rel alone.
func Links(r io.Reader, pageURL string, opts Options) ([]Link, error) {
	if r == nil {
		return nil, errNoReader
	}
	if err := CheckPageURL(pageURL); err != nil {
		return nil, err
	}
	e := &linkExtractor{scanner: newScanner(r, &opts), max: opts.maxURLs()}
	err := e.run()
	return e.resolve(pageURL), err
}

type linkExtractor struct {
	*scanner
	max   int
	links []Link
	// raws holds the references collected, unless KeepDuplicates, each
	// with its index in links: a repeat resolves to a URL already reported
	// and does not count against max (Options.MaxURLs counts distinct
	// references), but may make the kept one more followable (keepBest).
	raws map[string]int
}

func (e *linkExtractor) run() error {
	for {
		tt := e.next()
		switch tt {
		case html.ErrorToken:
			return e.err()
		case html.EndTagToken:
			if e.templates > 0 {
				e.inert(tt, e.name(false))
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name := e.name(false)
			if e.inert(tt, name) {
				continue
			}
			var tag, attrKey string
			switch string(name) {
			case "a":
				tag, attrKey = "a", "href"
			case "area":
				tag, attrKey = "area", "href"
			case "link":
				tag, attrKey = "link", "href"
			case "iframe":
				tag, attrKey = "iframe", "src"
			case "frame":
				tag, attrKey = "frame", "src"
			case "base":
				e.baseHref()
				continue
			default:
				continue
			}
			if !e.link(tag, attrKey) {
				return urlLimit(e.max)
			}
		}
	}
}

// link collects the link of the current tag; false means the limit is
// reached.
func (e *linkExtractor) link(tag, attrKey string) bool {
	var ref, rel []byte
	found := false
	for _, a := range e.readAttrs() {
		switch string(a.key) {
		case attrKey:
			ref, found = a.val, true
		case "rel":
			rel = a.val
		}
	}
	raw := trimSpace(string(ref))
	if !found || raw == "" || raw[0] == '#' {
		return true
	}
	if sch := schemeOf(cleanRef(raw)); sch != "" && sch != "http" && sch != "https" {
		return true // javascript:, mailto:, data: (any case), ...: never reported
	}
	key := ""
	if !e.o.KeepDuplicates {
		if e.raws == nil {
			e.raws = make(map[string]int)
		}
		key = refKey(raw)
		if i, dup := e.raws[key]; dup {
			if followRank(e.links[i]) > 0 { // else nothing can be more followable
				keepBest(&e.links[i], e.describe(tag, attrKey, rel))
			}
			return true
		}
	}
	if e.max >= 0 && len(e.links) >= e.max {
		return false
	}
	l := e.describe(tag, attrKey, rel)
	l.Raw = validUTF8(raw)
	if key != "" {
		e.raws[key] = len(e.links)
	}
	e.links = append(e.links, l)
	return true
}

// describe is a Link of tag, attribute and rel, without its reference.
func (e *linkExtractor) describe(tag, attrKey string, rel []byte) Link {
	l := Link{Tag: tag, Attr: attrKey}
	if len(rel) > 0 {
		fields := strings.Fields(strings.ToLower(string(rel)))
		l.Rel = validUTF8(strings.Join(fields, " "))
		for _, f := range fields {
			if f == "nofollow" {
				l.NoFollow = true
			}
		}
	}
	return l
}

// keepBest gives kept, a link reported once for all its repeats, the
// tag, attribute and rel of the repeat r when r is more followable: any
// <a>, <area>, <frame> or <iframe> before a <link>, then one without
// nofollow before one with it, then <a> and <area> before frames (so a
// <link rel=next> in the head, or a nofollow <a>, does not hide a plain
// <a> to the same URL from a crawler that follows only those). Its place
// and reference stay the first's.
func keepBest(kept *Link, r Link) {
	if followRank(r) < followRank(*kept) {
		kept.Tag, kept.Attr, kept.Rel, kept.NoFollow = r.Tag, r.Attr, r.Rel, r.NoFollow
	}
}

// followRank ranks a link for keepBest: lower is more followable.
func followRank(l Link) int {
	rank := 0
	switch l.Tag {
	case "frame", "iframe":
		rank = 1
	case "link":
		rank = 4
	}
	if l.NoFollow {
		rank += 2
	}
	return rank
}

// resolve sets the URL of each link and drops those that do not resolve
// and, unless KeepDuplicates, repeats of a URL.
func (e *linkExtractor) resolve(pageURL string) []Link {
	res := newResolver(pageURL, e.base, e.o)
	var seen map[string]int
	if !e.o.KeepDuplicates {
		seen = make(map[string]int, len(e.links))
	}
	out := e.links[:0]
	for _, l := range e.links {
		u, ok := res.resolve(l.Raw)
		if !ok {
			continue
		}
		if seen != nil {
			if i, dup := seen[u]; dup {
				keepBest(&out[i], l)
				continue
			}
			seen[u] = len(out)
		}
		l.URL = u
		out = append(out, l)
	}
	clear(e.links[len(out):])
	if len(out) == 0 {
		return nil
	}
	return out
}
