package parse_test

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/grabhq/grab/parse"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/unicode"
)

const page = "http://example.com/dir/page.html"

// urls runs Images on doc and returns the URLs, one per line.
func urls(t *testing.T, doc string, o parse.Options) string {
	t.Helper()
	imgs, err := parse.Images(strings.NewReader(doc), page, o)
	if err != nil {
		t.Fatalf("Images: %v", err)
	}
	var b strings.Builder
	for _, im := range imgs {
		fmt.Fprintln(&b, im.URL)
	}
	return b.String()
}

func lines(s ...string) string {
	if len(s) == 0 {
		return ""
	}
	return strings.Join(s, "\n") + "\n"
}

// TestImagesHostile runs the hand-written hostile pages of the issue and of
// HOSTILE.md N3.
func TestImagesHostile(t *testing.T) {
	all := parse.Options{Kinds: parse.AllKinds}
	tests := []struct {
		name string
		doc  string
		o    parse.Options
		want string
	}{
		{"uppercase tags", `<IMG SRC="a.png"><Img Src=b.png>`, parse.Options{}, lines("http://example.com/dir/a.png", "http://example.com/dir/b.png")},
		{"unquoted and single-quoted", `<img src=a.png alt=x><img src='b c.png'>`, parse.Options{}, lines("http://example.com/dir/a.png", "http://example.com/dir/b%20c.png")},
		{"entities in src", `<img src="a.png?x=1&amp;y=2"><img src="&#x2f;img&#x2F;b&#47;c.png"><img src="/c.png?a=1&copy=2">`, parse.Options{},
			lines("http://example.com/dir/a.png?x=1&y=2", "http://example.com/img/b/c.png", "http://example.com/c.png?a=1&copy=2")},
		{"whitespace and newlines", "<img src=\" \n\t/a.png \n\"><img src=\"/b\n.png\"><img src=\"   \">", parse.Options{},
			lines("http://example.com/a.png", "http://example.com/b.png")},
		{"empty and missing src", `<img src=""><img><img src>`, parse.Options{}, ""},
		{"attribute names equal only in Unicode case folding", "<img \u017frc=x.png src=a.png>", parse.Options{}, lines("http://example.com/dir/a.png")},
		{"base relative", `<base href="/img/"><img src="a.png">`, parse.Options{}, lines("http://example.com/img/a.png")},
		{"base other host", `<base href="https://cdn.example.net/x/"><img src="a.png"><img src="/b.png">`, parse.Options{},
			lines("https://cdn.example.net/x/a.png", "https://cdn.example.net/b.png")},
		{"several bases, first wins", `<base href="/one/"><base href="/two/"><img src="a.png">`, parse.Options{}, lines("http://example.com/one/a.png")},
		{"base without href skipped", `<base target="_blank"><base href="/two/"><img src="a.png">`, parse.Options{}, lines("http://example.com/two/a.png")},
		{"base after the images", `<img src="a.png"><base href="/late/">`, parse.Options{}, lines("http://example.com/late/a.png")},
		{"base that does not parse", `<base href="http://exa mple.com/x/"><img src="a.png">`, parse.Options{}, lines("http://example.com/dir/a.png")},
		{"base with a bad port", `<base href="http://x.com:99999/"><img src="a.png">`, parse.Options{}, lines("http://example.com/dir/a.png")},
		{"base javascript", `<base href="javascript:alert(1)"><img src="a.png"><img src="http://h/b.png">`, parse.Options{}, lines("http://h/b.png")},
		{"I1 base file", `<base href="file:///etc/"><img src="passwd"><img src="//h/b.png">`, parse.Options{}, lines()},
		{"base in a comment", `<!-- <base href="/no/"> --><img src="a.png">`, parse.Options{}, lines("http://example.com/dir/a.png")},
		{"base in a template", `<template><base href="/no/"></template><img src="a.png">`, parse.Options{}, lines("http://example.com/dir/a.png")},
		{"srcset descriptors", `<img src="a.png" srcset="a.png 1x, b.png 2x,c.png 3x">`, parse.Options{},
			lines("http://example.com/dir/a.png", "http://example.com/dir/b.png", "http://example.com/dir/c.png")},
		{"srcset widths and commas", "<img srcset=\"/i.png?crop=1,2 100w,\n /j.png 200w\" sizes=\"50vw\">", parse.Options{},
			lines("http://example.com/i.png?crop=1,2", "http://example.com/j.png")},
		{"srcset best", `<img src="s.png" srcset="a.png 1x, c.png 3x, b.png 2x"><img srcset="w1.png 100w, w3.png 300w, w2.png 200w">`,
			parse.Options{BestCandidate: true}, lines("http://example.com/dir/s.png", "http://example.com/dir/c.png", "http://example.com/dir/w3.png")},
		{"picture", `<picture><source type="image/webp" srcset="a.webp"><source media="(min-width: 800px)" srcset="b.png 1x, c.png 2x"><img src="d.png" alt="D"></picture>`,
			parse.Options{}, lines("http://example.com/dir/a.webp", "http://example.com/dir/b.png", "http://example.com/dir/c.png", "http://example.com/dir/d.png")},
		{"lazy", `<img class="lazy" data-src="a.png" data-srcset="b.png 1x, c.png 2x" src="data:image/gif;base64,R0lGOD"><img data-original="d.png"><img data-lazy-src="e.png" data-lazy-srcset="f.png 2x"><source data-srcset="g.png">`,
			parse.Options{}, lines("http://example.com/dir/a.png", "http://example.com/dir/b.png", "http://example.com/dir/c.png",
				"http://example.com/dir/d.png", "http://example.com/dir/e.png", "http://example.com/dir/f.png", "http://example.com/dir/g.png")},
		{"lazy not asked", `<img data-src="a.png" src="b.png">`, parse.Options{Kinds: parse.KindImg}, lines("http://example.com/dir/b.png")},
		{"duplicates equal after resolution", `<img src="/a.png"><img src="a.png"><img src="../a.png"><img src="HTTP://EXAMPLE.COM:80/a.png#x"><img src="/dir/a.png">`,
			parse.Options{}, lines("http://example.com/a.png", "http://example.com/dir/a.png")},
		{"duplicates kept", `<img src="/a.png"><img src="../a.png">`, parse.Options{KeepDuplicates: true}, lines("http://example.com/a.png", "http://example.com/a.png")},
		{"javascript never", `<img src="javascript:alert(1)"><img src=" JAVASCRIPT:alert(1)"><img src="java&#x0A;script:alert(1)"><img srcset="javascript:a 1x">`,
			parse.Options{KeepData: true}, ""},
		{"data left out", `<img src="data:image/png;base64,AAAA">`, parse.Options{}, ""},
		{"data kept", `<img src="data:image/png;base64,AA&#10;AA">`, parse.Options{KeepData: true}, lines("data:image/png;base64,AAAA")},
		{"protocol-relative", `<img src="//cdn.example.net/a.png">`, parse.Options{}, lines("http://cdn.example.net/a.png")},
		{"not loaded", `<!-- <img src="c.png"> --><script>document.write('<img src="s.png">')</script><style>img{}</style><textarea><img src="t.png"></textarea><title><img src="ti.png"></title><noscript><img src="n.png"></noscript><template><img src="tp.png"><template><img src="tp2.png"></template><img src="tp3.png"></template><iframe><img src="if.png"></iframe><xmp><img src="x.png"></xmp><img src="yes.png">`,
			parse.Options{}, lines("http://example.com/dir/yes.png")},
		{"broken markup", `<img src="a.png"<img src=b.png><div <img src="c.png"><img src="d.png" <p>><img src='e.png`, parse.Options{},
			lines("http://example.com/dir/a.png", "http://example.com/dir/d.png")},
		{"unclosed comment", `<img src="a.png"><!-- <img src="b.png">`, parse.Options{}, lines("http://example.com/dir/a.png")},
		{"repeated attribute", `<img src="a.png" src="b.png">`, parse.Options{}, lines("http://example.com/dir/a.png")},
		{"meta images", `<meta property="og:image" content="/og.png"><meta name="twitter:image" content="tw.png"><meta content="/after.png" property="OG:IMAGE"><meta property="og:title" content="/no.png">`,
			parse.Options{}, lines("http://example.com/og.png", "http://example.com/dir/tw.png", "http://example.com/after.png")},
		{"icons on request", `<link rel="icon" href="/favicon.ico"><link rel="shortcut icon" href="/s.ico"><link rel="apple-touch-icon" href="/t.png"><link rel="stylesheet" href="/x.css">`,
			parse.Options{Kinds: parse.KindIcon}, lines("http://example.com/favicon.ico", "http://example.com/s.ico", "http://example.com/t.png")},
		{"icons not by default", `<link rel="icon" href="/favicon.ico">`, parse.Options{}, ""},
		{"preload images on request", `<link rel="preload" as="image" href="/hero.jpg"><link rel="PRELOAD" as=" Image " href="/h2.jpg" imagesrcset="/h-1x.jpg 1x, /h-2x.jpg 2x"><link rel="preload" as="font" href="/f.woff2"><link rel="preload" href="/nokind.jpg"><link rel="icon" href="/i.ico">`,
			parse.Options{Kinds: parse.KindPreload}, lines("http://example.com/hero.jpg", "http://example.com/h-1x.jpg", "http://example.com/h-2x.jpg", "http://example.com/h2.jpg")},
		{"preload and icon together", `<link rel="preload" as="image" href="/p.jpg"><link rel="shortcut icon" href="/s.ico">`,
			parse.Options{Kinds: parse.KindPreload | parse.KindIcon}, lines("http://example.com/p.jpg", "http://example.com/s.ico")},
		{"preload not by default", `<link rel="preload" as="image" href="/hero.jpg">`, parse.Options{}, ""},
		{"preload named with icon", `<link rel="icon preload" as="image" href="/x.png">`, parse.Options{Kinds: parse.KindPreload}, lines("http://example.com/x.png")},
		{"legacy background", `<body background="bg.gif"><table background="/t.gif"><tr background="tr.gif"><td background=" td.gif " style="background:url(s.png)"><th background="th.gif"><div background="no.gif"><img background="no2.gif" src="i.png">`,
			parse.Options{Kinds: parse.KindCSS}, lines("http://example.com/dir/bg.gif", "http://example.com/t.gif", "http://example.com/dir/tr.gif", "http://example.com/dir/td.gif", "http://example.com/dir/s.png", "http://example.com/dir/th.gif")},
		{"legacy background not by default", `<body background="bg.gif">`, parse.Options{}, ""},
		{"css on request", `<style>.a{background:url(/bg.png)} @font-face{src:url(/f.woff)} /* url(/c.png) */</style><div style="background-image: url('s.png')"></div><p style="background:url(&quot;q.png&quot;)">`,
			all, lines("http://example.com/bg.png", "http://example.com/dir/s.png", "http://example.com/dir/q.png")},
		{"css not by default", `<style>.a{background:url(/bg.png)}</style><div style="background:url(s.png)">`, parse.Options{}, ""},
		{"input image and poster", `<input type="IMAGE" src="i.png"><input type="text" src="no.png"><video poster="p.png" src="v.mp4"></video>`,
			parse.Options{}, lines("http://example.com/dir/i.png", "http://example.com/dir/p.png")},
		{"image tag and svg", `<image src="h.png"><svg><image href="s.png"/><image xlink:href="x.png"/></svg>`,
			parse.Options{}, lines("http://example.com/dir/h.png", "http://example.com/dir/s.png", "http://example.com/dir/x.png")},
		{"I1 other schemes", `<img src="file:///etc/passwd"><img src="ftp://h/a.png"><img src="mailto:a@b"><img src="about:blank">`, parse.Options{}, ""},
		{"bad hosts and ports", `<img src="http://h:99999/a.png"><img src="http://[::1/a.png"><img src="http://a%20b/c.png"><img src="http://ok/a.png">`,
			parse.Options{}, lines("http://ok/a.png")},
		{"deep nesting", strings.Repeat("<div>", 100000) + `<img src="deep.png">` + strings.Repeat("</div>", 100000), parse.Options{},
			lines("http://example.com/dir/deep.png")},
		{"nul bytes", "<img src=\"a\x00.png\"><im\x00g src=b.png>", parse.Options{}, lines("http://example.com/dir/a%EF%BF%BD.png")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := urls(t, tt.doc, tt.o); got != tt.want {
				t.Errorf("Images(%.80q) =\n%s\nwant\n%s", tt.doc, got, tt.want)
			}
		})
	}
}

