package urlx_test

import (
	"errors"
	"fmt"
	"log"
	"net/url"

	"github.com/grabhq/grab/urlx"
)

func ExampleSplit() {
	r, err := urlx.Split("http://www.python.org:80/guido/python.html;philosophy?overall=3#n10")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%q %q %q %q %q\n", r.Scheme, r.Netloc, r.Path, r.Query, r.Fragment)
	host, _ := r.Hostname()
	port, _, _ := r.Port()
	fmt.Println(host, port)
	// Output:
	// "http" "www.python.org:80" "/guido/python.html;philosophy" "overall=3" "n10"
	// www.python.org 80
}

func ExampleParse() {
	r, err := urlx.Parse("http://www.python.org:80/guido/python.html;philosophy?overall=3#n10")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("path %q params %q\n", r.Path, r.Params)
	// Output: path "/guido/python.html" params "philosophy"
}

func ExampleUnsplit() {
	fmt.Println(urlx.Unsplit(urlx.SplitResult{Scheme: "https", Netloc: "example.com", Path: "a/b", Query: "x=1"}))
	// Output: https://example.com/a/b?x=1
}

func ExampleUnparse() {
	fmt.Println(urlx.Unparse(urlx.ParseResult{Scheme: "http", Netloc: "h", Path: "/p", Params: "type=a", Fragment: "top"}))
	// Output: http://h/p;type=a#top
}

func ExampleJoin() {
	for _, ref := range []string{"../g", "g?y", "//other/x", "http:g", "mailto:x@y"} {
		u, err := urlx.Join("http://a/b/c/d;p?q", ref)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(u)
	}
	// Output:
	// http://a/b/g
	// http://a/b/c/g?y
	// http://other/x
	// http://a/b/c/g
	// mailto:x@y
}

func ExampleDefrag() {
	u, frag, err := urlx.Defrag("http://a/b?c#section-2")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(u, frag)
	// Output: http://a/b?c section-2
}

func ExampleQuote() {
	fmt.Println(urlx.Quote("/path/x y/é", "/"))
	fmt.Println(urlx.Quote("a/b", ""))
	// Output:
	// /path/x%20y/%C3%A9
	// a%2Fb
}

func ExampleQuotePlus() {
	fmt.Println(urlx.QuotePlus("python web+go", ""))
	// Output: python+web%2Bgo
}

func ExampleUnquote() {
	fmt.Println(urlx.Unquote("caf%C3%A9%20au%20lait"))
	fmt.Printf("%+q\n", urlx.Unquote("%E9t%E9")) // Latin-1 escapes are not UTF-8
	// Output:
	// café au lait
	// "\ufffdt\ufffd"
}

func ExampleUnquotePlus() {
	fmt.Println(urlx.UnquotePlus("query=python+web%2Bgo"))
	// Output: query=python web+go
}

func ExampleParseQSL() {
	pairs, err := urlx.ParseQSL("lang=python&lang=go&q=web+scraping&empty=", false)
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range pairs {
		fmt.Printf("%s=%q\n", p.Key, p.Value)
	}
	// Output:
	// lang="python"
	// lang="go"
	// q="web scraping"
}

func ExampleParseQS() {
	m, err := urlx.ParseQS("lang=python&lang=go&empty=", true)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m["lang"], len(m["empty"]))
	// Output: [python go] 1
}

func ExampleEncode() {
	fmt.Println(urlx.Encode([]urlx.Pair{{"query", "python web"}, {"lang", "go"}, {"lang", "c++"}}))
	// Output: query=python+web&lang=go&lang=c%2B%2B
}

func ExampleOptions_Split() {
	r, err := urlx.Options{Scheme: "https", NoFragments: true}.Split("//example.com/a#b")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%q %q %q\n", r.Scheme, r.Path, r.Fragment)
	// Output: "https" "/a#b" ""
}

func ExampleQueryOptions_ParseQSL() {
	pairs, err := urlx.QueryOptions{Separator: ";", KeepBlank: true}.ParseQSL("a=1;b")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(pairs)
	_, err = urlx.QueryOptions{MaxFields: 2}.ParseQSL("a=1&b=2&c=3")
	fmt.Println(errors.Is(err, urlx.ErrTooManyFields))
	// Output:
	// [{a 1} {b }]
	// true
}

