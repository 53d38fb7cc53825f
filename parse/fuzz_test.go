package parse_test

import (
	"strings"
	"testing"

	"github.com/grabhq/grab/parse"
	"github.com/grabhq/grab/urlx"
)

// FuzzImages checks that Images never panics, reports at most MaxURLs
// images, and reports only absolute http(s) URLs with a host (or data:
// URIs when asked), never javascript: (HOSTILE.md §5.6).
func FuzzImages(f *testing.F) {
	seeds := []string{
		`<img src="a.png" srcset="b.png 2x, c.png 100w">`,
		`<base href="//h/x/"><picture><source srcset="s.webp"><img data-src="l.png" alt="&amp;"></picture>`,
		`<img src="java&#x0A;script:alert(1)"><img src="data:image/png;base64,AA">`,
		`<style>.a{background:url("\61 .png")}</style><div style="background:url(b.png)">`,
		`<meta property="og:image" content="//cdn/og.png"><link rel="icon" href="/f.ico">`,
		`<IMG SRC=\img\a.png?q='x'#f><img src="http://[::1]:80/a.png"><img src="http://xn--a/">`,
		`<template><img src="t.png"></template><noscript><img src="n.png"></noscript>`,
		"<img src=\"\xff\xfe\"><img src=\"%2e%2e/a.png\">",
	}
	for _, s := range seeds {
		f.Add(s, "http://example.com/dir/page.html", true)
		f.Add(s, "", false)
	}
	f.Fuzz(func(t *testing.T, doc, pageURL string, data bool) {
		o := parse.Options{Kinds: parse.AllKinds, KeepData: data, MaxURLs: 50, BestCandidate: len(doc)%2 == 0}
		imgs, _ := parse.Images(strings.NewReader(doc), pageURL, o) // a bad pageURL or MaxURLs may fail it
		if len(imgs) > 50 {
			t.Fatalf("%d images over MaxURLs 50", len(imgs))
		}
		seen := map[string]bool{}
		for _, im := range imgs {
			checkURL(t, im.URL, data)
			if seen[im.URL] {
				t.Fatalf("URL %q reported twice", im.URL)
			}
			seen[im.URL] = true
		}
		links, _ := parse.Links(strings.NewReader(doc), pageURL, parse.Options{MaxURLs: 50})
		for _, l := range links {
			checkURL(t, l.URL, false)
		}
	})
}

func checkURL(t *testing.T, u string, data bool) {
	t.Helper()
	if data && strings.HasPrefix(u, "data:") {
		return
	}
	r, err := urlx.Split(u)
	if err != nil {
		t.Fatalf("URL %q does not split: %v", u, err)
	}
	if r.Scheme != "http" && r.Scheme != "https" {
		t.Fatalf("URL %q: scheme %q, want http or https", u, r.Scheme)
	}
	if h, ok := r.Hostname(); !ok || h == "" {
		t.Fatalf("URL %q has no host", u)
	}
	if strings.ContainsAny(u, " \t\n\r\x00\"<>`#") {
		t.Fatalf("URL %q holds a character a browser escapes", u)
	}
}

// FuzzDecode checks that Decode never panics and always names an encoding.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`<meta charset="euc-kr"><img src="a.png">`), "")
	f.Add([]byte("\xff\xfe<\x00i\x00"), "text/html; charset=shift_jis")
	f.Add([]byte("\x1b$B$\"\x1b(B"), "text/html; charset=iso-2022-jp")
	f.Fuzz(func(t *testing.T, b []byte, ctype string) {
		r, cs, err := parse.Decode(strings.NewReader(string(b)), ctype)
		if err != nil || cs == "" {
			t.Fatalf("Decode = %q, %v", cs, err)
		}
		if _, err := parse.Images(r, "http://h/", parse.Options{Charset: cs}); err != nil {
			t.Fatalf("Images after Decode: %v", err)
		}
	})
}
