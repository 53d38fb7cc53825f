package parse

import (
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
	r    io.Reader
	n    int64 // bytes left; negative: no limit
	read int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n < 0 {
		n, err := l.r.Read(p)
		l.read += int64(n)
		return n, err
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
	l.read += int64(n)
	return n, err
}

// scanner is the tokenizer and the bookkeeping Images and Links share.
type scanner struct {
	z         *html.Tokenizer
	in        *limitReader
	o         *Options
	templates int // depth of <template>: its content is inert
}

func newScanner(r io.Reader, o *Options) *scanner {
	in := &limitReader{r: r, n: o.maxBytes()}
	z := html.NewTokenizer(in)
	z.SetMaxBuf(o.maxTokenBytes())
	return &scanner{z: z, in: in, o: o}
}

// err turns the tokenizer's final error into the one Images and Links
// return: nil at the end of the input.
func (s *scanner) err() error {
	err := s.z.Err()
	switch {
	case err == io.EOF:
		return nil
	case errors.Is(err, errInputLimit):
		return fmt.Errorf("parse: %w: the input is longer than %d bytes (Options.MaxBytes)", ErrTruncated, s.o.maxBytes())
	case errors.Is(err, html.ErrBufferExceeded):
		at := s.in.read - int64(len(s.z.Buffered()))
		return fmt.Errorf("parse: %w: a token longer than %d bytes (Options.MaxTokenBytes) near byte %d", ErrTruncated, s.o.maxTokenBytes(), at)
	}
	return fmt.Errorf("parse: reading the page: %w", err)
}

// urlLimit is the error for too many URLs.
func urlLimit(max int) error {
	return fmt.Errorf("parse: %w: more than %d URLs (Options.MaxURLs)", ErrTruncated, max)
}

// attr is one attribute of the current tag.
type attr struct{ key, val []byte }

// attrs reads the attributes of the current tag into dst.
func (s *scanner) attrs(dst []attr) []attr {
	dst = dst[:0]
	for {
		k, v, more := s.z.TagAttr()
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
