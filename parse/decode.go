package parse

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"github.com/grabhq/grab/internal/htmlcharset"
	"golang.org/x/text/transform"
)

// errNoReader is the error of a nil io.Reader given as the page.
var errNoReader = errors.New("parse: no page to read: the io.Reader is nil")

// Decode returns r decoded to UTF-8 and the WHATWG name of the encoding it
// was read in ("utf-8", "windows-1252", "shift_jis", "euc-kr",
// "utf-16le", ...), chosen as a browser chooses it: a byte order mark,
// then the charset of contentType (the Content-Type header; "" if none),
// then a <meta charset> or <meta http-equiv="Content-Type"> in the first
// 1024 bytes (for HTML or an unknown type), then UTF-8. Labels are read
// as golang.org/x/net/html/charset reads them ("latin1" is windows-1252;
// an unknown label is ignored; UTF-7 is not supported); a byte order mark
// is removed; bytes invalid in the encoding become U+FFFD (invalid UTF-8
// passes through the reader, and Images and Links replace it in what they
// report). It is the rule fetch's Response.Text and TextReader follow.
//
// Decode reads the first 1024 bytes of r before it returns; the error is
// that of reading them. Pass the name to Options.Charset, so that queries
// are percent-encoded in the page's encoding as a browser does.
func Decode(r io.Reader, contentType string) (io.Reader, string, error) {
	if r == nil {
		return nil, "", errNoReader
	}
	br := bufio.NewReaderSize(r, htmlcharset.PrescanBytes)
	head, err := br.Peek(htmlcharset.PrescanBytes)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, "", fmt.Errorf("parse: reading the page: %w", err)
	}
	cs := htmlcharset.Detect(head, contentType)
	if cs.BOM > 0 {
		br.Discard(cs.BOM)
	}
	if cs.Name == "utf-8" {
		// Invalid UTF-8 passes through, and Images and Links replace it
		// with U+FFFD in what they report, as the WHATWG decoder would;
		// skipping the transform keeps the common case fast.
		return br, cs.Name, nil
	}
	return transform.NewReader(br, cs.Encoding.NewDecoder()), cs.Name, nil
}
