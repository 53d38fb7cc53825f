package fetch

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"

	"golang.org/x/text/transform"

	"github.com/grabhq/grab/fetch/conn"
)

// Timings records the phases of an exchange: DNS, connect, TLS, request
// written, first byte, done. It is fetch/conn's type; over net/http's
// transport fetch fills it from httptrace (HeadWritten and BodyWritten are
// then both the time the request was written).
type Timings = conn.Timings

// Hop is one redirect a request followed.
type Hop struct {
	Method     string
	URL        string // the URL that answered with the redirect, password redacted
	StatusCode int
	Status     string
	Location   string // the Location field as received
}

// Response is an opened URL, as the object urlopen returns: the final URL
// after redirects, the status, the headers, the redirects followed, the
// timings, and the body, which streams. Read it (Response is an
// io.Reader) or call Bytes or Text, then Close it.
type Response struct {
	URL        string // final URL after redirects
	Method     string // final method (a 303 turns POST into GET)
	StatusCode int    // 200
	Status     string // "200 OK"
	Reason     string // "OK"
	Proto      string // "HTTP/1.1", "HTTP/2.0"; empty for file: and data:
	Header     http.Header
	// History lists the redirects followed to get here, in order.
	History []Hop
	// Timings of the final exchange; nil for file: and data:. Over
	// net/http's transport it holds Start, FirstByte and Done unless
	// Opener.Trace is set; over fetch/conn's, every phase.
	Timings *Timings
	// ContentLength is the body's length as declared by the server, or -1
	// when unknown (chunked, close-delimited, or decoded: see Decoded).
	ContentLength int64
	// LengthUnknown is true for an HTTP/1 body that ends when the server
	// closes the connection (no Content-Length, not chunked): a cut body
	// cannot be told from a complete one (HOSTILE.md E2).
	LengthUnknown bool
	// Decoded lists the content codings fetch removed (gzip, deflate, br,
	// zstd), in the order the server applied them; Content-Encoding and
	// Content-Length are then removed from Header.
	Decoded []string
	// TLS is the connection's TLS state, nil for plain HTTP.
	TLS *tls.ConnectionState
	// Body streams the (decoded) body; Response's Read reads it.
	Body io.ReadCloser

	maxBody int64
	buffers *sync.Pool // of *[copyBufferSize]byte for WriteTo; nil: make one
	data    []byte
	read    bool
	readErr error
}

// Read reads the body.
func (r *Response) Read(p []byte) (int, error) { return r.Body.Read(p) }

// copyBufferSize is the buffer WriteTo copies through, io.Copy's size.
const copyBufferSize = 32 << 10

// WriteTo writes the body to w until its end or an error, as io.Copy
// does, so io.Copy(w, resp) uses it: through a buffer the Opener keeps
// for the next Response, instead of the 32 KiB io.Copy (or an *os.File's
// ReadFrom) makes for each call. When w is an *os.File, a failure to write
// it (a full disk, a closed pipe) is a *FileWriteError, as in ReadFile.
func (r *Response) WriteTo(w io.Writer) (int64, error) {
	f, _ := w.(*os.File)
	if wt, ok := r.Body.(io.WriterTo); ok {
		n, err := wt.WriteTo(w) // as io.Copy(w, r.Body): a file: body's sendfile
		return n, fileWriteError(err, f)
	}
	var total int64
	if f != nil {
		for {
			n, err := r.ReadFile(f, 1<<30)
			if errors.Is(err, errors.ErrUnsupported) {
				break // nothing was read: copy below
			}
			total += n
			if err == io.EOF {
				return total, nil
			}
			if err != nil {
				return total, err
			}
		}
	}
	var buf *[copyBufferSize]byte
	if r.buffers != nil {
		buf, _ = r.buffers.Get().(*[copyBufferSize]byte)
	}
	if buf == nil {
		buf = new([copyBufferSize]byte)
	}
	if _, ok := w.(io.ReaderFrom); ok {
		w = struct{ io.Writer }{w} // hidden, so io.CopyBuffer copies through buf
	}
	n, err := io.CopyBuffer(w, r.Body, buf[:])
	if r.buffers != nil {
		r.buffers.Put(buf)
	}
	return total + n, fileWriteError(err, f)
}