// TestImagesFields checks every field of Image.
func TestImagesFields(t *testing.T) {
	doc := `<picture><source srcset="/s.webp 2x"><img src="/i.png" srcset="/i2.png 2x" alt="An &amp; image"></picture>` +
		`<meta property="og:image" content=" /og.png "><div style="background:url(/bg.png)"></div><img data-src="/lazy.png">`
	imgs, err := parse.Images(strings.NewReader(doc), page, parse.Options{Kinds: parse.AllKinds})
	if err != nil {
		t.Fatal(err)
	}
	want := []parse.Image{
		{URL: "http://example.com/s.webp", Raw: "/s.webp", Tag: "source", Attr: "srcset", Kind: parse.KindSource, Descriptor: "2x", Alt: "An & image"},
		{URL: "http://example.com/i.png", Raw: "/i.png", Tag: "img", Attr: "src", Kind: parse.KindImg, Alt: "An & image"},
		{URL: "http://example.com/i2.png", Raw: "/i2.png", Tag: "img", Attr: "srcset", Kind: parse.KindSrcset, Descriptor: "2x", Alt: "An & image"},
		{URL: "http://example.com/og.png", Raw: "/og.png", Tag: "meta", Attr: "content", Kind: parse.KindMeta},
		{URL: "http://example.com/bg.png", Raw: "/bg.png", Tag: "div", Attr: "style", Kind: parse.KindCSS},
		{URL: "http://example.com/lazy.png", Raw: "/lazy.png", Tag: "img", Attr: "data-src", Kind: parse.KindLazy},
	}
	if len(imgs) != len(want) {
		t.Fatalf("Images = %+v, want %+v", imgs, want)
	}
	for i := range want {
		if imgs[i] != want[i] {
			t.Errorf("image %d = %+v, want %+v", i, imgs[i], want[i])
		}
	}
}

