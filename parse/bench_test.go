package parse_test

import (
	"bytes"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/grabhq/grab/parse"
	"github.com/grabhq/grab/testserver"
	"golang.org/x/net/html"
)

const benchOrigin = "http://127.0.0.1:8080"

// bigPage is the benchmark workload: the test server's /bigpage/20000.html,
// 5 MB with 20,000 images.
var bigPage = sync.OnceValue(func() []byte { return testserver.BigPage(benchOrigin, 20000, 5000000) })

// BenchmarkImages is parse.Images with the default kinds on the big page.
func BenchmarkImages(b *testing.B) {
	benchPage(b, func(page []byte) {
		imgs, err := parse.Images(bytes.NewReader(page), benchOrigin+"/bigpage/20000.html", parse.Options{})
		if err != nil || len(imgs) != 24000 {
			b.Fatalf("Images = %d images, %v; want 24000", len(imgs), err)
		}
	})
}

// BenchmarkImagesAll is parse.Images with every kind (CSS in every style
// attribute included).
func BenchmarkImagesAll(b *testing.B) {
	benchPage(b, func(page []byte) {
		if _, err := parse.Images(bytes.NewReader(page), benchOrigin+"/bigpage/20000.html", parse.Options{Kinds: parse.AllKinds}); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkTokenizerBare is the peer: a bare x/net/html tokenizer loop
// collecting <img src> into a set, sorted, as the shared bench kit's
// extract-tok does.
func BenchmarkTokenizerBare(b *testing.B) {
	benchPage(b, func(page []byte) {
		if got := len(bareTokenizer(page)); got != 16001 {
			b.Fatalf("bare tokenizer found %d, want 16001", got)
		}
	})
}

// BenchmarkTokenizerNext is x/net/html's Next alone: the ceiling.
func BenchmarkTokenizerNext(b *testing.B) {
	benchPage(b, func(page []byte) {
		z := html.NewTokenizer(bytes.NewReader(page))
		for z.Next() != html.ErrorToken {
		}
	})
}

func bareTokenizer(page []byte) []string {
	z := html.NewTokenizer(bytes.NewReader(page))
	set := map[string]struct{}{}
	for {
		switch z.Next() {
		case html.ErrorToken:
			out := make([]string, 0, len(set))
			for k := range set {
				out = append(out, k)
			}
			slices.Sort(out)
			return out
		case html.StartTagToken, html.SelfClosingTagToken:
			name, has := z.TagName()
			if string(name) != "img" || !has {
				continue
			}
			for {
				k, v, more := z.TagAttr()
				if string(k) == "src" {
					set[string(v)] = struct{}{}
				}
				if !more {
					break
				}
			}
		}
	}
}

// BenchmarkHostileTags is HOSTILE N1's shapes that once cost quadratic
// time: one tag with 20,000 attributes, and an unclosed <picture> with
// 10,000 sources each followed by an <img alt>.
func BenchmarkHostileTags(b *testing.B) {
	var attrs, picture bytes.Buffer
	attrs.WriteString("<img")
	for i := range 20000 {
		fmt.Fprintf(&attrs, " a%d=1", i)
	}
	attrs.WriteString(" src=a.png>")
	picture.WriteString("<picture>")
	for i := range 10000 {
		fmt.Fprintf(&picture, "<source srcset=s%d.png><img alt=x src=i%d.png>", i, i)
	}
	for _, page := range []struct {
		name string
		html []byte
	}{{"attributes", attrs.Bytes()}, {"picture", picture.Bytes()}} {
		b.Run(page.name, func(b *testing.B) {
			b.SetBytes(int64(len(page.html)))
			for b.Loop() {
				if _, err := parse.Images(bytes.NewReader(page.html), benchOrigin+"/", parse.Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
