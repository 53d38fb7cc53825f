package parse_test

import (
	"fmt"
	"log"
	"strings"

	"github.com/grabhq/grab/parse"
)

// The textbook's parse_image.py in a few lines: every image of a page,
// resolved against the page's URL.
func ExampleImages() {
	page := `<html><head><base href="/static/"></head><body>
<img src="logo.png" alt="Logo">
<img srcset="photo.jpg 1x, photo@2x.jpg 2x">
<img class="lazy" data-src="lazy.jpg" src="data:image/gif;base64,R0lGOD">
<!-- <img src="old.png"> -->
<img src="javascript:alert(1)">
</body></html>`
	imgs, err := parse.Images(strings.NewReader(page), "https://example.com/blog/post.html", parse.Options{})
	if err != nil {
		log.Fatal(err)
	}
	for _, im := range imgs {
		fmt.Println(strings.TrimSpace(fmt.Sprint(im.Kind, " ", im.URL, " ", im.Descriptor)))
	}
	// Output:
	// img https://example.com/static/logo.png
	// srcset https://example.com/static/photo.jpg 1x
	// srcset https://example.com/static/photo@2x.jpg 2x
	// lazy https://example.com/static/lazy.jpg
}

func ExampleLinks() {
	page := `<a href="/about">About</a> <a href="https://other.example/" rel="nofollow">Other</a> <a href="#top">Top</a>`
	links, err := parse.Links(strings.NewReader(page), "https://example.com/", parse.Options{})
	if err != nil {
		log.Fatal(err)
	}
	for _, l := range links {
		fmt.Println(l.URL, l.NoFollow)
	}
	// Output:
	// https://example.com/about false
	// https://other.example/ true
}

func ExampleDecode() {
	// "café" in windows-1252, as a server labelling it latin1 sends it.
	body := strings.NewReader("<img src=\"/caf\xe9.png?q=caf\xe9\">")
	r, cs, err := parse.Decode(body, "text/html; charset=latin1")
	if err != nil {
		log.Fatal(err)
	}
	imgs, err := parse.Images(r, "http://example.com/", parse.Options{Charset: cs})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(cs, imgs[0].URL)
	// Output: windows-1252 http://example.com/caf%C3%A9.png?q=caf%E9
}

func ExampleParseKinds() {
	k, err := parse.ParseKinds("img,css")
	fmt.Println(k, err)
	_, err = parse.ParseKinds("img,pictures")
	fmt.Println(err)
	// Output:
	// img,css <nil>
	// parse: unknown image kind "pictures" in "img,pictures" (want img,srcset,source,lazy,css,meta,icon,preload, all or default)
}

func ExampleQuery() {
	page := `<ul><li><a href="/a">A</a></li><li class="x"><a href="/b">B</a></li></ul>`
	sel, err := parse.Query(strings.NewReader(page), "li.x a")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(sel.AttrOr("href", ""))
	_, err = parse.Query(strings.NewReader(page), "li[")
	fmt.Println(err != nil)
	// Output:
	// /b
	// true
}
