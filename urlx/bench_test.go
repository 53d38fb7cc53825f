package urlx

import (
	"net/url"
	"testing"
)

// The benchmarks pair each urlx function with net/url's nearest equivalent
// on the same inputs, as sub-benchmarks impl=urlx and impl=neturl, so one
// `go test -bench . ./urlx` run (or benchstat over several) compares them.

var benchURLs = []string{
	"http://www.python.org:80/guido/python.html;philosophy?overall=3#n10",
	"https://user:pw@www.example.com:8443/dir/sub/page.html?x=1&y=2#top",
	"http://[2001:db8::1]:8080/a/b/",
	"/static/img/logo.png?v=3",
	"https://cdn.example.net/assets/2024/photos/large/IMG_2024_0001.jpg",
}

func BenchmarkSplit(b *testing.B) {
	b.Run("impl=urlx", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := Split(benchURLs[i%len(benchURLs)]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=neturl", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := url.Parse(benchURLs[i%len(benchURLs)]); err != nil {
				b.Fatal(err)
			}
		}
	})
}

var benchRefs = []string{"../g", "g?y#s", "/abs/path/x.png", "//other.example/x", "./a/b/../c/d.html"}

func BenchmarkJoin(b *testing.B) {
	const base = "http://a/b/c/d;p?q"
	b.Run("impl=urlx", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := Join(base, benchRefs[i%len(benchRefs)]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=neturl", func(b *testing.B) {
		// The same work: parse the base and the reference, resolve, and
		// give back a string.
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			bu, err := url.Parse(base)
			if err != nil {
				b.Fatal(err)
			}
			ru, err := url.Parse(benchRefs[i%len(benchRefs)])
			if err != nil {
				b.Fatal(err)
			}
			_ = bu.ResolveReference(ru).String()
		}
	})
}

var benchText = []string{"plain-ascii-text", "a path/with spaces/and ünïcödé", "q=python web&lang=go+c++", "~user/file_name.tar.gz"}

func BenchmarkQuote(b *testing.B) {
	b.Run("impl=urlx", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			_ = Quote(benchText[i%len(benchText)], "")
		}
	})
	b.Run("impl=neturl", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			_ = url.PathEscape(benchText[i%len(benchText)])
		}
	})
}

func BenchmarkQuotePlus(b *testing.B) {
	b.Run("impl=urlx", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			_ = QuotePlus(benchText[i%len(benchText)], "")
		}
	})
	b.Run("impl=neturl", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			_ = url.QueryEscape(benchText[i%len(benchText)])
		}
	})
}

var benchEscaped = []string{"plain-ascii-text", "a%20path%2Fwith%20spaces%2F%C3%BCn%C3%AF", "q%3Dpython+web%26lang%3Dgo", "caf%C3%A9"}

func BenchmarkUnquote(b *testing.B) {
	b.Run("impl=urlx", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			_ = Unquote(benchEscaped[i%len(benchEscaped)])
		}
	})
	b.Run("impl=neturl", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			_, _ = url.PathUnescape(benchEscaped[i%len(benchEscaped)])
		}
	})
}

const benchQuery = "q=python+web+scraping&lang=go&lang=python&page=2&sort=desc&filter=%C3%A9t%C3%A9&empty=&utm_source=newsletter"

func BenchmarkParseQSL(b *testing.B) {
	b.Run("impl=urlx", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ParseQSL(benchQuery, false); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=neturl", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := url.ParseQuery(benchQuery); err != nil {
				b.Fatal(err)
			}
		}
	})
}
