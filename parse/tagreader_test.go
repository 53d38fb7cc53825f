package parse

import (
	"bytes"
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
