package parse

import (
	"strings"
	"testing"
)

func TestParseSrcset(t *testing.T) {
	tests := []struct {
		in   string
		want string // url|desc;...
	}{
		{"a.png", "a.png|"},
		{"a.png 1x, b.png 2x", "a.png|1x;b.png|2x"},
		{"a.png 1x,b.png 2x", "a.png|1x;b.png|2x"},
		{"  a.png   100w ,\n  b.png 200w  ", "a.png|100w;b.png|200w"},
		{"/i.png?crop=1,2 1x,/j.png?crop=3,4 2x", "/i.png?crop=1,2|1x;/j.png?crop=3,4|2x"},
		{"a.png,b.png", "a.png,b.png|"}, // one URL: only a comma at its end separates
		{"a.png, b.png", "a.png|;b.png|"},
		{"a.png,, b.png", "a.png|;b.png|"},
		{"a.png 100w 50h", "a.png|100w 50h"},
		{"a.png 50h", ""},     // h without w
		{"a.png 0w", ""},      // zero width
		{"a.png -1x", ""},     // negative density
		{"a.png 1x 2x", ""},   // two densities
		{"a.png 100w 2x", ""}, // mixed
		{"a.png 2X", ""},      // unknown unit (upper case)
		{"a.png 1.5x, b.png .5x", "a.png|1.5x;b.png|.5x"},
		{"a.png foo(bar, baz) , b.png", "b.png|"}, // invalid descriptor in parentheses, comma inside kept
		{"data:image/png;base64,AAA= 1x", "data:image/png;base64,AAA=|1x"},
		{",,,", ""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var got []string
			for _, c := range parseSrcset(nil, tt.in) {
				got = append(got, c.url+"|"+c.desc)
			}
			if g := strings.Join(got, ";"); g != tt.want {
				t.Errorf("parseSrcset(%q) = %q, want %q", tt.in, g, tt.want)
			}
		})
	}
}

