package fetch

import (
	"bytes"
	"mime"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/unicode"
)

// prescanBytes is how much of an HTML document the <meta> prescan reads,
// as the WHATWG encoding sniffing algorithm does.
const prescanBytes = 1024

// Charset is the character encoding chosen for a body and why.
type Charset struct {
	Name   string // WHATWG name: "utf-8", "euc-kr", "shift_jis", "windows-1252", "utf-16le", ...
	Source string // "bom", "header", "meta" or "default"
	enc    encoding.Encoding
	bom    int // bytes of byte order mark to skip
}

// DetectCharset chooses the encoding of a body from its first bytes and
// its Content-Type, in the WHATWG order: a byte order mark, then the
// Content-Type charset, then (for HTML, or when the type is unknown) a
// <meta charset> or <meta http-equiv="Content-Type"> in the first 1024
// bytes, then UTF-8. Labels are WHATWG labels: "latin1" and "iso-8859-1"
// mean windows-1252, "utf-16" means UTF-16LE; an unknown label is ignored;
// UTF-7 is not supported (HOSTILE.md N4).
func DetectCharset(head []byte, contentType string) Charset {
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		return Charset{Name: "utf-8", Source: "bom", enc: unicode.UTF8, bom: 3}
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return Charset{Name: "utf-16be", Source: "bom", enc: unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), bom: 2}
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		return Charset{Name: "utf-16le", Source: "bom", enc: unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), bom: 2}
	}
	mediatype, params, _ := mime.ParseMediaType(contentType)
	if label := params["charset"]; label != "" {
		if e, name := charset.Lookup(label); e != nil {
			return Charset{Name: name, Source: "header", enc: e}
		}
	}
	if mediatype == "" || mediatype == "text/html" || mediatype == "application/xhtml+xml" {
		if label := prescan(head); label != "" {
			if e, name := charset.Lookup(label); e != nil {
				// A document cannot declare itself UTF-16 in ASCII bytes.
				if strings.HasPrefix(name, "utf-16") {
					return Charset{Name: "utf-8", Source: "meta", enc: unicode.UTF8}
				}
				if name == "x-user-defined" {
					e, name = charset.Lookup("windows-1252")
				}
				return Charset{Name: name, Source: "meta", enc: e}
			}
		}
	}
	return Charset{Name: "utf-8", Source: "default", enc: unicode.UTF8}
}

// prescan returns the charset label a <meta> element declares in the first
// 1024 bytes of an HTML document, or "".
func prescan(head []byte) string {
	if len(head) > prescanBytes {
		head = head[:prescanBytes]
	}
	z := html.NewTokenizer(bytes.NewReader(head))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			if string(name) != "meta" || !hasAttr {
				continue
			}
			var content, cs string
			httpEquiv := false
			for {
				k, v, more := z.TagAttr()
				switch string(k) {
				case "charset":
					cs = string(v)
				case "content":
					content = string(v)
				case "http-equiv":
					httpEquiv = strings.EqualFold(string(v), "content-type")
				}
				if !more {
					break
				}
			}
			if cs != "" {
				return cs
			}
			if httpEquiv {
				if label := charsetFromContent(content); label != "" {
					return label
				}
			}
		}
	}
}

// charsetFromContent extracts the charset from a <meta content> value such
// as "text/html; charset=euc-kr", as the WHATWG algorithm does.
func charsetFromContent(s string) string {
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

// Decode returns b decoded to UTF-8 by c, its byte order mark removed;
// invalid bytes become U+FFFD.
func (c Charset) Decode(b []byte) (string, error) {
	b = b[min(c.bom, len(b)):]
	out, err := c.encoding().NewDecoder().Bytes(b)
	return string(out), err
}

func (c Charset) encoding() encoding.Encoding {
	if c.enc == nil {
		return unicode.UTF8
	}
	return c.enc
}