// TestImagesEncodings reads pages in EUC-KR, Shift_JIS, windows-1252 and
// UTF-16 (with a byte order mark) through Decode (HOSTILE.md N4, K8).
func TestImagesEncodings(t *testing.T) {
	tests := []struct {
		name, ctype, charset string
		enc                  encoding.Encoding
		meta                 bool
		text                 string // non-ASCII text for the path, query and alt
		path                 string // the path as a browser encodes it: UTF-8
		query                string // the query as a browser encodes it: in the page's encoding
	}{
		{"euc-kr meta", "", "euc-kr", korean.EUCKR, true, "한국", "%ED%95%9C%EA%B5%AD", "%C7%D1%B1%B9"},
		{"euc-kr header", "text/html; charset=EUC-KR", "euc-kr", korean.EUCKR, false, "한국", "%ED%95%9C%EA%B5%AD", "%C7%D1%B1%B9"},
		// 本 is 0x96 0x7B in Shift_JIS: "{" is not percent-encoded in a query.
		{"shift_jis meta", "", "shift_jis", japanese.ShiftJIS, true, "日本", "%E6%97%A5%E6%9C%AC", "%93%FA%96{"},
		{"windows-1252 header latin1", "text/html; charset=latin1", "windows-1252", charmap.Windows1252, false, "café", "caf%C3%A9", "caf%E9"},
		{"utf-16le bom", "text/html; charset=euc-kr", "utf-16le", unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), false, "한국", "%ED%95%9C%EA%B5%AD", "%ED%95%9C%EA%B5%AD"},
		{"utf-16be bom", "", "utf-16be", unicode.UTF16(unicode.BigEndian, unicode.UseBOM), false, "日本", "%E6%97%A5%E6%9C%AC", "%E6%97%A5%E6%9C%AC"},
		{"utf-8 bom over header", "text/html; charset=shift_jis", "utf-8", unicode.UTF8BOM, false, "日本", "%E6%97%A5%E6%9C%AC", "%E6%97%A5%E6%9C%AC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc strings.Builder
			doc.WriteString("<!DOCTYPE html><html><head>")
			if tt.meta {
				fmt.Fprintf(&doc, `<meta charset="%s">`, tt.charset)
			}
			fmt.Fprintf(&doc, `</head><body><p>%s</p><img src="/img/%s.png?q=%s" alt="%s"></body></html>`, tt.text, tt.text, tt.text, tt.text)
			raw, err := tt.enc.NewEncoder().String(doc.String())
			if err != nil {
				t.Fatal(err)
			}
			r, cs, err := parse.Decode(strings.NewReader(raw), tt.ctype)
			if err != nil {
				t.Fatal(err)
			}
			if cs != tt.charset {
				t.Errorf("Decode charset = %q, want %q", cs, tt.charset)
			}
			imgs, err := parse.Images(r, page, parse.Options{Charset: cs})
			if err != nil {
				t.Fatal(err)
			}
			want := "http://example.com/img/" + tt.path + ".png?q=" + tt.query
			if len(imgs) != 1 || imgs[0].URL != want || imgs[0].Alt != tt.text {
				t.Errorf("Images = %+v, want one image %q with alt %q", imgs, want, tt.text)
			}
		})
	}
}

