package parse

import "strings"

// How Images keeps what it collects. A 5 MB page holds tens of thousands
// of references; holding each as an Image of seven strings, each string
// its own allocation, made the garbage collector scan and the allocator
// serve most of what Images did beyond the tokenizer. So an item is a
// small record without pointers, its strings are spans of one textStore,
// its tag and attribute are indexes into a table of names, and the URLs
// are written back to back by a strArena.

// span is a string of a textStore: bytes off to end of its buffer, or,
// when off is negative, its big string -off-1.
type span struct{ off, end int }

// bigText is the length above which a textStore keeps a string on its own
// instead of copying it into its buffer (a data: URI of megabytes).
const bigText = 64 << 10

// textStore holds strings back to back in one buffer that only grows, so
// that a span stays valid and costs no allocation of its own.
type textStore struct {
	b   strings.Builder
	big []string
}

// add stores p and returns its span.
func (t *textStore) add(p []byte) span {
	if len(p) == 0 {
		return span{}
	}
	if len(p) > bigText {
		t.big = append(t.big, string(p))
		return span{off: -len(t.big)}
	}
	t.room(len(p))
	off := t.b.Len()
	t.b.Write(p)
	return span{off, t.b.Len()}
}

// addString stores s and returns its span.
func (t *textStore) addString(s string) span {
	if len(s) == 0 {
		return span{}
	}
	if len(s) > bigText {
		t.big = append(t.big, strings.Clone(s))
		return span{off: -len(t.big)}
	}
	t.room(len(s))
	off := t.b.Len()
	t.b.WriteString(s)
	return span{off, t.b.Len()}
}

// room makes room for n more bytes (at least 1 KiB): strings.Builder.Grow
// doubles the buffer, where WriteString's append would grow a large one by
// a quarter and copy the text five times over.
func (t *textStore) room(n int) { t.b.Grow(max(n, 1024)) }

// sub returns the span of s[i:j], where s is the string of sp.
func (t *textStore) sub(sp span, i, j int) span {
	if sp.off < 0 {
		return t.addString(t.get(sp)[i:j])
	}
	return span{sp.off + i, sp.off + j}
}

// get returns the string of sp. It shares the store's buffer, which is
// never written over.
func (t *textStore) get(sp span) string {
	if sp.off < 0 {
		return t.big[-sp.off-1]
	}
	return t.b.String()[sp.off:sp.end]
}

// strArena makes strings out of pieces written back to back in shared
// buffers, allocating a buffer for many strings: the URLs of a page. A
// string it returns keeps its buffer alive.
type strArena struct {
	b    strings.Builder
	next int // capacity of the next buffer
}

// concat returns s1 + s2.
func (a *strArena) concat(s1, s2 string) string {
	n := len(s1) + len(s2)
	if a.b.Cap()-a.b.Len() < n {
		c := max(a.next, 4<<10)
		a.next = min(2*c, 256<<10)
		a.b = strings.Builder{}
		a.b.Grow(max(c, n))
	}
	off := a.b.Len()
	a.b.WriteString(s1)
	a.b.WriteString(s2)
	return a.b.String()[off:]
}

// chunkSize is the number of items in each chunk of an itemList.
const chunkSize = 1024

// itemList is an append-only list in chunks, so that growing it never
// copies what it holds.
type itemList struct {
	chunks [][]item
	n      int
}

func (l *itemList) append(it item) {
	if l.n%chunkSize == 0 {
		l.chunks = append(l.chunks, make([]item, 0, chunkSize))
	}
	c := &l.chunks[len(l.chunks)-1]
	*c = append(*c, it)
	l.n++
}

func (l *itemList) at(i int) *item { return &l.chunks[i/chunkSize][i%chunkSize] }

// nameID is a tag or attribute name of an item: one of the constants
// below, or an index into imageExtractor.names past them.
type nameID int32

// The names extractors use.
const (
	nameNone nameID = iota // "": the attribute of a <style> block
	nameImg
	nameImage
	nameInput
	nameVideo
	nameSource
	nameMeta
	nameLink
	nameStyle
	nameSrc
	nameHref
	nameXlinkHref
	nameSrcset
	namePoster
	nameContent
	nameDataSrc
	nameDataOriginal
	nameDataLazySrc
	nameDataLazy
	nameDataSrcset
	nameDataLazySrcset
	nameBackground
	nameImagesrcset
	numNames
)

var names = [numNames]string{
	nameNone:           "",
	nameImg:            "img",
	nameImage:          "image",
	nameInput:          "input",
	nameVideo:          "video",
	nameSource:         "source",
	nameMeta:           "meta",
	nameLink:           "link",
	nameStyle:          "style",
	nameSrc:            "src",
	nameHref:           "href",
	nameXlinkHref:      "xlink:href",
	nameSrcset:         "srcset",
	namePoster:         "poster",
	nameContent:        "content",
	nameDataSrc:        "data-src",
	nameDataOriginal:   "data-original",
	nameDataLazySrc:    "data-lazy-src",
	nameDataLazy:       "data-lazy",
	nameDataSrcset:     "data-srcset",
	nameDataLazySrcset: "data-lazy-srcset",
	nameBackground:     "background",
	nameImagesrcset:    "imagesrcset",
}

// nameTable holds the names of the elements whose style attribute has a
// url(), which may be any name.
type nameTable struct {
	extra []string
	index map[string]nameID
}

// id returns the nameID of name, adding it to the table if need be.
func (t *nameTable) id(name []byte) nameID {
	for i, n := range names {
		if string(name) == n {
			return nameID(i)
		}
	}
	if id, ok := t.index[string(name)]; ok {
		return id
	}
	if t.index == nil {
		t.index = make(map[string]nameID)
	}
	id := numNames + nameID(len(t.extra))
	t.extra = append(t.extra, string(name))
	t.index[t.extra[len(t.extra)-1]] = id
	return id
}

// get returns the name of id.
func (t *nameTable) get(id nameID) string {
	if id < numNames {
		return names[id]
	}
	return t.extra[id-numNames]
}
