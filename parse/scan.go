package parse

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"golang.org/x/net/html"
)

// errInputLimit is what limitReader returns past its limit.
var errInputLimit = errors.New("input limit")

// limitReader reads at most n bytes of r and then reports errInputLimit,
// unless r ends exactly there.
type limitReader struct {
	r io.Reader
	n int64 // bytes left; negative: no limit
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n < 0 {
		return l.r.Read(p)
	}
	if l.n == 0 {
		var one [1]byte
		for range 100 {
			n, err := l.r.Read(one[:])
			if n > 0 {
				return 0, errInputLimit
			}
			if err != nil {
				return 0, err
			}
		}
		return 0, io.ErrNoProgress
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

// scanner is the lexer and the bookkeeping Images and Links share.
type scanner struct {
	lx        *lexer
	o         *Options
	templates int // depth of <template>: its content is inert
	tr        tagReader
	attrBuf   []attr

	base     string // href of the first <base href>
	haveBase bool
}

// baseHref records the href of the current <base> tag, unless a <base
// href> came before.
func (s *scanner) baseHref() {
	if s.haveBase {
		return
	}
	for _, a := range s.readAttrs() {
		if string(a.key) == "href" {
			s.base, s.haveBase = string(a.val), true
			return
		}
	}
}

// readAttrs returns the attributes of the current start tag, keys
// lower-cased, read from its raw bytes when it can be (see tagReader).
// It may be called once per token.
func (s *scanner) readAttrs() []attr {
	if a, ok := s.tr.attributes(s.lx.rawBytes()); ok {
		return a
	}
	s.attrBuf = attrs(tokenizeTag(s.lx.rawBytes()), s.attrBuf)
	return s.attrBuf
}

// name returns the lower-cased name of the current tag token, without a
// copy; "" for a name longer than any the extractors look for, unless
// long is set.
func (s *scanner) name(long bool) []byte {
	if n := s.tr.tagName(s.lx.rawBytes()); n != nil {
		return n
	}
	if long {
		n, _ := tokenizeTag(s.lx.rawBytes()).TagName()
		return n
	}
	return nil
}

// tokenizeTag returns x/net/html's tokenizer on the start or end tag raw
// (read whole by the lexer), positioned on it: the tag is tokenized alone
// as it is in the page, for the names and values tagReader leaves to the
// tokenizer's accessors.
func tokenizeTag(raw []byte) *html.Tokenizer {
	z := html.NewTokenizer(bytes.NewReader(raw))
	z.Next()
	return z
}

func newScanner(r io.Reader, o *Options) *scanner {
	return &scanner{lx: newLexer(&limitReader{r: r, n: o.maxBytes()}, o.maxTokenBytes()), o: o}
}

// next reads the next token (see lexer).
func (s *scanner) next() html.TokenType { return s.lx.next() }

// err turns the lexer's final error into the one Images and Links
// return: nil at the end of the input.
func (s *scanner) err() error {
	err := s.lx.readErr()
	switch {
	case s.lx.tooLong:
		return fmt.Errorf("parse: %w: a token of %d bytes or more (Options.MaxTokenBytes) at byte %d", ErrTruncated, s.o.maxTokenBytes(), s.lx.offset())
	case err == nil:
		return nil
	case errors.Is(err, errInputLimit):
		return fmt.Errorf("parse: %w: the input is longer than %d bytes (Options.MaxBytes)", ErrTruncated, s.o.maxBytes())
	}
	return fmt.Errorf("parse: reading the page: %w", err)
}

// urlLimit is the error for too many URLs.
func urlLimit(n int) error {
	return fmt.Errorf("parse: %w: more than %d URLs (Options.MaxURLs)", ErrTruncated, n)
}

// attr is one attribute of the current tag.
type attr struct{ key, val []byte }

// attrs reads the attributes of z's current tag into dst with the
// tokenizer's TagAttr.
func attrs(z *html.Tokenizer, dst []attr) []attr {
	dst = dst[:0]
	for {
		k, v, more := z.TagAttr()
		if k == nil {
			return dst
		}
		dst = append(dst, attr{k, v})
		if !more {
			return dst
		}
	}
}

// inert handles <template> nesting for a start or end tag token named
// name, and reports whether the token is inside a template's content (or
// is a template tag), where nothing is loaded.
func (s *scanner) inert(tt html.TokenType, name []byte) bool {
	if string(name) == "template" {
		if tt == html.EndTagToken {
			if s.templates > 0 {
				s.templates--
			}
		} else {
			s.templates++
		}
		return true
	}
	return s.templates > 0
}

// maxName is the longest tag name the raw reader lowers into its buffer;
// no tag it looks for is longer.
const maxName = 16

// tagReader reads the name and attributes of the current tag from its
// raw bytes, without the copies the tokenizer's TagName and TagAttr make
// of each name, key and value. It reads the attributes as the
// tokenizer does (WHATWG's attribute name and value states: "=" as the
// first character of a name, quoted, unquoted and missing values, "/"
// between attributes, the first of repeated names), and leaves to the
// tokenizer's own accessors the values it would have to change: those
// holding "&" (character references), CR (newline normalisation) or NUL.
// FuzzTagReader checks the two agree.
type tagReader struct {
	name  [maxName]byte
	keys  []byte // the keys that had upper-case letters, lowered, back to back
	attrs []attr
	// set holds the keys of a tag with more than linearKeys attributes,
	// so that one with thousands (HOSTILE N1) costs linear time, not
	// quadratic; probes counts seen's comparisons, for a test.
	set    map[string]struct{}
	probes int
}

// linearKeys is how many attributes seen compares one by one before it
// keeps a set of their keys.
const linearKeys = 16

// tagName returns the lower-cased name of the start or end tag in raw
// ("<img ...>" or "</img>"), or nil when it is longer than maxName.
func (t *tagReader) tagName(raw []byte) []byte {
	i := 1
	if i < len(raw) && raw[i] == '/' {
		i++
	}
	n := 0
	for ; i < len(raw); i++ {
		c := raw[i]
		if nameEnd[c] {
			break
		}
		if n == maxName {
			return nil
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		t.name[n] = c
		n++
	}
	return t.name[:n]
}

// Sets of bytes: those that end a tag name (space, "/", ">"), and an
// attribute name ("=" too, except as its first byte).
var (
	nameEnd = byteSet(func(c byte) bool { return isSpace(c) || c == '/' || c == '>' })
	keyEnd  = byteSet(func(c byte) bool { return isSpace(c) || c == '/' || c == '>' || c == '=' })
)

// attributes returns the attributes of the start tag in raw, keys
// lower-cased, or ok false when one of them needs the tokenizer's
// accessors. The slices are valid until the next call.
func (t *tagReader) attributes(raw []byte) (attrs []attr, ok bool) {
	if bytes.IndexByte(raw, 0) >= 0 {
		return nil, false
	}
	// Values holding these are left to the tokenizer; most tags have none.
	special := bytes.IndexByte(raw, '&') >= 0 || bytes.IndexByte(raw, '\r') >= 0
	i := 1
	for i < len(raw) && !nameEnd[raw[i]] {
		i++
	}
	t.keys, t.attrs = t.keys[:0], t.attrs[:0]
	clear(t.set)
	for {
		for i < len(raw) && isSpace(raw[i]) {
			i++
		}
		if i >= len(raw) || raw[i] == '>' {
			break
		}
		ks := i
		if raw[i] == '=' {
			i++ // "=" as the first character of a name is part of it
		}
		for i < len(raw) && !keyEnd[raw[i]] {
			i++
		}
		key := raw[ks:i:i]
		vs, ve := i, i
		for i < len(raw) && isSpace(raw[i]) {
			i++
		}
		if i < len(raw) {
			c := raw[i]
			i++
			switch {
			case c == '/':
			case c != '=':
				i--
			default:
				for i < len(raw) && isSpace(raw[i]) {
					i++
				}
				if i < len(raw) {
					q := raw[i]
					i++
					switch q {
					case '>':
						i--
					case '"', '\'':
						vs = i
						if j := bytes.IndexByte(raw[i:], q); j >= 0 {
							ve, i = i+j, i+j+1
						} else {
							ve, i = len(raw), len(raw)
						}
					default:
						vs = i - 1
						for i < len(raw) && !isSpace(raw[i]) && raw[i] != '>' {
							i++
						}
						ve = i
						if i < len(raw) && raw[i] != '>' {
							i++
						}
					}
				}
			}
		}
		if len(key) == 0 {
			continue
		}
		key = t.lower(key)
		if t.seen(key) {
			continue
		}
		v := raw[vs:ve:ve]
		if special && (bytes.IndexByte(v, '&') >= 0 || bytes.IndexByte(v, '\r') >= 0) {
			return nil, false
		}
		t.attrs = append(t.attrs, attr{key, v})
	}
	return t.attrs, true
}

// lower returns key lower-cased: key itself when it has no upper-case
// letter, else a copy in t.keys. The copy stays valid until the next call
// of attributes: t.keys is only appended to, and a slice of a buffer it
// has outgrown keeps that buffer.
func (t *tagReader) lower(key []byte) []byte {
	upper := false
	for _, c := range key {
		if 'A' <= c && c <= 'Z' {
			upper = true
			break
		}
	}
	if !upper {
		return key
	}
	start := len(t.keys)
	for _, c := range key {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		t.keys = append(t.keys, c)
	}
	return t.keys[start:len(t.keys):len(t.keys)]
}

// seen reports whether key (lower-cased) is among the keys read so far,
// as the tokenizer compares them: byte for byte after ASCII lower-casing.
// A key it reports unseen counts as seen from then on: the caller keeps
// it, or drops the whole tag.
func (t *tagReader) seen(key []byte) bool {
	if len(t.attrs) < linearKeys {
		for _, a := range t.attrs {
			t.probes++
			if string(a.key) == string(key) {
				return true
			}
		}
		return false
	}
	if t.set == nil {
		t.set = make(map[string]struct{})
	}
	if len(t.set) == 0 {
		for _, a := range t.attrs {
			t.set[string(a.key)] = struct{}{}
		}
	}
	t.probes++
	if _, ok := t.set[string(key)]; ok {
		return true
	}
	t.set[string(key)] = struct{}{}
	return false
}