// fileWriteError returns err as a *FileWriteError when it is the failure
// of a write to f (which names itself in the error), and otherwise, or
// when f is nil, as it is.
func fileWriteError(err error, f *os.File) error {
	if pe := (*os.PathError)(nil); f != nil && errors.As(err, &pe) && pe.Op == "write" && pe.Path == f.Name() {
		return &FileWriteError{Err: err}
	}
	return err
}

// ReadFile moves up to max bytes of the body into f, at its offset, as
// Read would return them (io.EOF at the end), without copying them
// through memory: on Linux, a body of declared length over plain HTTP on
// fetch/conn's transport (the default for http URLs) goes from the socket
// to the file by splice(2). Anywhere else (TLS, chunked, decoded, net/http's
// transport, other systems) it returns errors.ErrUnsupported before
// reading anything, and the caller reads the body. A failure to write f
// is a *FileWriteError.
func (r *Response) ReadFile(f *os.File, max int64) (int64, error) {
	return readFile(r.Body, f, max)
}

// Close closes the body; the connection is reused when the body was read to
// its end.
func (r *Response) Close() error { return r.Body.Close() }

// Bytes reads the whole body, at most Limits.BodyBytes (ErrBodyTooLarge
// past it, never a silent truncation), closes it, and returns it. Later
// calls return the same bytes.
func (r *Response) Bytes() ([]byte, error) {
	if r.read {
		return r.data, r.readErr
	}
	r.read = true
	defer r.Body.Close()
	max := r.maxBody
	if max <= 0 {
		max = DefaultMaxBodyBytes
	}
	// A bodyless response's Content-Length is the resource's: it has no
	// body to be too large.
	declared := r.ContentLength
	switch {
	case bodyless(r.Method, r.StatusCode):
		declared = 0
	case declared > max:
		r.readErr = fmt.Errorf("%w: Content-Length %d over the limit of %d bytes", ErrBodyTooLarge, r.ContentLength, max)
		return nil, r.readErr
	}
	b, err := readAtMost(r.Body, max+1, declared)
	switch {
	case err != nil:
		r.readErr = err
	case int64(len(b)) > max:
		r.readErr = fmt.Errorf("%w: over the limit of %d bytes", ErrBodyTooLarge, max)
	default:
		r.data = b
	}
	return r.data, r.readErr
}

// readAtMost reads r to its end or to limit bytes. The buffer starts at
// the declared length (one byte more, to see the end) when there is one
// and doubles, straight to limit once a doubling passes half of it: an
// endless body takes at most 1.5 times limit at once and 2 times in all,
// where bytes.Buffer's growth took up to 4.
func readAtMost(r io.Reader, limit, declared int64) ([]byte, error) {
	size := int64(512)
	if declared >= 0 && declared < limit {
		size = declared + 1
	}
	b := make([]byte, 0, min(size, limit))
	for int64(len(b)) < limit {
		if len(b) == cap(b) {
			next := 2*int64(cap(b)) + 512
			if next > limit/2 {
				next = limit
			}
			grown := make([]byte, len(b), next)
			copy(grown, b)
			b = grown
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
	return b, nil
}

// charset chooses the body's encoding from its first bytes.
func (r *Response) charset(head []byte) Charset {
	return DetectCharset(head, r.Header.Get("Content-Type"))
}

// Text reads the whole body as Bytes does and decodes it to a string by
// its charset: a byte order mark, then the Content-Type charset, then the
// HTML <meta> prescan, then UTF-8 (see DetectCharset).
func (r *Response) Text() (string, error) {
	b, err := r.Bytes()
	if err != nil {
		return "", err
	}
	return r.charset(b).Decode(b)
}

// TextReader returns the body decoded to UTF-8 as a stream, with the
// charset chosen as Text does, for a parser that should not hold the whole
// page. It peeks at the first 1024 bytes to choose.
func (r *Response) TextReader() (io.Reader, Charset, error) {
	br := bufio.NewReaderSize(r.Body, prescanBytes)
	head, err := br.Peek(prescanBytes)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, Charset{}, err
	}
	cs := r.charset(head)
	if cs.bom > 0 {
		br.Discard(cs.bom)
	}
	return transform.NewReader(br, cs.encoding().NewDecoder()), cs, nil
}
