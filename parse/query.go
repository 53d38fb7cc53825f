package parse

import (
	"fmt"
	"io"

	"github.com/PuerkitoBio/goquery"
	"github.com/andybalholm/cascadia"
)

// Compile compiles a CSS selector for goquery's FindMatcher, Filter
// Matcher and the like. An invalid selector is an error that names it and
// says what is wrong, where goquery's Find would silently match nothing.
func Compile(selector string) (goquery.Matcher, error) {
	m, err := cascadia.Compile(selector)
	if err != nil {
		return nil, fmt.Errorf("parse: invalid selector %q: %v", clip(selector), err)
	}
	return m, nil
}

// Select returns the elements of s (a goquery Document's Selection, or any
// other) that match selector, or an error when the selector is invalid.
func Select(s *goquery.Selection, selector string) (*goquery.Selection, error) {
	m, err := Compile(selector)
	if err != nil {
		return nil, err
	}
	return s.FindMatcher(m), nil
}

// Query parses the page in r (already decoded to UTF-8, see Decode) into a
// goquery Document and returns the elements matching selector. Unlike
// Images and Links, it builds the whole tree in memory: it is for users'
// own selectors, not for large pages. Resolve the URLs it finds with
// urlx.Join against the page URL.
func Query(r io.Reader, selector string) (*goquery.Selection, error) {
	if r == nil {
		return nil, errNoReader
	}
	m, err := Compile(selector)
	if err != nil {
		return nil, err
	}
	doc, err := goquery.NewDocumentFromReader(r)
	if err != nil {
		return nil, fmt.Errorf("parse: reading the page: %w", err)
	}
	return doc.FindMatcher(m), nil
}
