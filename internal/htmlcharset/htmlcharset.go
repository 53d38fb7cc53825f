// Package htmlcharset chooses the character encoding of an HTML body the way
// a browser does, for the packages that decode pages (fetch and parse), so
// that both read a page alike.
//
// The order is the WHATWG encoding sniffing algorithm's: a byte order mark,
// then the charset parameter of the Content-Type, then (for HTML, or when
// the type is unknown) a <meta charset> or <meta http-equiv="Content-Type">
// in the first [PrescanBytes] bytes, then the encoding of an XML
// declaration at the start (`<?xml version="1.0" encoding="..."?>`), then
// UTF-8. For application/xhtml+xml, which a browser reads with an XML
// parser, the XML declaration comes before the <meta>. Labels are WHATWG labels
// (golang.org/x/net/html/charset): "latin1" and "iso-8859-1" mean
// windows-1252, "utf-16" means UTF-16LE; an unknown label is ignored; UTF-7
// is not supported (HOSTILE.md N4). A <meta> cannot declare UTF-16 (a
// document that reads its own declaration in ASCII is not UTF-16: UTF-8 is
// used), and x-user-defined declared in a <meta> means windows-1252.
package htmlcharset

import (
	"bytes"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"
	"golang.org/x/net/http/httpguts"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/unicode"

	"github.com/grabhq/grab/internal/httpsyntax"
)

// PrescanBytes is how much of an HTML document the <meta> prescan reads,
// as the WHATWG encoding sniffing algorithm does.
const PrescanBytes = 1024

// Result is the encoding chosen for a body and why.
type Result struct {
	Encoding encoding.Encoding // never nil
	Name     string            // WHATWG name: "utf-8", "euc-kr", "shift_jis", "windows-1252", "utf-16le", ...
	Source   string            // "bom", "header", "meta", "xml" (an XML declaration) or "default"
	BOM      int               // bytes of byte order mark at the start of the body, to skip
}

// Detect chooses the encoding of a body from its first bytes (at least
// PrescanBytes of them when the body is that long) and its Content-Type.
func Detect(head []byte, contentType string) Result {
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		return Result{unicode.UTF8, "utf-8", "bom", 3}
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return Result{unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), "utf-16be", "bom", 2}
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		return Result{unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), "utf-16le", "bom", 2}
	}
	mediatype, label := parseMIME(contentType)
	if label != "" {
		if e, name := charset.Lookup(label); e != nil {
			return Result{e, name, "header", 0}
		}
	}
	if mediatype == "" || mediatype == "text/html" || mediatype == "application/xhtml+xml" {
		xe, xname := xmlEncoding(head)
		if xe != nil && mediatype == "application/xhtml+xml" {
			return Result{xe, xname, "xml", 0} // an XML parser reads it, not a <meta>
		}
		if e, name := prescan(head); e != nil {
			e, name = declared(e, name)
			return Result{e, name, "meta", 0}
		}
		// Without a <meta>, the XML declaration's encoding, as Blink and
		// WebKit read it and WHATWG has it since 2021.
		if xe != nil {
			return Result{xe, xname, "xml", 0}
		}
	}
	return Result{unicode.UTF8, "utf-8", "default", 0}
}

// declared maps an encoding a document declares in itself to the one it
// is read in: a document that reads its own declaration in ASCII is not
// UTF-16 (UTF-8 is used), and x-user-defined means windows-1252.
func declared(e encoding.Encoding, name string) (encoding.Encoding, string) {
	switch {
	case strings.HasPrefix(name, "utf-16"):
		return unicode.UTF8, "utf-8"
	case name == "x-user-defined":
		return charset.Lookup("windows-1252")
	}
	return e, name
}

// xmlEncoding returns the encoding an XML declaration at the start of head
// names (`<?xml version="1.0" encoding="ISO-8859-2"?>`), or nil: WHATWG's
// "get an XML encoding".
func xmlEncoding(head []byte) (encoding.Encoding, string) {
	if len(head) > PrescanBytes {
		head = head[:PrescanBytes]
	}
	if !bytes.HasPrefix(head, []byte("<?xml")) {
		return nil, ""
	}
	end := bytes.IndexByte(head, '>')
	if end < 0 {
		return nil, ""
	}
	decl := head[:end]
	i := bytes.Index(decl, []byte("encoding"))
	if i < 0 {
		return nil, ""
	}
	space := func(r rune) bool { return r <= ' ' }
	rest := bytes.TrimLeftFunc(decl[i+len("encoding"):], space)
	if len(rest) == 0 || rest[0] != '=' {
		return nil, ""
	}
	rest = bytes.TrimLeftFunc(rest[1:], space)
	if len(rest) == 0 || rest[0] != '"' && rest[0] != '\'' {
		return nil, ""
	}
	q := rest[0]
	label, _, ok := bytes.Cut(rest[1:], []byte{q})
	if !ok || bytes.ContainsFunc(label, space) {
		return nil, ""
	}
	e, name := charset.Lookup(string(label))
	if e == nil {
		return nil, ""
	}
	return declared(e, name)
}

