package parse

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// FuzzTagReader checks that tagReader reads every start tag as the
// tokenizer's TagName and TagAttr do, whenever it does not defer to them.
func FuzzTagReader(f *testing.F) {
	for _, s := range []string{
		`<img src="a.png" SRC=b ALT='x y' data-src=c.png/>`,
		`<IMG =x src = "a" / alt=b>`,
		`<a href=x>b</a><img src="a&amp;b"><p a=/>`,
		`<img src="a" src="b" Src='c'><img/src=a><img src=>`,
		"<img src=\"a\rb\"><img\tsrc\n=\fa.png>",
		`<img src="unterminated`,
		`<div a b c d e f g h i j k l m n o p q r s t u v w x y z>`,
		`<verylongtagnamethatisnotinteresting a=1>`,
		"<img \u017frc=x src=y K=1 \u212a=2 k=3>", // folds to "src" and "k" in Unicode, not in HTML
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		z := html.NewTokenizer(strings.NewReader(doc))
		var tr tagReader
		for range 10000 {
			tt := z.Next()
			if tt == html.ErrorToken {
				if z.Err() != io.EOF {
					t.Fatal(z.Err())
				}
				return
			}
			if tt != html.StartTagToken && tt != html.SelfClosingTagToken && tt != html.EndTagToken {
				continue
			}
			raw := bytes.Clone(z.Raw())
			name := tr.tagName(raw)
			wantName, _ := z.TagName()
			if name != nil && !bytes.Contains(raw, []byte{0}) && string(name) != string(wantName) {
				t.Fatalf("tagName(%q) = %q, want %q", raw, name, wantName)
			}
			if tt == html.EndTagToken {
				continue
			}
			attrs, ok := tr.attributes(raw)
			var want []attr
			for {
				k, v, more := z.TagAttr()
				if k == nil {
					break
				}
				want = append(want, attr{k, v})
				if !more {
					break
				}
			}
			if !ok {
				continue
			}
			if len(attrs) != len(want) {
				t.Fatalf("attributes(%q) = %q, want %q", raw, attrs, want)
			}
			for i := range want {
				if string(attrs[i].key) != string(want[i].key) || string(attrs[i].val) != string(want[i].val) {
					t.Fatalf("attributes(%q)[%d] = %q=%q, want %q=%q", raw, i, attrs[i].key, attrs[i].val, want[i].key, want[i].val)
				}
			}
		}
	})
}

// TestManyAttributes: a tag with thousands of attributes (HOSTILE N1)
// keeps the first of each key, as the tokenizer does, in linear work.
func TestManyAttributes(t *testing.T) {
	const n = 20000
	var b strings.Builder
	b.WriteString("<img")
	for i := range n {
		fmt.Fprintf(&b, " a%d=%d", i, i)
	}
	b.WriteString(" A7=again src=x.png a19999=again>")
	var tr tagReader
	attrs, ok := tr.attributes([]byte(b.String()))
	if !ok || len(attrs) != n+1 {
		t.Fatalf("attributes = %d, %v; want %d", len(attrs), ok, n+1)
	}
	if string(attrs[7].val) != "7" || string(attrs[n-1].val) != "19999" || string(attrs[n].key) != "src" {
		t.Errorf("attrs[7] = %q=%q, attrs[%d] = %q=%q, attrs[%d] = %q; want the first of each key kept and src last", attrs[7].key, attrs[7].val, n-1, attrs[n-1].key, attrs[n-1].val, n, attrs[n].key)
	}
	if limit := (n + 3) * 2 * linearKeys; tr.probes > limit {
		t.Errorf("%d comparisons for %d attributes, want at most %d", tr.probes, n+3, limit)
	}
	// The next tag starts afresh.
	attrs, ok = tr.attributes([]byte(`<img a7=1 src=y.png>`))
	if !ok || len(attrs) != 2 || string(attrs[1].val) != "y.png" {
		t.Errorf("the next tag = %q, %v", attrs, ok)
	}
}