// TestDecode checks the precedence of the charset sources (HOSTILE.md N4).
func TestDecode(t *testing.T) {
	pad := strings.Repeat(" ", 1100)
	tests := []struct {
		name, ctype, doc, want string
	}{
		{"default", "", "<p>x</p>", "utf-8"},
		{"meta charset", "", `<meta charset="shift_jis">`, "shift_jis"},
		{"meta http-equiv", "", `<meta http-equiv="Content-Type" content="text/html; charset=euc-kr">`, "euc-kr"},
		{"header over meta", "text/html; charset=windows-1251", `<meta charset="shift_jis">`, "windows-1251"},
		{"meta after 1024 bytes", "", pad + `<meta charset="shift_jis">`, "utf-8"},
		{"meta in a comment", "", `<!-- <meta charset="shift_jis"> -->`, "utf-8"},
		{"unknown label", "text/html; charset=x-unknown", `<meta charset="also-unknown">`, "utf-8"},
		{"utf-7 unsupported", "text/html; charset=utf-7", "", "utf-8"},
		{"meta utf-16 is utf-8", "", `<meta charset="utf-16">`, "utf-8"},
		{"iso-2022-jp", "", `<meta charset="iso-2022-jp">`, "iso-2022-jp"},
		{"not html: meta ignored", "text/plain", `<meta charset="shift_jis">`, "utf-8"},
		{"bom wins", "text/html; charset=shift_jis", "\xef\xbb\xbf<meta charset=euc-kr>", "utf-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, cs, err := parse.Decode(strings.NewReader(tt.doc), tt.ctype)
			if err != nil || cs != tt.want {
				t.Errorf("Decode(%.40q, %q) = %q, %v; want %q", tt.doc, tt.ctype, cs, err, tt.want)
			}
		})
	}
}

