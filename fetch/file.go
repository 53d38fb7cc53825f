package fetch

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/grabhq/grab/internal/filekind"
	"github.com/grabhq/grab/urlx"
)

// openFile opens a file: URL, as urllib's FileHandler: a regular file
// only (a directory, device or FIFO is refused before it is opened, and
// checked again once open), read-only, with Content-Type guessed from the
// extension, Content-Length and Last-Modified. The path is the URL's
// percent-decoded path, cleaned (HOSTILE.md I2-I4).
func openFile(req *Request, u *url.URL, maxBody int64) (*Response, error) {
	method := req.GetMethod()
	fail := func(err error) (*Response, error) { return nil, urlError(method, req.URL, err) }
	if method != http.MethodGet && method != http.MethodHead {
		return fail(invalid("file: URLs take GET or HEAD, not %s", method))
	}
	if req.Data != nil || req.Body != nil {
		return fail(invalid("file: URLs take no request body"))
	}
	name := filepath.Clean(filepath.FromSlash(u.Path))
	fi, err := os.Stat(name)
	if err != nil {
		return fail(err)
	}
	if !fi.Mode().IsRegular() {
		return fail(fmt.Errorf("%w: %s is a %s", ErrNotRegular, name, filekind.Name(fi.Mode())))
	}
	f, err := openNonblock(name)
	if err != nil {
		return fail(err)
	}
	if fi, err = f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		if err == nil {
			err = fmt.Errorf("%w: %s changed into a %s", ErrNotRegular, name, filekind.Name(fi.Mode()))
		}
		return fail(err)
	}
	h := http.Header{}
	h.Set("Content-Type", filekind.ContentType(name)) // no charset: a page's <meta> tells it, as in urllib
	h.Set("Content-Length", strconv.FormatInt(fi.Size(), 10))
	h.Set("Last-Modified", fi.ModTime().UTC().Format(http.TimeFormat))
	var body io.ReadCloser = f
	if method == http.MethodHead {
		f.Close()
		body = http.NoBody
	}
	return &Response{
		URL: (&url.URL{Scheme: "file", Path: u.Path}).String(), Method: method,
		StatusCode: http.StatusOK, Status: "200 OK", Reason: "OK",
		Header: h, ContentLength: fi.Size(), Body: body, maxBody: maxBody,
	}, nil
}

// openData opens a data: URL (RFC 2397), as urllib's DataHandler: the
// media type defaults to text/plain;charset=US-ASCII, the data is
// percent-decoded, then base64-decoded when the URL says ";base64".
func openData(req *Request, u *url.URL, maxBody int64) (*Response, error) {
	method := req.GetMethod()
	fail := func(err error) (*Response, error) { return nil, urlError(method, req.URL, err) }
	if method != http.MethodGet && method != http.MethodHead {
		return fail(invalid("data: URLs take GET or HEAD, not %s", method))
	}
	meta, data, ok := strings.Cut(u.Opaque, ",")
	if !ok {
		return fail(invalid("data: URL without a comma"))
	}
	b := urlx.UnquoteBytes(data)
	// Base64 when the media type ends in ";base64", in any case (WHATWG's
	// data: URL processor; CPython's match is case-sensitive):
	// "data:base64,..." is not.
	if n := len(meta) - len(";base64"); n >= 0 && strings.EqualFold(meta[n:], ";base64") {
		meta = meta[:n]
		clean := bytes.Map(func(r rune) rune {
			if r == ' ' || r == '\t' || r == '\n' || r == '\r' {
				return -1
			}
			return r
		}, b)
		dec, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(string(clean), "="))
		if err != nil {
			return fail(invalid("data: URL: bad base64: %w", err))
		}
		b = dec
	}
	// RFC 2397: no media type is text/plain;charset=US-ASCII, and
	// ";charset=utf-8" alone is text/plain with that charset.
	typ, _, _ := strings.Cut(meta, ";")
	switch {
	case meta == "" || strings.HasPrefix(meta, ";"):
		if hasCharset(meta) {
			meta = "text/plain" + meta
		} else {
			meta = "text/plain;charset=US-ASCII" + meta
		}
	case !strings.Contains(typ, "/"):
		meta = "text/plain;charset=US-ASCII" // not a media type ("data:base64,..."), as WHATWG's
	}
	h := http.Header{}
	h.Set("Content-Type", meta)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	var body io.ReadCloser = io.NopCloser(bytes.NewReader(b))
	if method == http.MethodHead {
		body = http.NoBody
	}
	return &Response{
		URL: "data:" + u.Opaque, Method: method,
		StatusCode: http.StatusOK, Status: "200 OK", Reason: "OK",
		Header: h, ContentLength: int64(len(b)), Body: body, maxBody: maxBody,
	}, nil
}

// hasCharset reports whether the ";"-separated parameters params name a
// charset.
func hasCharset(params string) bool {
	for p := range strings.SplitSeq(params, ";") {
		name, _, _ := strings.Cut(p, "=")
		if strings.EqualFold(strings.TrimSpace(name), "charset") {
			return true
		}
	}
	return false
}