func TestBest(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"a 1x, b 3x, c 2x", "b"},
		{"a, b 2x", "b"},
		{"a 2x, b", "a"},
		{"a 100w, b 300w, c 200w", "b"},
		{"a 1x, b 1x", "a"},
		{"a", "a"},
	}
	for _, tt := range tests {
		cs := parseSrcset(nil, tt.in)
		if got := cs[best(cs)].url; got != tt.want {
			t.Errorf("best(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCSSURLs(t *testing.T) {
	tests := []struct{ in, want string }{
		{"background: url(a.png)", "a.png"},
		{"background: URL( 'a b.png' ) no-repeat", "a b.png"},
		{`background:url("a.png"),url(b.png)`, "a.png;b.png"},
		{`/* url(no.png) */ x: url(yes.png)`, "yes.png"},
		{`content: "url(no.png)"; x: url(yes.png)`, "yes.png"},
		{`@import url(style.css); .a{background:url(a.png)}`, "a.png"},
		{`@import "x.css"; @font-face { src: url(f.woff2) format("woff2"); } .b { background: url(b.png) }`, "b.png"},
		{`@media screen { .a { background: url(m.png) } }`, "m.png"},
		{`x: url(a\).png)`, "a).png"},
		{`x: url(\61 .png)`, "a.png"},
		{`x: url("a\"b.png")`, `a"b.png`},
		{`x: url(a b.png)`, ""}, // bad url: whitespace inside
		{`x: url(a"b)`, ""},
		{`x: url(unclosed`, ""},
		{`x: myurl(no.png)`, ""},
		{`x: url()`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var got []string
			cssURLs(tt.in, func(u string) bool { got = append(got, u); return true })
			if g := strings.Join(got, ";"); g != tt.want {
				t.Errorf("cssURLs(%q) = %q, want %q", tt.in, g, tt.want)
			}
		})
	}
}

func TestValidUTF8(t *testing.T) {
	tests := []struct{ in, want string }{
		{"abc", "abc"},
		{"a\xffb", "a\ufffdb"},
		{"a\xe2\x82b", "a\ufffdb"}, // one maximal subpart
		{"a\xe2\x82\xe2\x82\xacb", "a\ufffd€b"},
		{"\xed\xa0\x80", "\ufffd\ufffd\ufffd"}, // a surrogate: three subparts
		{"\xf0\x9f\x98", "\ufffd"},
	}
	for _, tt := range tests {
		if got := validUTF8(tt.in); got != tt.want {
			t.Errorf("validUTF8(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestResolve(t *testing.T) {
	const page = "http://Example.COM:80/dir/page.html?q=1#frag"
	tests := []struct {
		base, ref, want string
	}{
		{"", "a.png", "http://example.com/dir/a.png"},
		{"", "/a.png", "http://example.com/a.png"},
		{"", "../a.png", "http://example.com/a.png"},
		{"", "../../../a.png", "http://example.com/a.png"},
		{"", "//cdn.example.net/a.png", "http://cdn.example.net/a.png"},
		{"", "HTTPS://CDN.Example.NET:443/A.png", "https://cdn.example.net/A.png"},
		{"", "http://h:8080/a.png", "http://h:8080/a.png"},
		{"", "a.png#x", "http://example.com/dir/a.png"},
		{"", "a.png?", "http://example.com/dir/a.png"},
		{"", "?x=1", "http://example.com/dir/page.html?x=1"},
		{"", "#top", ""},
		{"", " \n a.png \t", "http://example.com/dir/a.png"},
		{"", "a\n.png", "http://example.com/dir/a.png"},
		{"", `\img\a.png`, "http://example.com/img/a.png"},
		{"", "a b.png", "http://example.com/dir/a%20b.png"},
		{"", "café.png?q=café", "http://example.com/dir/caf%C3%A9.png?q=caf%C3%A9"},
		{"", "a.png?q='x'", "http://example.com/dir/a.png?q=%27x%27"},
		{"", "http://h/a/./b/../c.png", "http://h/a/c.png"},
		{"", "http://h/a/%2e%2E/c.png", "http://h/c.png"},
		{"", "http://bücher.example/a.png", "http://xn--bcher-kva.example/a.png"},
		{"", "http://h:99999/a.png", ""},
		{"", "http://h:x/a.png", ""},
		{"", "http:///a.png", "http://example.com/a.png"}, // urljoin reads it as a path
		{"", "http://a b/a.png", ""},
		{"", "javascript:alert(1)", ""},
		{"", "JaVaScRiPt:alert(1)", ""},
		{"", "java\nscript:alert(1)", ""},
		{"", "data:image/png;base64,AAAA", ""},
		{"", "file:///etc/passwd", ""},
		{"", "mailto:a@b", ""},
		{"", "", ""},
		{"/img/", "a.png", "http://example.com/img/a.png"},
		{"img/", "a.png", "http://example.com/dir/img/a.png"},
		{"https://other.example/x/", "a.png", "https://other.example/x/a.png"},
		{"javascript:alert(1)", "a.png", ""},
		{"javascript:alert(1)", "http://h/a.png", "http://h/a.png"},
		{"file:///tmp/", "a.png", ""},
		{"//cdn.example/", "a.png", "http://cdn.example/a.png"},
	}
	for _, tt := range tests {
		t.Run(tt.base+" "+tt.ref, func(t *testing.T) {
			r := newResolver(page, tt.base, &Options{})
			got, ok := r.resolve(tt.ref)
			if !ok {
				got = ""
			}
			if got != tt.want {
				t.Errorf("resolve(%q) with base %q = %q, want %q", tt.ref, tt.base, got, tt.want)
			}
			// The fast path agrees with the slow one.
			if slow, sok := r.slow(trimSpace(tt.ref)); tt.ref != "" && tt.ref[0] != '#' && tt.ref != " \n a.png \t" && (slow != got || sok != ok) {
				t.Errorf("slow(%q) = %q, %v; resolve = %q, %v", tt.ref, slow, sok, got, ok)
			}
		})
	}
}

// TestFastPathAgrees checks the directory cache against full resolution on
// many shapes of reference.
func TestFastPathAgrees(t *testing.T) {
	refs := []string{"a.png", "./a.png", "../a.png", "x/../a.png", "/a/b/c.png", "//h/a.png", "http://h/a/b.png",
		"https://h:443/a.png", "a.png?x=1&y=2", "a.png?x=/y", "http:a.png", "a/", "../", "/", ".", "..", "a/.", "a/..",
		"%2e%2e/a.png", "a/%2E", "a//b.png", "/a//b.png", "h:a.png", "a:b/c.png", "x/y:z.png", "?x", "a.png?"}
	for _, base := range []string{"", "/img/", "http://other/x/y", "https://h/a/b/"} {
		r := newResolver("http://example.com/dir/sub/page.html", base, &Options{})
		for _, ref := range refs {
			got, ok := r.resolve(ref)
			want, wok := r.slow(ref)
			if got != want || ok != wok {
				t.Errorf("base %q: resolve(%q) = %q, %v; slow = %q, %v", base, ref, got, ok, want, wok)
			}
		}
	}
}

// FuzzFastPath checks the directory cache (and a reference that is its
// own URL) against full resolution with urlx.Join: a page's references
// resolved in turn by one resolver, so that later ones use what earlier
// ones cached.
func FuzzFastPath(f *testing.F) {
	f.Add("http://example.com/dir/sub/page.html", "", "a.png ../a.png /a/b.png http://example.com/dir/sub/a.png //h/x.png a.png?q=1 x/../y.png")
	f.Add("https://H.example:443/a/b/", "/img/", "http://h.example/img/1.png http://h.example:80/img/2.png HTTP://h.example/img/3.png %2e%2e/a.png a//b.png")
	f.Add("http://h/", "http://other/x/y", "a.png ./a.png h:a.png ?x a.png? /%2E/x http://h/a/./b.png http://h/a/../b.png")
	f.Add("http://[::1]:8080/p", "", "http://[::1]:8080/a.png http://user:pw@h/a.png http://h:80/a.png http://h./a.png")
	f.Fuzz(func(t *testing.T, pageURL, base, refs string) {
		if CheckPageURL(pageURL) != nil {
			return
		}
		r := newResolver(pageURL, base, &Options{})
		var a strArena
		for _, ref := range strings.Fields(refs) {
			got, ok := r.resolveIn(ref, &a)
			want, wok := "", false // a fragment alone is not requested
			if s := trimSpace(ref); s != "" && s[0] != '#' {
				want, wok = r.slow(s)
			}
			if got != want || ok != wok {
				t.Fatalf("page %q, base %q: resolve(%q) = %q, %v; urlx.Join and normalize = %q, %v", pageURL, base, ref, got, ok, want, wok)
			}
		}
	})
}
