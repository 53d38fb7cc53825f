package parse

import (
	"errors"
	"fmt"
	"strings"
)

// Kind is where an image reference was found. Kinds combine as a set with
// |, as in Options.Kinds.
type Kind uint8

// The kinds of image reference.
const (
	// KindImg is <img src>, and the same on <input type=image>, <video
	// poster>, HTML's <image src> (which the tree builder turns into
	// <img>) and SVG's <image href> or xlink:href.
	KindImg Kind = 1 << iota
	// KindSrcset is a candidate of <img srcset>.
	KindSrcset
	// KindSource is a candidate of <source srcset> (in <picture>).
	KindSource
	// KindLazy is what lazy-loading scripts load instead of src and srcset:
	// data-src, data-srcset, data-original, data-lazy-src, data-lazy-srcset
	// and data-lazy on <img> and <source>.
	KindLazy
	// KindCSS is a url() in a style attribute or a <style> block, except
	// those of @import and @font-face, and the legacy background attribute
	// of <body>, <table>, <thead>, <tbody>, <tfoot>, <tr>, <td> and <th>,
	// which browsers still paint.
	KindCSS
	// KindMeta is the content of <meta property|name=og:image,
	// og:image:url, og:image:secure_url, twitter:image or twitter:image:src>.
	KindMeta
	// KindIcon is the href of <link rel=icon, "shortcut icon",
	// apple-touch-icon, apple-touch-icon-precomposed or mask-icon>.
	KindIcon
	// KindPreload is the href and the imagesrcset candidates of <link
	// rel=preload as=image>, an image the page asks to be fetched early.
	KindPreload
)

// DefaultKinds is the set of kinds Images finds when Options.Kinds is zero:
// every kind but KindCSS, KindIcon and KindPreload.
const DefaultKinds = KindImg | KindSrcset | KindSource | KindLazy | KindMeta

// AllKinds is every kind.
const AllKinds = DefaultKinds | KindCSS | KindIcon | KindPreload

var kindNames = [...]string{"img", "srcset", "source", "lazy", "css", "meta", "icon", "preload"}

// String returns the name of k ("img", "srcset", "source", "lazy", "css",
// "meta", "icon", "preload"), or the names of a set joined by commas, in
// that order.
func (k Kind) String() string {
	var names []string
	for i, n := range kindNames {
		if k&(1<<i) != 0 {
			names = append(names, n)
		}
	}
	if rest := k &^ AllKinds; rest != 0 {
		names = append(names, fmt.Sprintf("Kind(%#x)", uint8(rest)))
	}
	return strings.Join(names, ",")
}

// MarshalText returns k's String, so Image marshals to JSON with its kind
// by name.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads a kind or a set of kinds as ParseKinds does.
func (k *Kind) UnmarshalText(b []byte) error {
	v, err := ParseKinds(string(b))
	if err != nil {
		return err
	}
	*k = v
	return nil
}

// ParseKinds reads a comma-separated list of kind names ("img,srcset,css"),
// as the --kinds flag of grab images takes it. Names are case-insensitive
// and may be surrounded by spaces; "all" means AllKinds and "default"
// DefaultKinds. An unknown or empty name is an error that names it.
func ParseKinds(s string) (Kind, error) {
	var k Kind
	for i, f := range strings.Split(s, ",") {
		name := strings.ToLower(strings.TrimSpace(f))
		switch name {
		case "all":
			k |= AllKinds
			continue
		case "default":
			k |= DefaultKinds
			continue
		case "":
			return 0, fmt.Errorf("parse: empty kind name at position %d of %q", i+1, s)
		}
		found := false
		for j, n := range kindNames {
			if n == name {
				k |= 1 << j
				found = true
			}
		}
		if !found {
			return 0, fmt.Errorf("parse: unknown image kind %q in %q (want %s, all or default)", strings.TrimSpace(f), s, AllKinds)
		}
	}
	return k, nil
}

// Default limits of Options.
const (
	// DefaultMaxBytes is how much input Images and Links read unless
	// Options.MaxBytes says otherwise: 128 MiB.
	DefaultMaxBytes = 128 << 20
	// DefaultMaxTokenBytes is the longest single token (a tag with its
	// attributes, a comment, a run of text) unless Options.MaxTokenBytes
	// says otherwise: 16 MiB, room for a 10 MB data: URI.
	DefaultMaxTokenBytes = 16 << 20
	// DefaultMaxURLs is how many URLs Images and Links collect unless
	// Options.MaxURLs says otherwise.
	DefaultMaxURLs = 100000
)

// ErrTruncated is matched (with errors.Is) by the error Images and Links
// return when a limit of Options stopped them: the URLs found before the
// limit come back with it.
var ErrTruncated = errors.New("truncated")

// Options tunes Images and Links. The zero value finds DefaultKinds,
// returns each URL once, keeps every srcset candidate, leaves data: URIs
// out and applies the default limits.
type Options struct {
	// Kinds is the set of image kinds Images reports; zero means
	// DefaultKinds. Links ignores it.
	Kinds Kind

	// KeepDuplicates reports a URL each time it appears. By default each
	// absolute URL is reported once, where it first appears.
	KeepDuplicates bool

	// BestCandidate keeps only the best candidate of each srcset: the
	// widest one when any candidate has a width descriptor, else the one of
	// highest density (a candidate without a descriptor is 1x); the first of
	// equals. src is a separate reference, of KindImg, and stays.
	BestCandidate bool

	// KeepData reports data: URIs (as written, without tabs and newlines)
	// instead of leaving them out. javascript: and every scheme other than
	// http, https and data are never reported.
	KeepData bool

	// Charset is the WHATWG name of the encoding the page was decoded from
	// (Decode returns it). A browser percent-encodes non-ASCII characters in
	// the query of a URL in the page's encoding, and in its path as UTF-8;
	// a CSS url() is UTF-8 throughout. Empty means UTF-8 (HOSTILE.md K8).
	Charset string

	// MaxBytes is how much input is read; zero means DefaultMaxBytes, a
	// negative value no limit.
	MaxBytes int64

	// MaxTokenBytes caps a single token of the page (a tag with all
	// its attributes, a comment, a run of text or of a script's source);
	// zero means DefaultMaxTokenBytes, a negative value no limit.
	MaxTokenBytes int

	// MaxURLs caps how many URLs are collected (distinct references unless
	// KeepDuplicates); zero means DefaultMaxURLs, a negative value no limit.
	MaxURLs int
}

func (o *Options) kinds() Kind {
	if o.Kinds == 0 {
		return DefaultKinds
	}
	return o.Kinds
}

func (o *Options) maxBytes() int64 {
	switch {
	case o.MaxBytes == 0:
		return DefaultMaxBytes
	case o.MaxBytes < 0:
		return -1
	}
	return o.MaxBytes
}

func (o *Options) maxTokenBytes() int {
	switch {
	case o.MaxTokenBytes == 0:
		return DefaultMaxTokenBytes
	case o.MaxTokenBytes < 0:
		return 0 // no limit
	}
	return o.MaxTokenBytes
}

func (o *Options) maxURLs() int {
	switch {
	case o.MaxURLs == 0:
		return DefaultMaxURLs
	case o.MaxURLs < 0:
		return -1
	}
	return o.MaxURLs
}
