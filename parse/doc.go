// Package parse finds the images and links of an HTML page as a browser
// sees them: the job of the textbook's parse_image.py (an HTMLParser that
// collects every <img src>), done for every kind of image a modern page
// uses, near the speed of a bare tokenizer and in bounded memory.
//
//	resp, err := fetch.Urlopen(ctx, "https://example.com/", nil)
//	...
//	body, cs, err := parse.Decode(resp, resp.Header.Get("Content-Type"))
//	imgs, err := parse.Images(body, resp.URL, parse.Options{Charset: cs})
//	for _, im := range imgs {
//		fmt.Println(im.URL) // absolute http(s), each once, in document order
//	}
//
// parse never fetches: it reads HTML from an io.Reader. Decode turns a
// body into UTF-8 by the rule browsers follow (byte order mark, then the
// Content-Type charset, then a <meta> in the first 1024 bytes, then UTF-8),
// the rule of fetch's Response.Text. A browser that finds a <meta charset>
// past the first 1024 bytes re-reads the page in that encoding; Decode
// streams and does not, so such a page is read as UTF-8 unless its
// Content-Type names the charset.
//
// # How a page is read
//
// Images and Links stream the page and build no tree, so memory does not
// grow with the page, only with the references found. They read it token
// by token exactly as golang.org/x/net/html's tokenizer does (the same
// token boundaries, raw-text elements and recovery from broken markup;
// a differential fuzz test holds the two together), through a lexer of
// their own, six times the tokenizer's speed (550-630 MB/s against 82-88
// on the benchmark page, BenchmarkLexer): it looks at each byte once,
// mostly with bytes.IndexByte, and copies no attribute name; the
// tokenizer decodes the values that hold character references. As in a
// browser, nothing in comments,
// <script>, <style>, <textarea>, <title>, <noscript>, <iframe>, <xmp> or
// <template> content counts (the tokenizer reads those as text; a template's
// content is inert); tag and attribute names are case-insensitive;
// attribute values may be quoted with " or ' or not at all; character
// references are decoded as HTML5 decodes them in attributes ("&amp;",
// "&#x2f;", "&copy" without its ";"); broken markup is read as the
// tokenizer recovers from it. A repeated attribute counts once (the first,
// as in a browser).
//
// Images reports, by Kind: <img src> (KindImg; also <input type=image>,
// <video poster>, <image> and SVG <image href>), <img srcset> candidates
// (KindSrcset), <source srcset> candidates (KindSource), the attributes of
// lazy-loading scripts (KindLazy: data-src, data-srcset, data-original,
// data-lazy-src, data-lazy-srcset, data-lazy), og:image and twitter:image
// (KindMeta); on request, CSS url() in style attributes and <style> blocks
// and the legacy background attribute of <body>, <table> and its rows and
// cells (KindCSS; not the url()s of @import or @font-face, which are no
// images; not image-set() strings), icons (KindIcon) and <link
// rel=preload as=image> href and imagesrcset (KindPreload). srcset is parsed by the HTML
// standard's algorithm: commas inside URLs are kept, and a candidate with
// invalid descriptors is dropped, as browsers drop it. <source srcset>
// counts wherever it stands (outside <picture> it has no meaning to a
// browser, and pages do not write it there).
//
// # How URLs are resolved
//
// Each reference is trimmed of surrounding whitespace, its tabs and
// newlines removed, then resolved against the document base URL with
// urlx.Join (CPython's urljoin): the href of the first <base> that has one,
// wherever it stands (the document's base URL is that element's, so a
// <base> after the images applies to them too; a browser that has already
// requested an image by then does not go back), itself resolved against
// pageURL; or pageURL when the page has no <base href>, or one that does
// not parse as an http(s) URL (a browser's base URL algorithm fails and
// keeps the page's). The result is
// written as a browser requests it: scheme and host lower-cased, the host
// in its IDNA ASCII form, an IP address host in its canonical form (an
// IPv4 host written in hex, octal or fewer parts, "0x7f.1", is
// http://127.0.0.1/; a host ending in a number that is no IPv4 address,
// "1.2.3.09", is no URL; IPv6 as the WHATWG serializer writes it,
// compressed, without a dotted IPv4 tail), a default port
// dropped, dot segments removed ("%2e" counts as "."), backslashes read as
// slashes, the characters a browser percent-encodes percent-encoded
// (non-ASCII text as UTF-8 in the path, in the page's encoding in the
// query, given by Options.Charset, but UTF-8 in a CSS url(), as CSS
// parses it; a character that encoding lacks as
// "%26%23" its decimal number "%3B"), and the fragment dropped (a browser never sends it). Only http and https URLs
// are reported: javascript: never; data: only with Options.KeepData
// (reported, never to be fetched); file:, mailto: and the rest never. A
// <base href> of another scheme (javascript:, file:) makes every relative
// reference unresolvable, and they are left out; so are they when pageURL
// is "" and there is no usable <base href>.
//
// Where urljoin and a browser differ, urljoin wins, as the issue that
// specified this package asks: an empty path segment inside a relative
// reference ("a//b") is dropped.
//
// # Duplicates and order
//
// Images and Links return references in document order. By default each
// absolute URL is reported once, where it first appears (so duplicates
// equal only after resolution, such as "/a.png" and "http://host/a.png",
// count once); Options.KeepDuplicates reports every occurrence. A link
// reported once takes the most followable form among its occurrences (an
// <a> over a <link rel=next>, one without nofollow over one with it), so
// a crawler that follows only plain <a> links misses none.
//
// # Limits
//
// Options.MaxBytes (default 128 MiB of input), MaxTokenBytes (default
// 16 MiB for one tag, comment or run of text: room for a 10 MB data: URI)
// and MaxURLs (default 100,000 distinct references) bound time and memory
// on hostile pages (HOSTILE.md N1, N2). A limit reached ends the work: the
// references found before it are returned with an error matching
// ErrTruncated, never as a silent success. The lexer's time is linear in
// its input, whatever the nesting (a token that outgrows the buffer is
// read again only as the buffer doubles); x/net/html versions with the
// fixes for the tokenizer advisories are required (go.mod), for the
// tokenizer still decodes attribute values.
//
// # Selectors
//
// Compile, Select and Query wrap goquery and cascadia for users' own CSS
// selectors: an invalid selector is an error naming it, where goquery's
// Find would match nothing without a word.
package parse
