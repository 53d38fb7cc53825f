package conn

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"
)

// Response is a response read by [Conn.GetResponse].
type Response struct {
	Status     string // "200 OK"
	StatusCode int    // 200
	Reason     string // "OK"
	Proto      string // "HTTP/1.1"
	ProtoMajor int
	ProtoMinor int
	// Header holds the fields in the order and case received.
	Header Header
	// RawHead is the status line and header fields exactly as received,
	// with the empty line that ends them.
	RawHead string
	// Body streams the body. Read it to the end or close it before the
	// next request; closing it early closes the connection. It also has
	// ReadFile(f *os.File, max int64) (int64, error), which moves up to
	// max bytes into f as Read would return them: on Linux, a
	// Content-Length body on a plain TCP connection goes from the socket
	// to the file by splice(2), never through memory; elsewhere ReadFile
	// returns errors.ErrUnsupported, having read nothing. A failure to
	// write f is a *FileWriteError.
	Body io.ReadCloser
	// ContentLength is the declared length, or -1 for a chunked or
	// close-delimited body.
	ContentLength int64
	// Chunked is true for a chunked body.
	Chunked bool
	// LengthUnknown is true for a body that ends when the server closes the
	// connection (no Content-Length, not chunked): a cut body cannot be
	// told from a complete one (HOSTILE.md E2).
	LengthUnknown bool
	// Close is true when the server will close the connection after this
	// response.
	Close bool
	// Interim holds the 1xx responses before this one.
	Interim []Interim
	// Trailer holds a chunked body's trailer fields, once the body has been
	// read to the end.
	Trailer Header
	// Timings records the exchange; Done is set when the body has been
	// read to its end.
	Timings *Timings

	raw *http.Response
}

// Interim is a 1xx response received before the final one.
type Interim struct {
	StatusCode int
	Status     string
	Header     Header
}

// Timings records the phases of one exchange. The dial phases (DNS,
// connect, TLS) belong to the first exchange on a connection; later ones
// have Reused set and those phases zero. A zero time means the phase did
// not happen.
type Timings struct {
	Start        time.Time // PutRequest (or Request) was called
	DNSStart     time.Time
	DNSDone      time.Time
	ConnectStart time.Time
	ConnectDone  time.Time
	TLSStart     time.Time
	TLSDone      time.Time
	HeadWritten  time.Time // the request head was flushed
	BodyWritten  time.Time // the request body was complete
	FirstByte    time.Time // the first response byte arrived
	Done         time.Time // the response body was read to its end
	Reused       bool      // the connection had carried a request before
	Interim      []Interim // 1xx responses seen while waiting for 100 Continue

	firstByteSeen time.Time
}

func (t *Timings) copyDial(d *Timings) {
	t.DNSStart, t.DNSDone = d.DNSStart, d.DNSDone
	t.ConnectStart, t.ConnectDone = d.ConnectStart, d.ConnectDone
	t.TLSStart, t.TLSDone = d.TLSStart, d.TLSDone
	if !d.DNSStart.IsZero() {
		t.Start = d.DNSStart
	} else if !d.ConnectStart.IsZero() {
		t.Start = d.ConnectStart
	}
}

func span(a, b time.Time) time.Duration {
	if a.IsZero() || b.IsZero() {
		return 0
	}
	return b.Sub(a)
}

// DNS, Connect, TLS, Wait (head written to first byte), Transfer (first
// byte to done) and Total return the phases' durations; a phase that did not
// happen is 0.
func (t *Timings) DNS() time.Duration { return span(t.DNSStart, t.DNSDone) }

// Connect returns the TCP connect time.
func (t *Timings) Connect() time.Duration { return span(t.ConnectStart, t.ConnectDone) }

// TLS returns the TLS handshake time.
func (t *Timings) TLS() time.Duration { return span(t.TLSStart, t.TLSDone) }

