// Package urlx splits, joins, quotes and unquotes URLs and parses query
// strings exactly as CPython 3.11's urllib.parse does, for Go programs that
// must agree with Python code, or that want urllib's forgiving reading of
// real-world URLs rather than net/url's strict one.
//
//	r, err := urlx.Split("http://www.python.org:80/guido/python.html;philosophy?overall=3#n10")
//	// r.Scheme "http", r.Netloc "www.python.org:80", r.Path "/guido/python.html;philosophy",
//	// r.Query "overall=3", r.Fragment "n10"; r.Hostname() "www.python.org"; r.Port() 80
//	u, err := urlx.Join("http://a/b/c/d;p?q", "../g") // "http://a/b/g"
//	q := urlx.Quote("/path/x y", "/")                 // "/path/x%20y"
//	pairs, err := urlx.ParseQSL("a=1&a=2&b=x+y", false) // [{a 1} {a 2} {b x y}]
//
// Each function names its CPython counterpart: Split is urlsplit, Parse
// urlparse, Unsplit urlunsplit, Unparse urlunparse, Join urljoin, Defrag
// urldefrag, Quote quote, QuotePlus quote_plus, Unquote unquote,
// UnquotePlus unquote_plus, ParseQSL parse_qsl, ParseQS parse_qs and Encode
// urlencode. [Options] and [QueryOptions] carry the optional arguments
// (scheme, allow_fragments; keep_blank_values, strict_parsing, separator,
// max_num_fields); their zero values are CPython's defaults. Where CPython
// returns None, the accessors return ok=false; where it raises ValueError,
// they return an [*Error] that names what was wrong and where.
//
// The package is checked against CPython 3.11.7's own answers to 34,030
// calls (testdata/urlx_cpython.json.gz): every call with a Go form passes.
// That includes what ports of urllib usually get wrong: urljoin's dropping
// of empty path segments, "http:g" as a relative reference, schemes outside
// uses_relative, and empty "?" and "#"; leading C0 and space stripping and
// the removal of tab, CR and LF anywhere (CPython 3.11.4 and later);
// Port's lazy, strict reading ("+80", "65536" and non-ASCII digits fail only
// there); the validation of bracketed hosts; the NFKC check of non-ASCII
// netlocs; host lower-casing as Python's str.lower does it (İ and final
// sigma included); unquote's one U+FFFD per maximal invalid UTF-8 subpart;
// and parse_qsl's splitting on "&" only with "+" read as a space.
//
// # Deliberate differences from CPython 3.11.7
//
// Where CPython's behaviour is unsafe or has no Go meaning, urlx differs,
// on purpose and under test:
//
//   - Bracketed netlocs follow the CVE-2025-0938 fix of CPython 3.11.12 and
//     later: text before "[" or between "]" and ":" is an error, and so are
//     brackets only in the userinfo when the host is not an IP literal.
//   - A URL longer than [MaxLength] (1 MiB) is an error matching
//     [ErrTooLong]; CPython has no limit.
//   - A query with more than [DefaultMaxFields] (10,000) fields is an error
//     matching [ErrTooManyFields], as in net/url; CPython reads any number
//     unless given max_num_fields. [QueryOptions].MaxFields changes it.
//   - Strings are bytes: Quote encodes a string that is not valid UTF-8
//     byte by byte where CPython raises on a lone surrogate, and Unquote
//     passes such bytes through. Only UTF-8 is offered as the encoding.
//   - Encode takes ordered pairs of strings: urlencode's dict and doseq
//     forms are pairs with repeated keys; Python's str() of other values
//     has no Go form.
//
// # Go additions
//
// [Validate] refuses the controls, spaces and DEL that Split would silently
// strip, naming the character and its offset, for clients that must send
// exactly the URL they were given. [SplitResult.ASCIIHostname] gives the
// IDNA form of the host that net/http dials. [SplitResult.URL] converts to a
// *url.URL and refuses when net/url would dial a different host from the one
// urlx reports; [FromURL] converts back. Every function is safe for
// concurrent use and runs in time linear in its input.
package urlx
