package fetch

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/grabhq/grab/fetch/conn"
	"github.com/grabhq/grab/internal/httpsyntax"
	"github.com/grabhq/grab/internal/redact"
)

// Errors callers act on; match them with errors.Is. Each comes wrapped in
// a *url.Error naming the method and the URL (password redacted), as
// net/http's client reports a failed request.
var (
	// ErrInvalidRequest reports a request refused before anything was
	// sent: an invalid URL (a control character, an unsupported scheme, a
	// bad host or port), method, header name or value.
	ErrInvalidRequest = errors.New("fetch: invalid request")
	// ErrTooManyRedirects reports a redirect chain longer than the limit
	// (Redirects.Max); the error lists the hops.
	ErrTooManyRedirects = errors.New("fetch: too many redirects")
	// ErrRedirectRefused reports a redirect fetch will not follow: to a
	// scheme other than http and https (file:, data:, ftp:, ...), or a 307 or
	// 308 that would resend a request body, or credentials, to another origin.
	ErrRedirectRefused = errors.New("fetch: redirect refused")
	// ErrBodyTooLarge reports a body over Limits.BodyBytes read into memory
	// (Response.Bytes, Response.Text): never a silent truncation.
	ErrBodyTooLarge = errors.New("fetch: body too large")
	// ErrDecodedTooLarge reports a compressed body that inflates past
	// Limits.DecodedBytes (a decompression bomb).
	ErrDecodedTooLarge = errors.New("fetch: decompressed size limit exceeded")
	// ErrTooManyEncodings reports a Content-Encoding chain longer than
	// Limits.Encodings.
	ErrTooManyEncodings = errors.New("fetch: too many content encodings")
	// ErrBadEncoding reports a compressed body that does not decode: a
	// corrupt or truncated gzip stream, a bad checksum, garbage after it,
	// or a plain body labelled as compressed.
	ErrBadEncoding = errors.New("fetch: bad content encoding")
	// ErrNotRegular reports a file: URL naming something other than a
	// regular file (a directory, a device, a FIFO), refused without reading.
	ErrNotRegular = errors.New("fetch: not a regular file")
	// ErrFileDisabled reports a file: URL given to an Opener with
	// DisableFile set.
	ErrFileDisabled = errors.New("fetch: file: URLs are disabled")
)

// TruncatedError reports a body that ended before its declared end: a
// Content-Length body cut short, or a chunked body without its last chunk.
// It matches io.ErrUnexpectedEOF. It is the same type as fetch/conn's, so
// one errors.As serves both transports.
type TruncatedError = conn.TruncatedError

// FileWriteError is a failure of Response.ReadFile (or WriteTo) to write
// the file it was moving the body to (a full disk), rather than one of
// the connection. It is fetch/conn's type.
type FileWriteError = conn.FileWriteError

// HTTPError reports a final response whose status code is not 2xx. Open
// reads a bounded prefix of the body into Body and closes the response.
type HTTPError struct {
	Method     string
	URL        string // final URL after redirects, password redacted (Error masks the query's secrets too)
	StatusCode int
	Status     string // "404 Not Found"
	Header     map[string][]string
	Body       []byte // first bytes of the (decoded) body, for diagnostics
	History    []Hop  // the redirects that led here
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("%s %s: %s", e.Method, redact.String(e.URL), httpsyntax.Status(e.Status))
}

// TimeoutError reports that one of the Timeouts ran out: Phase is
// "response header", "stall" (no body bytes for the duration) or "total".
// It matches context.DeadlineExceeded with errors.Is and has a Timeout
// method, as net.Error does. Connect and TLS handshake timeouts come from
// the transport as its own errors.
type TimeoutError struct {
	Phase string
	Limit time.Duration
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("fetch: %s timeout (%v)", e.Phase, e.Limit)
}

// Timeout reports true.
func (e *TimeoutError) Timeout() bool { return true }

// Is makes a TimeoutError match context.DeadlineExceeded.
func (e *TimeoutError) Is(target error) bool { return target == context.DeadlineExceeded }

// RedirectError reports a redirect chain fetch stopped: too long
// (ErrTooManyRedirects) or refused (ErrRedirectRefused). Hops lists the
// chain so far.
type RedirectError struct {
	Err    error // ErrTooManyRedirects or ErrRedirectRefused
	Reason string
	Hops   []Hop
}

func (e *RedirectError) Error() string {
	var b strings.Builder
	b.WriteString(fmt.Sprint(e.Err)) // Sprint: a zero RedirectError says <nil>
	if e.Reason != "" {
		b.WriteString(": ")
		b.WriteString(e.Reason)
	}
	if len(e.Hops) > 0 {
		b.WriteString(" (")
		for i, h := range e.Hops {
			if i > 0 {
				b.WriteString(" -> ")
			}
			fmt.Fprintf(&b, "%d %s", h.StatusCode, redact.String(h.URL))
		}
		b.WriteString(")")
	}
	return b.String()
}

func (e *RedirectError) Unwrap() error { return e.Err }

// urlError wraps err as net/http's client does, naming the method and URL.
func urlError(method, rawurl string, err error) *url.Error {
	return &url.Error{Op: opName(method), URL: redact.String(rawurl), Err: err}
}

// opName spells a method as net/http's client does in a *url.Error: "Get".
func opName(method string) string {
	if method == "" {
		return "Get"
	}
	return method[:1] + strings.ToLower(method[1:])
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidRequest}, args...)...)
}
