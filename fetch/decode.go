package fetch

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/zstd"
)

// acceptEncoding is what fetch asks for when it decodes bodies itself.
const acceptEncoding = "gzip, deflate, br, zstd"

// zstdMaxWindow is the largest zstd window fetch accepts, as RFC 8878 §3
// asks of HTTP clients (8 MiB), so a frame cannot demand gigabytes.
const zstdMaxWindow = 8 << 20

// contentCodings returns the content codings of h in the order they were
// applied, lower-cased, "identity" left out, from every Content-Encoding
// field (HOSTILE.md F2: a chain spread over many fields counts whole).
func contentCodings(h http.Header) []string {
	var out []string
	for _, v := range h.Values("Content-Encoding") {
		for c := range strings.SplitSeq(v, ",") {
			c = strings.ToLower(strings.TrimSpace(c))
			if c == "" || c == "identity" {
				continue
			}
			if c == "x-gzip" {
				c = "gzip"
			}
			out = append(out, c)
		}
	}
	return out
}

// known reports whether fetch can decode every coding.
func known(codings []string) bool {
	for _, c := range codings {
		switch c {
		case "gzip", "deflate", "br", "zstd":
		default:
			return false
		}
	}
	return true
}

// decoded is a body decoded through a chain of decompressors, the last
// coding applied first undone, with a cap on the bytes it yields. Each
// decompressor starts on the first Read, so nothing is read before the
// caller asks; memory stays that of the decoders' windows (HOSTILE.md F3).
type decoded struct {
	raw     io.ReadCloser
	codings []string
	max     int64
	r       io.Reader
	n       int64
	err     error

	// Close may come from another goroutine while Read waits (to abort
	// it, as net/http allows): it closes raw at once, and the decoders
	// (a zstd one holds goroutines) as soon as no Read is running.
	mu      sync.Mutex
	reading bool
	closed  bool
	closers []io.Closer
}

// errReadClosed is what Read returns once the body is closed, whatever
// the decoder made of the raw body's end.
var errReadClosed = errors.New("fetch: read on closed body")

func newDecoded(raw io.ReadCloser, codings []string, max int64) *decoded {
	return &decoded{raw: raw, codings: codings, max: max}
}

func (d *decoded) init() error {
	// An empty body decodes to an empty body, whatever its codings say
	// (a 200 or 302 with Content-Encoding: gzip and nothing after the
	// head), as curl, browsers and urllib3 take it.
	var first [1]byte
	n, err := io.ReadFull(d.raw, first[:])
	if err == io.EOF {
		d.r = strings.NewReader("")
		return nil
	}
	if err != nil {
		return err
	}
	var r io.Reader = io.MultiReader(bytes.NewReader(first[:n]), d.raw)
	for i := len(d.codings) - 1; i >= 0; i-- {
		c := d.codings[i]
		next, err := decoder(c, r)
		if err != nil {
			return codingError(c, err)
		}
		if cl, ok := next.(io.Closer); ok {
			d.closers = append(d.closers, cl) // in Read: Close leaves them to it
		}
		r = &codingErr{c, next}
	}
	d.r = r
	return nil
}

func decoder(coding string, r io.Reader) (io.Reader, error) {
	switch coding {
	case "gzip":
		return gzip.NewReader(r)
	case "deflate":
		// RFC 9110 deflate is zlib-wrapped; some servers send raw deflate.
		br := bufio.NewReader(r)
		if h, err := br.Peek(2); err == nil && h[0]&0x0f == 8 && (uint16(h[0])<<8|uint16(h[1]))%31 == 0 {
			z, err := zlib.NewReader(br)
			if err != nil {
				return nil, err
			}
			return &deflateEnd{z, br}, nil
		}
		return &deflateEnd{flate.NewReader(br), br}, nil
	case "br":
		return brotli.NewReader(r), nil
	case "zstd":
		z, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(zstdMaxWindow), zstd.WithDecoderLowmem(true))
		if err != nil {
			return nil, err
		}
		return zstdCloser{z}, nil
	}
	return nil, fmt.Errorf("unsupported content coding %q", coding)
}

// deflateEnd refuses bytes after a deflate stream's end, as gzip, br and
// zstd's readers do (flate and zlib stop reading at the end).
type deflateEnd struct {
	io.ReadCloser
	br *bufio.Reader // under the decoder
}

func (d *deflateEnd) Read(p []byte) (int, error) {
	n, err := d.ReadCloser.Read(p)
	if err == io.EOF {
		if _, perr := d.br.Peek(1); perr == nil {
			return n, errors.New("deflate: data after the end of the stream")
		}
	}
	return n, err
}

type zstdCloser struct{ *zstd.Decoder }

func (z zstdCloser) Close() error { z.Decoder.Close(); return nil }

// codingErr names the coding in a decoder's own errors (corrupt data), and
// passes the body's errors (a truncated body, a timeout) through as they are.
type codingErr struct {
	coding string
	r      io.Reader
}

// codingError wraps a decoder's err as ErrBadEncoding, naming the coding
// unless err does already ("gzip: invalid checksum").
func codingError(coding string, err error) error {
	if strings.HasPrefix(err.Error(), coding+": ") {
		return fmt.Errorf("%w: %w", ErrBadEncoding, err)
	}
	return fmt.Errorf("%w: %s: %w", ErrBadEncoding, coding, err)
}

func (c *codingErr) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err != nil && err != io.EOF && !passThrough(err) {
		err = codingError(c.coding, err)
	}
	return n, err
}

// passThrough reports errors that come from below the decoders.
func passThrough(err error) bool {
	var te *TruncatedError
	var to *TimeoutError
	var de *decodeLimit
	return errors.As(err, &te) || errors.As(err, &to) || errors.As(err, &de) || errors.Is(err, ErrBadEncoding)
}

type decodeLimit struct{ max int64 }

func (e *decodeLimit) Error() string {
	return fmt.Sprintf("%v (%d bytes)", ErrDecodedTooLarge, e.max)
}
func (e *decodeLimit) Unwrap() error { return ErrDecodedTooLarge }

func (d *decoded) Read(p []byte) (n int, err error) {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return 0, errReadClosed
	}
	d.reading = true
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		d.reading = false
		if d.closed {
			n, err = 0, errReadClosed
			d.closeDecoders()
		}
		d.mu.Unlock()
	}()
	if d.err != nil {
		return 0, d.err
	}
	if d.r == nil {
		if err := d.init(); err != nil {
			d.err = err
			return 0, err
		}
	}
	if d.max > 0 && int64(len(p)) > d.max-d.n+1 {
		p = p[:d.max-d.n+1]
	}
	n, err = d.r.Read(p)
	d.n += int64(n)
	if d.max > 0 && d.n > d.max {
		n -= int(d.n - d.max)
		d.n = d.max
		err = &decodeLimit{d.max}
	}
	if err == io.EOF {
		// Read the raw body to its end too, so the connection can be reused.
		io.CopyN(io.Discard, d.raw, 4<<10)
	}
	if err != nil {
		d.err = err
	}
	return n, err
}

func (d *decoded) Close() error {
	d.mu.Lock()
	d.closed = true
	if !d.reading {
		d.closeDecoders()
	}
	d.mu.Unlock()
	return d.raw.Close()
}

// closeDecoders closes the decoders once; d.mu is held.
func (d *decoded) closeDecoders() {
	for _, c := range d.closers {
		c.Close()
	}
	d.closers = nil
}