func ExampleSplitResult_Port() {
	for _, s := range []string{"http://h:8080/", "http://h/", "http://h:65536/"} {
		r, _ := urlx.Split(s)
		port, ok, err := r.Port()
		fmt.Println(port, ok, err)
	}
	// Output:
	// 8080 true <nil>
	// 0 false <nil>
	// 0 false urlx: invalid port "65536" (out of range 0-65535) in "http://h:65536/"
}

func ExampleSplitResult_Username() {
	r, _ := urlx.Split("ftp://anonymous:secret@ftp.example.org/pub")
	user, _ := r.Username()
	pass, hasPass := r.Password()
	fmt.Println(user, pass, hasPass)
	// Output: anonymous secret true
}

func ExampleSplitResult_Hostname() {
	r, _ := urlx.Split("http://User@WWW.Example.COM:80/")
	host, ok := r.Hostname()
	fmt.Println(host, ok)
	// Output: www.example.com true
}

func ExampleSplitResult_ASCIIHostname() {
	r, _ := urlx.Split("https://straße.de/")
	host, err := r.ASCIIHostname()
	fmt.Println(host, err)
	// Output: xn--strae-oqa.de <nil>
}

func ExampleSplitResult_URL() {
	r, _ := urlx.Split("http://example.com/a b")
	u, err := r.URL()
	fmt.Println(u, err)
	r, _ = urlx.Split(`http://evil.example\@good.example/`)
	_, err = r.URL()
	fmt.Println(err != nil)
	// Output:
	// http://example.com/a%20b <nil>
	// true
}

func ExampleFromURL() {
	u, _ := url.Parse("https://user@example.com:8443/a%20b?x=1#top")
	r := urlx.FromURL(u)
	fmt.Printf("%q %q %q\n", r.Netloc, r.Path, r.Query)
	// Output: "user@example.com:8443" "/a%20b" "x=1"
}

func ExampleValidate() {
	fmt.Println(urlx.Validate("http://example.com/ok"))
	fmt.Println(urlx.Validate("http://example.com/a\r\nX-Injected: 1"))
	// Output:
	// <nil>
	// urlx: carriage return (CR) at byte 20 in "http://example.com/a\r\nX-Injected: 1"
}

func ExampleOptions_Parse() {
	r, err := urlx.Options{Scheme: "http"}.Parse("//example.com/file;type=a")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%q %q %q\n", r.Scheme, r.Path, r.Params)
	// Output: "http" "/file" "type=a"
}

func ExampleOptions_Join() {
	u, err := urlx.Options{NoFragments: true}.Join("http://a/b/c", "d#not-a-fragment")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(u)
	// Output: http://a/b/d#not-a-fragment
}

func ExampleQueryOptions_ParseQS() {
	m, err := urlx.QueryOptions{KeepBlank: true}.ParseQS("tag=go&tag=python&empty")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m["tag"], len(m["empty"]))
	// Output: [go python] 1
}

func ExampleSplitResult_String() {
	r, _ := urlx.Split("HTTP://Example.com/a?#")
	fmt.Println(r.String()) // the scheme is lower-cased, the empty "?" and "#" dropped
	// Output: http://Example.com/a
}

func ExampleParseResult_Hostname() {
	r, _ := urlx.Parse("https://[2001:DB8::1]:8443/a;b")
	host, _ := r.Hostname()
	port, _, _ := r.Port()
	user, hasUser := r.Username()
	fmt.Println(host, port, user, hasUser)
	// Output: 2001:db8::1 8443  false
}

func ExampleParseResult_String() {
	r, _ := urlx.Parse("http://a/p;x?q#f")
	r.Params = "y"
	fmt.Println(r)
	// Output: http://a/p;y?q#f
}

func ExampleError() {
	_, err := urlx.Split("http://[::1/")
	var ue *urlx.Error
	if errors.As(err, &ue) {
		fmt.Println(ue.Op, "|", ue.Input)
	}
	fmt.Println(err)
	// Output:
	// split | http://[::1/
	// urlx: invalid IPv6 URL: unbalanced brackets in netloc "[::1" in "http://[::1/"
}