// TestImagesIPHosts checks that IP address hosts come out as a browser
// writes them, and that a host ending in a number that is no IPv4 address
// gives no URL.
func TestImagesIPHosts(t *testing.T) {
	for _, tt := range []struct{ src, want string }{
		{"http://0x7f.1/a.png", "http://127.0.0.1/a.png"},
		{"http://0177.0.0.1/a.png", "http://127.0.0.1/a.png"},
		{"http://2130706433/a.png", "http://127.0.0.1/a.png"},
		{"http://192.168.257/a.png", "http://192.168.1.1/a.png"},
		{"http://1.2.3.4./a.png", "http://1.2.3.4/a.png"},
		{"http://0x/a.png", "http://0.0.0.0/a.png"},
		{"http://example.0x1g/a.png", "http://example.0x1g/a.png"},
		{"http://1.2.3.09/a.png", ""},
		{"http://256.0.0.1/a.png", ""},
		{"http://1.2.3.4.5/a.png", ""},
		{"http://4294967296/a.png", ""},
		{"http://99999999999999999999999/a.png", ""},
		{"http://example.1/a.png", ""},
		{"http://a../a.png", "http://a../a.png"},
		{"http://99999999999999999999a/a.png", "http://99999999999999999999a/a.png"},
		{"http://0x1ffffffffffffffffg/a.png", "http://0x1ffffffffffffffffg/a.png"},
		{"http://[0:0:0:0:0:0:0:1]/a.png", "http://[::1]/a.png"},
		{"http://[2001:DB8:0:0:1:0:0:1]:8080/a.png", "http://[2001:db8::1:0:0:1]:8080/a.png"},
		{"http://[::ffff:192.168.0.1]/a.png", "http://[::ffff:c0a8:1]/a.png"},
		{"http://[1:0::]/a.png", "http://[1::]/a.png"},
		{"http://[1:0:2::3]/a.png", "http://[1:0:2::3]/a.png"},
	} {
		imgs, err := parse.Images(strings.NewReader(`<img src="`+tt.src+`">`), page, parse.Options{})
		var got string
		if len(imgs) == 1 {
			got = imgs[0].URL
		}
		if err != nil || len(imgs) > 1 || got != tt.want {
			t.Errorf("Images(%q) = %+v, %v; want %q", tt.src, imgs, err, tt.want)
		}
	}
}

// TestImagesUnencodableQuery checks that a character the page's encoding
// cannot encode goes into a query as the WHATWG URL parser writes it: an
// HTML numeric character reference, percent-encoded whole.
func TestImagesUnencodableQuery(t *testing.T) {
	for _, tt := range []struct{ charset, src, want string }{
		{"windows-1252", "/a.png?q=&#26085;x", "http://example.com/a.png?q=%26%2326085%3Bx"},
		{"windows-1252", "/a.png?q=&#233;&#26085;&#233;", "http://example.com/a.png?q=%E9%26%2326085%3B%E9"},
		{"shift_jis", "/a.png?q=&#26085;&#54620;", "http://example.com/a.png?q=%93%FA%26%2354620%3B"},
		{"windows-1252", "/&#26085;.png", "http://example.com/%E6%97%A5.png"},
		// One switch to JIS X 0208 and back for 日本, as a browser writes it.
		{"iso-2022-jp", "/a.png?q=&#26085;&#26412;&#9731;", `http://example.com/a.png?q=%1B$BF|K\%1B(B%26%239731%3B`},
	} {
		imgs, err := parse.Images(strings.NewReader(`<img src="`+tt.src+`">`), page, parse.Options{Charset: tt.charset})
		if err != nil || len(imgs) != 1 || imgs[0].URL != tt.want {
			t.Errorf("Images(%q in %s) = %+v, %v; want %q", tt.src, tt.charset, imgs, err, tt.want)
		}
	}
}

// TestImagesCSSQueryUTF8: CSS's url(), in <style> and in style="", is
// parsed as UTF-8 whatever the page's encoding, as browsers do (WPT's
// html/infrastructure/urls/resolving-urls/query-encoding); HTML
// attributes, the legacy background= too, use the page's encoding.
func TestImagesCSSQueryUTF8(t *testing.T) {
	doc := `<style>.a{background:url(/s.png?q=å)}</style>` +
		`<div style="background-image:url(/st.png?q=&#229;)"></div>` +
		`<img src="/i.png?q=&#229;"><table background="/b.png?q=&#229;"></table>`
	imgs, err := parse.Images(strings.NewReader(doc), page, parse.Options{Charset: "windows-1252", Kinds: parse.KindImg | parse.KindCSS})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, im := range imgs {
		got[im.URL] = true
	}
	for _, want := range []string{
		"http://example.com/s.png?q=%C3%A5", "http://example.com/st.png?q=%C3%A5",
		"http://example.com/i.png?q=%E5", "http://example.com/b.png?q=%E5",
	} {
		if !got[want] {
			t.Errorf("no %s among %v", want, got)
		}
	}
}

