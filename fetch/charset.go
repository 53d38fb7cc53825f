package fetch

import (
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/unicode"

	"github.com/grabhq/grab/internal/htmlcharset"
)

// prescanBytes is how much of an HTML document the <meta> prescan reads,
// as the WHATWG encoding sniffing algorithm does.
const prescanBytes = htmlcharset.PrescanBytes

// Charset is the character encoding chosen for a body and why.
type Charset struct {
	Name   string // WHATWG name: "utf-8", "euc-kr", "shift_jis", "windows-1252", "utf-16le", ...
	Source string // "bom", "header", "meta", "xml" (an XML declaration) or "default"
	enc    encoding.Encoding
	bom    int // bytes of byte order mark to skip
}

// DetectCharset chooses the encoding of a body from its first bytes and
// its Content-Type, in the WHATWG order: a byte order mark, then the
// Content-Type charset, then (for HTML, or when the type is unknown) a
// <meta charset> or <meta http-equiv="Content-Type"> in the first 1024
// bytes, then an XML declaration's encoding (first for
// application/xhtml+xml, which browsers read as XML), then UTF-8. Labels
// are WHATWG labels: "latin1" and "iso-8859-1" mean windows-1252,
// "utf-16" means UTF-16LE; an unknown label is ignored; UTF-7 is not
// supported (HOSTILE.md N4).
func DetectCharset(head []byte, contentType string) Charset {
	r := htmlcharset.Detect(head, contentType)
	return Charset{Name: r.Name, Source: r.Source, enc: r.Encoding, bom: r.BOM}
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