// prescan returns the encoding, and its name, that a <meta> element
// declares in the first PrescanBytes bytes of an HTML document, or nil.
func prescan(head []byte) (encoding.Encoding, string) {
	if len(head) > PrescanBytes {
		head = head[:PrescanBytes]
	}
	z := html.NewTokenizer(bytes.NewReader(head))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return nil, ""
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			if string(name) != "meta" || !hasAttr {
				continue
			}
			var content, cs string
			httpEquiv, hasCharset := false, false
			for {
				k, v, more := z.TagAttr()
				switch string(k) {
				case "charset":
					cs, hasCharset = string(v), true
				case "content":
					content = string(v)
				case "http-equiv":
					httpEquiv = strings.EqualFold(string(v), "content-type")
				}
				if !more {
					break
				}
			}
			// A label that names no encoding is a failure, after which
			// the prescan goes on to the next <meta> (WHATWG).
			if hasCharset { // charset="" too
				if e, name := charset.Lookup(cs); e != nil {
					return e, name
				}
				continue
			}
			if httpEquiv {
				if label := fromContent(content); label != "" {
					if e, name := charset.Lookup(label); e != nil {
						return e, name
					}
				}
			}
		}
	}
}

// fromContent extracts the charset from a <meta content> value such as
// "text/html; charset=euc-kr", as the WHATWG algorithm does, or "".
func fromContent(s string) string {
	for {
		i := strings.Index(strings.ToLower(s), "charset")
		if i < 0 {
			return ""
		}
		s = strings.TrimLeft(s[i+len("charset"):], " \t\n\f\r")
		if !strings.HasPrefix(s, "=") {
			continue
		}
		s = strings.TrimLeft(s[1:], " \t\n\f\r")
		if s == "" {
			return ""
		}
		if q := s[0]; q == '"' || q == '\'' {
			if j := strings.IndexByte(s[1:], q); j >= 0 {
				return s[1 : j+1]
			}
			return ""
		}
		if j := strings.IndexAny(s, " \t\n\f\r;"); j >= 0 {
			return s[:j]
		}
		return s
	}
}

// parseMIME returns the lower-cased type/subtype of a Content-Type value and
// its first charset parameter, read as the WHATWG "parse a MIME type"
// algorithm reads them: a parameter without "=", one with an invalid name
// or value, a repeated one and an unclosed quote do not lose the charset
// (mime.ParseMediaType refuses the whole value for any of them). An
// invalid type/subtype gives "" and "", as it does in a browser.
func parseMIME(s string) (mediatype, charsetLabel string) {
	s = strings.Trim(s, httpSpace)
	// Type and subtype are HTTP tokens, which is what a valid header
	// field name is.
	slash := strings.IndexByte(s, '/')
	if slash < 0 || !httpguts.ValidHeaderFieldName(s[:slash]) {
		return "", ""
	}
	end := slash + 1 + strings.IndexByte(s[slash+1:]+";", ';')
	sub := strings.TrimRight(s[slash+1:end], httpSpace)
	if !httpguts.ValidHeaderFieldName(sub) {
		return "", ""
	}
	mediatype = strings.ToLower(s[:slash] + "/" + sub)
	for i := end; i < len(s); {
		i++ // the ';'
		for i < len(s) && strings.IndexByte(httpSpace, s[i]) >= 0 {
			i++
		}
		j := i
		for j < len(s) && s[j] != ';' && s[j] != '=' {
			j++
		}
		name := strings.ToLower(s[i:j])
		if i = j; i == len(s) || s[i] == ';' {
			continue
		}
		i++ // the '='
		var value string
		if i < len(s) && s[i] == '"' {
			value, i = httpsyntax.Quoted(s, i)
			for i < len(s) && s[i] != ';' {
				i++
			}
		} else {
			j = i
			for j < len(s) && s[j] != ';' {
				j++
			}
			value, i = strings.TrimRight(s[i:j], httpSpace), j
			if value == "" {
				continue
			}
		}
		// The first valid charset parameter is the one: a repeat of a
		// name counts only when the first was invalid (WHATWG keeps the
		// first valid one).
		// HTTP quoted-string token code points: tab, space to "~", and
		// bytes from 0x80 (a header value's bytes).
		if name == "charset" && httpguts.ValidHeaderFieldValue(value) {
			return mediatype, value
		}
	}
	return mediatype, ""
}

// httpSpace is the WHATWG's HTTP whitespace.
const httpSpace = " \t\n\r"