// TestDecodeInvalid checks that invalid bytes become U+FFFD in URLs
// deterministically, as in a browser (HOSTILE.md N4).
func TestDecodeInvalid(t *testing.T) {
	for _, tt := range []struct{ ctype, doc, want string }{
		{"", "<img src=\"/a\xe2\x82.png\">", "http://example.com/a%EF%BF%BD.png"},
		{"text/html; charset=shift_jis", "<img src=\"/a\x81.png\">", "http://example.com/a%EF%BF%BD.png"},
		{"text/html; charset=iso-2022-jp", "<img src=\"/\x1b$B$\"\x1b(B.png\">", "http://example.com/%E3%81%82.png"},
	} {
		r, cs, err := parse.Decode(strings.NewReader(tt.doc), tt.ctype)
		if err != nil {
			t.Fatal(err)
		}
		imgs, err := parse.Images(r, page, parse.Options{Charset: cs})
		if err != nil || len(imgs) != 1 || imgs[0].URL != tt.want {
			t.Errorf("Images(%q as %q) = %+v, %v; want %q", tt.doc, cs, imgs, err, tt.want)
		}
	}
}

// TestImagesLimits checks the caps of HOSTILE.md N2: a partial result and
// an error matching ErrTruncated.
func TestImagesLimits(t *testing.T) {
	many := strings.Repeat(`<img src="/x.png">`, 0)
	for i := range 50 {
		many += fmt.Sprintf(`<img src="/%d.png">`, i)
	}
	t.Run("urls", func(t *testing.T) {
		imgs, err := parse.Images(strings.NewReader(many), page, parse.Options{MaxURLs: 10})
		if !errors.Is(err, parse.ErrTruncated) || len(imgs) != 10 {
			t.Errorf("Images with MaxURLs 10 = %d images, %v; want 10 and ErrTruncated", len(imgs), err)
		}
		if err != nil && !strings.Contains(err.Error(), "MaxURLs") {
			t.Errorf("error %q does not name the limit", err)
		}
	})
	t.Run("duplicates do not fill the limit", func(t *testing.T) {
		doc := strings.Repeat(`<img src="/same.png">`, 100000) + `<img src="/last.png">`
		imgs, err := parse.Images(strings.NewReader(doc), page, parse.Options{MaxURLs: 1000})
		if err != nil || len(imgs) != 2 {
			t.Errorf("Images of 100,000 copies = %d images, %v; want 2, nil", len(imgs), err)
		}
		var b strings.Builder
		for i := range 2000 {
			fmt.Fprintf(&b, `<img src="/same.png#%d">`, i)
		}
		b.WriteString(`<img src="/last.png">`)
		imgs, err = parse.Images(strings.NewReader(b.String()), page, parse.Options{MaxURLs: 1000})
		if err != nil || len(imgs) != 2 {
			t.Errorf("Images of 2,000 fragments of one image = %d images, %v; want 2, nil (as Links counts them)", len(imgs), err)
		}
	})
	t.Run("srcset candidates", func(t *testing.T) {
		var b strings.Builder
		b.WriteString(`<img srcset="`)
		for i := range 100000 {
			fmt.Fprintf(&b, "/%d.png %dw, ", i, i+1)
		}
		b.WriteString(`">`)
		imgs, err := parse.Images(strings.NewReader(b.String()), page, parse.Options{MaxURLs: 5000})
		if !errors.Is(err, parse.ErrTruncated) || len(imgs) != 5000 {
			t.Errorf("Images = %d images, %v; want 5000 and ErrTruncated", len(imgs), err)
		}
		imgs, err = parse.Images(strings.NewReader(b.String()), page, parse.Options{BestCandidate: true})
		if err != nil || len(imgs) != 1 || imgs[0].URL != "http://example.com/99999.png" {
			t.Errorf("Images best = %+v, %v; want /99999.png", imgs, err)
		}
	})
	t.Run("bytes", func(t *testing.T) {
		imgs, err := parse.Images(strings.NewReader(many), page, parse.Options{MaxBytes: 100})
		if !errors.Is(err, parse.ErrTruncated) || len(imgs) == 0 || len(imgs) > 6 {
			t.Errorf("Images with MaxBytes 100 = %d images, %v; want a few and ErrTruncated", len(imgs), err)
		}
		if _, err := parse.Images(strings.NewReader(many), page, parse.Options{MaxBytes: int64(len(many))}); err != nil {
			t.Errorf("Images with MaxBytes = len(page): %v", err)
		}
	})
	t.Run("token", func(t *testing.T) {
		doc := `<img src="/a.png"><img alt="` + strings.Repeat("x", 1<<20) + `" src="/b.png"><img src="/c.png">`
		imgs, err := parse.Images(strings.NewReader(doc), page, parse.Options{MaxTokenBytes: 64 << 10})
		if !errors.Is(err, parse.ErrTruncated) || len(imgs) != 1 || !strings.Contains(err.Error(), "MaxTokenBytes") {
			t.Errorf("Images = %d images, %v; want /a.png and ErrTruncated naming MaxTokenBytes", len(imgs), err)
		}
	})
	t.Run("token just under the token limit", func(t *testing.T) {
		// The tokenizer reads "</" past the text before it ends it; that
		// does not make the 15-byte text a token of 17 bytes.
		doc := `<p>text &amp; more</p><img src=/a.png>`
		imgs, err := parse.Images(strings.NewReader(doc), page, parse.Options{MaxTokenBytes: 17})
		if err != nil || len(imgs) != 1 {
			t.Errorf("Images with MaxTokenBytes 17 = %d images, %v; want /a.png", len(imgs), err)
		}
		imgs, err = parse.Images(strings.NewReader(doc), page, parse.Options{MaxTokenBytes: 15})
		if !errors.Is(err, parse.ErrTruncated) || len(imgs) != 0 {
			t.Errorf("Images with MaxTokenBytes 15 = %d images, %v; want ErrTruncated", len(imgs), err)
		}
	})
	t.Run("50 MB attribute", func(t *testing.T) {
		r := io.MultiReader(strings.NewReader(`<img src="/a.png"><div title="`), io.LimitReader(zeros{}, 50<<20), strings.NewReader(`">`))
		imgs, err := parse.Images(r, page, parse.Options{})
		if !errors.Is(err, parse.ErrTruncated) || len(imgs) != 1 {
			t.Errorf("Images = %d images, %v; want 1 and ErrTruncated", len(imgs), err)
		}
	})
	t.Run("10 MB data URI", func(t *testing.T) {
		doc := `<img src="data:image/png;base64,` + strings.Repeat("A", 10<<20) + `"><img src="/b.png">`
		imgs, err := parse.Images(strings.NewReader(doc), page, parse.Options{})
		if err != nil || len(imgs) != 1 || imgs[0].URL != "http://example.com/b.png" {
			t.Errorf("Images = %d images, %v; want /b.png", len(imgs), err)
		}
	})
}