// Wait returns the time from the request head (or body, when it went after)
// to the first response byte.
func (t *Timings) Wait() time.Duration {
	from := t.HeadWritten
	if t.BodyWritten.After(from) {
		from = t.BodyWritten
	}
	return span(from, t.FirstByte)
}

// Transfer returns the time from the first response byte to the end of the
// body.
func (t *Timings) Transfer() time.Duration { return span(t.FirstByte, t.Done) }

// Total returns the time from the start (the dial, on a new connection) to
// the end of the body.
func (t *Timings) Total() time.Duration { return span(t.Start, t.Done) }

// String gives the phases in milliseconds, like curl's -w timing fields.
func (t *Timings) String() string {
	ms := func(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 3, 64) + "ms" }
	return fmt.Sprintf("dns %s connect %s tls %s wait %s transfer %s total %s reused %v",
		ms(t.DNS()), ms(t.Connect()), ms(t.TLS()), ms(t.Wait()), ms(t.Transfer()), ms(t.Total()), t.Reused)
}

func validMethod(m string) error {
	if m == "" {
		return fmt.Errorf("%w: empty method", ErrInvalid)
	}
	if len(m) > maxMethodLen {
		return fmt.Errorf("%w: method of %d bytes is longer than %d", ErrInvalid, len(m), maxMethodLen)
	}
	for i := 0; i < len(m); i++ {
		if !httpguts.IsTokenRune(rune(m[i])) {
			return fmt.Errorf("%w: method %q has %q at byte %d, which is not a token character", ErrInvalid, m, m[i:i+1], i)
		}
	}
	return nil
}

// validTarget refuses a request target that would change the request
// line: a control character, a space or DEL, or non-ASCII bytes.
func validTarget(t string) error {
	if t == "" {
		return fmt.Errorf("%w: empty request target", ErrInvalid)
	}
	for i := 0; i < len(t); i++ {
		if c := t[i]; c <= ' ' || c >= 0x7f {
			return fmt.Errorf("%w: request target %q has %q at byte %d", ErrInvalid, t, t[i:i+1], i)
		}
	}
	return nil
}

func validField(name, value string) error {
	if name == "" {
		return fmt.Errorf("%w: empty header name", ErrInvalid)
	}
	for i := 0; i < len(name); i++ {
		if !httpguts.IsTokenRune(rune(name[i])) {
			return fmt.Errorf("%w: header name %q has %q at byte %d, which is not a token character", ErrInvalid, name, name[i:i+1], i)
		}
	}
	if len(value) > maxValueLen {
		return fmt.Errorf("%w: header %q: value of %d bytes is longer than %d", ErrInvalid, name, len(value), maxValueLen)
	}
	for i := 0; i < len(value); i++ {
		if c := value[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return fmt.Errorf("%w: header %q: value has %q at byte %d", ErrInvalid, name, value[i:i+1], i)
		}
	}
	return nil
}

// validFraming refuses a request head whose body length is ambiguous
// (HOSTILE.md A5): several Content-Lengths, Content-Length with
// Transfer-Encoding, a Transfer-Encoding other than a single final chunked.
func validFraming(cls, tes []string) error {
	switch {
	case len(cls) > 1:
		return fmt.Errorf("%w: %d Content-Length fields", ErrInvalid, len(cls))
	case len(cls) == 1 && len(tes) > 0:
		return fmt.Errorf("%w: both Content-Length and Transfer-Encoding", ErrInvalid)
	case len(tes) > 1 || len(tes) == 1 && !strings.EqualFold(strings.TrimSpace(tes[0]), "chunked"):
		return fmt.Errorf("%w: Transfer-Encoding %q: only a single \"chunked\" is sent", ErrInvalid, strings.Join(tes, ", "))
	case len(cls) == 1:
		n, err := strconv.ParseInt(strings.TrimSpace(cls[0]), 10, 64)
		if err != nil || n < 0 || strings.ContainsAny(cls[0], "+-") {
			return fmt.Errorf("%w: Content-Length %q is not a length", ErrInvalid, cls[0])
		}
	}
	return nil
}