// zeros reads as an endless run of "a".
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	return len(p), nil
}

// TestImagesReadError returns what was found before a read error.
func TestImagesReadError(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader(`<img src="/a.png"><img src="/b.png">`), errReader{boom})
	imgs, err := parse.Images(r, page, parse.Options{})
	if !errors.Is(err, boom) || len(imgs) != 2 {
		t.Errorf("Images = %d images, %v; want 2 and the read error", len(imgs), err)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func TestImagesPageURL(t *testing.T) {
	for _, bad := range []string{"dir/page.html", "//host/page.html", "http://h:bad/", "http://[::1/"} {
		if _, err := parse.Images(strings.NewReader(`<img src="a.png">`), bad, parse.Options{}); err == nil {
			t.Errorf("Images with page URL %q: no error", bad)
		}
	}
	// A zone no reference can resolve against is said, not an empty list.
	for _, zone := range []string{"http://[fe80::1%25lo]:8080/p.html", "HTTPS://[fe80::1%25eth0]/"} {
		if _, err := parse.Images(strings.NewReader(`<img src="a.png">`), zone, parse.Options{}); !errors.Is(err, parse.ErrZone) {
			t.Errorf("Images with page URL %q: error %v, want ErrZone", zone, err)
		}
		if _, err := parse.Links(strings.NewReader(`<a href="a.html">`), zone, parse.Options{}); !errors.Is(err, parse.ErrZone) {
			t.Errorf("Links with page URL %q: error %v, want ErrZone", zone, err)
		}
	}
	for _, ok := range []string{"http://[fe80::1]/", "file:///tmp/%25x", "http://h/%25/"} {
		if err := parse.CheckPageURL(ok); err != nil {
			t.Errorf("CheckPageURL(%q) = %v", ok, err)
		}
	}
	imgs, err := parse.Images(strings.NewReader(`<img src="a.png"><img src="https://h/b.png">`), "", parse.Options{})
	if err != nil || len(imgs) != 1 || imgs[0].URL != "https://h/b.png" {
		t.Errorf(`Images with page URL "" = %+v, %v; want only the absolute https://h/b.png`, imgs, err)
	}
}

func TestParseKinds(t *testing.T) {
	tests := []struct {
		in   string
		want parse.Kind
		err  bool
	}{
		{"img", parse.KindImg, false},
		{"img, SRCSET ,css", parse.KindImg | parse.KindSrcset | parse.KindCSS, false},
		{"all", parse.AllKinds, false},
		{"default,icon", parse.DefaultKinds | parse.KindIcon, false},
		{"", 0, true},
		{"img,,css", 0, true},
		{"pictures", 0, true},
	}
	for _, tt := range tests {
		got, err := parse.ParseKinds(tt.in)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("ParseKinds(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
	if s := (parse.AllKinds).String(); s != "img,srcset,source,lazy,css,meta,icon,preload" {
		t.Errorf("AllKinds.String() = %q", s)
	}
}

func TestLinks(t *testing.T) {
	doc := `<base href="/base/"><a href="a.html">A</a><a href="#top">top</a><a href="javascript:void(0)">js</a>` +
		`<a href="mailto:x@y">m</a><a href="b.html#sec" rel="NoFollow  external">B</a><area href="/map.html">` +
		`<link rel="stylesheet" href="/s.css"><iframe src="//other.example/f.html"></iframe><frame src="fr.html">` +
		`<a href="a.html#again">dup</a><!-- <a href="c.html"> --><template><a href="t.html"></a></template><a>no href</a><a href=" ">blank</a>`
	links, err := parse.Links(strings.NewReader(doc), page, parse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []parse.Link{
		{URL: "http://example.com/base/a.html", Raw: "a.html", Tag: "a", Attr: "href"},
		{URL: "http://example.com/base/b.html", Raw: "b.html#sec", Tag: "a", Attr: "href", Rel: "nofollow external", NoFollow: true},
		{URL: "http://example.com/map.html", Raw: "/map.html", Tag: "area", Attr: "href"},
		{URL: "http://example.com/s.css", Raw: "/s.css", Tag: "link", Attr: "href", Rel: "stylesheet"},
		{URL: "http://other.example/f.html", Raw: "//other.example/f.html", Tag: "iframe", Attr: "src"},
		{URL: "http://example.com/base/fr.html", Raw: "fr.html", Tag: "frame", Attr: "src"},
	}
	if len(links) != len(want) {
		t.Fatalf("Links = %+v\nwant %+v", links, want)
	}
	for i := range want {
		if links[i] != want[i] {
			t.Errorf("link %d = %+v, want %+v", i, links[i], want[i])
		}
	}
	// A repeat reported once takes the most followable form among its
	// occurrences (any <a> or frame before <link>, then without nofollow
	// before with it, then <a> before a frame), in the place of the
	// first; repeats equal only once resolved too.
	doc = `<link rel="next" href="/p2"><a rel="nofollow" href="/p3"><iframe src="/p4"></iframe>` +
		`<a href="/p3#x">3</a><a href="http://example.com/p2">2</a><a href="/p4" rel="nofollow">4</a><link href="/p5"><a rel="nofollow" href="/p5">`
	links, err = parse.Links(strings.NewReader(doc), page, parse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want = []parse.Link{
		{URL: "http://example.com/p2", Raw: "/p2", Tag: "a", Attr: "href"},
		{URL: "http://example.com/p3", Raw: "/p3", Tag: "a", Attr: "href"},
		{URL: "http://example.com/p4", Raw: "/p4", Tag: "iframe", Attr: "src"},
		{URL: "http://example.com/p5", Raw: "/p5", Tag: "a", Attr: "href", Rel: "nofollow", NoFollow: true},
	}
	if !slices.Equal(links, want) {
		t.Errorf("Links of repeats = %+v\nwant %+v", links, want)
	}
	// MaxURLs counts distinct references: repeats, fragments of one
	// page and schemes never reported (Data: too, KeepData or not) do
	// not fill it.
	repeats := strings.Repeat(`<a href="x">x</a><a href="y#s1"><a href="y#s2"><a href="javascript:1"><a href="mailto:a@b"><a href="Data:text/html,hi">`, 20)
	links, err = parse.Links(strings.NewReader(repeats+`<a href="z">`), page, parse.Options{MaxURLs: 3, KeepData: true})
	if err != nil || len(links) != 3 || links[2].Raw != "z" {
		t.Errorf("Links of 3 distinct among 121 with MaxURLs 3 = %+v, %v; want x, y and z", links, err)
	}
	links, err = parse.Links(strings.NewReader(strings.Repeat(`<a href="x">`, 20)), page, parse.Options{MaxURLs: 5, KeepDuplicates: true})
	if !errors.Is(err, parse.ErrTruncated) || len(links) != 5 {
		t.Errorf("Links with MaxURLs 5 = %d, %v; want 5 and ErrTruncated", len(links), err)
	}
}

func TestQuery(t *testing.T) {
	doc := `<div class="g"><img src="a.png"><img src="b.png" class="x"></div>`
	sel, err := parse.Query(strings.NewReader(doc), "div.g img.x")
	if err != nil || sel.Length() != 1 || sel.AttrOr("src", "") != "b.png" {
		t.Errorf("Query = %v, %v; want one img b.png", sel, err)
	}
	for _, bad := range []string{"div[", "img:unknown-pseudo", ">>", ""} {
		if _, err := parse.Query(strings.NewReader(doc), bad); err == nil || !strings.Contains(err.Error(), "invalid selector") {
			t.Errorf("Query(%q) error = %v, want an invalid selector error", bad, err)
		}
	}
}

// TestNilReader checks that a nil io.Reader is an error naming it, where
// Images, Links and Decode panicked and Query returned the runtime error.
func TestNilReader(t *testing.T) {
	calls := map[string]func() error{
		"Images": func() error { _, err := parse.Images(nil, page, parse.Options{}); return err },
		"Links":  func() error { _, err := parse.Links(nil, page, parse.Options{}); return err },
		"Decode": func() error { _, _, err := parse.Decode(nil, "text/html"); return err },
		"Query":  func() error { _, err := parse.Query(nil, "img"); return err },
	}
	for name, call := range calls {
		if err := call(); err == nil || err.Error() != "parse: no page to read: the io.Reader is nil" {
			t.Errorf("%s(nil) = %v, want the nil reader named", name, err)
		}
	}
}
