package fetch

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/grabhq/grab/internal/redact"
	"github.com/grabhq/grab/internal/urlpath"
	"github.com/grabhq/grab/urlx"
)

// Request is what to open, as urllib.request.Request: a URL, a method,
// headers, and data or a body. The zero Method means GET, or POST when
// Data or Body is set, as urllib does; Data without a Content-Type header
// is sent as application/x-www-form-urlencoded.
type Request struct {
	URL    string
	Method string
	// Header holds the request's fields. A "Host" field overrides the host
	// sent (it must be a valid authority); fields given here win over the
	// Opener's defaults of the same name. A field given with one empty
	// value is not sent, and suppresses fetch's own (User-Agent,
	// Accept-Encoding, the form Content-Type), as curl's -H 'Name:'.
	Header http.Header
	// Data is the body, held in memory, so that a retry or a 307/308
	// redirect can send it again. A nil Data means no body; an empty,
	// non-nil one a POST with an empty body.
	Data []byte
	// Body streams the body instead of Data, with ContentLength bytes (0
	// means unknown unless Body is a *bytes.Reader, *bytes.Buffer or
	// *strings.Reader). Those three are read again from their start for a
	// retry or a 307 or 308 redirect, as net/http does; any other reader
	// is sent once: it is not retried and does not follow a 307 or 308.
	Body          io.Reader
	ContentLength int64
	// Timeout bounds the whole request, redirects and body included; 0
	// means the Opener's Timeouts.Total.
	Timeout time.Duration
	// NoRedirect returns a 3xx response as it is instead of following it.
	NoRedirect bool
}

// NewRequest returns a Request for rawurl with data (nil for none), as
// urllib.request.Request(url, data) does.
func NewRequest(rawurl string, data []byte) *Request {
	return &Request{URL: rawurl, Data: data}
}

// AddHeader adds a header field, as Request.add_header does (which replaces
// the field in urllib; use Header.Add for a repeated one).
func (r *Request) AddHeader(name, value string) {
	if r.Header == nil {
		r.Header = make(http.Header)
	}
	r.Header.Set(name, value)
}

// SetData sets the body to data, as the textbook's add_data does; a
// request without a method then becomes a POST.
func (r *Request) SetData(data []byte) {
	r.Data = data
	r.Body = nil
	r.ContentLength = 0
}

// GetMethod returns the method the request will use: Method, or POST when
// it has data or a body, or GET.
func (r *Request) GetMethod() string {
	switch {
	case r.Method != "":
		return r.Method
	case r.Data != nil || r.Body != nil:
		return http.MethodPost
	}
	return http.MethodGet
}

// asRequest turns Open's target into a Request: a string URL, a *url.URL,
// a Request or a *Request (copied, so Open never changes the caller's).
func asRequest(target any) (*Request, error) {
	switch t := target.(type) {
	case string:
		return &Request{URL: t}, nil
	case *url.URL:
		if t == nil {
			return nil, invalid("nil *url.URL")
		}
		return &Request{URL: t.String()}, nil
	case *Request:
		if t == nil {
			return nil, invalid("nil *Request")
		}
		c := *t
		return &c, nil
	case Request:
		return &t, nil
	}
	return nil, invalid("cannot open a %T: want a string, *url.URL or *Request", target)
}

// schemes are the schemes Open accepts, after lower-casing.
var schemes = map[string]bool{"http": true, "https": true, "file": true, "data": true}

// parseURL checks r.URL before anything is sent (HOSTILE.md A1, A2, I5,
// K3): no control character, space or DEL anywhere (they are refused, not
// stripped, so the host sent is the host given), a supported scheme, and
// a host and port that urlx and net/url agree on.
func parseURL(raw string) (*url.URL, error) {
	if u := plainURL(raw); u != nil {
		return u, nil
	}
	return checkURL(raw)
}

// escapeURL %-escapes the bytes of s that may not stand in a request line
// (spaces, controls, non-ASCII), leaving escapes already made alone, as
// urllib's redirect handler does with quote(url, safe=string.punctuation).
func escapeURL(s string) string { return urlx.Quote(s, urlx.Punctuation) }

// checkURL is parseURL's full reading of any URL.
func checkURL(raw string) (*url.URL, error) {
	if err := urlx.Validate(raw); err != nil {
		return nil, invalid("URL: %w", urlxCause(err))
	}
	sr, err := urlx.Split(raw)
	if err != nil {
		return nil, invalid("URL: %w", urlxCause(err))
	}
	scheme := strings.ToLower(sr.Scheme)
	switch {
	case scheme == "":
		return nil, invalid("URL %q has no scheme (want http, https, file or data)", redact.String(raw))
	case !schemes[scheme]:
		return nil, invalid("unsupported scheme %q (want http, https, file or data)", sr.Scheme)
	case scheme == "data":
		return &url.URL{Scheme: "data", Opaque: raw[len("data:"):]}, nil
	case scheme == "file":
		return fileURL(raw)
	}
	if sr.Netloc == "" {
		return nil, invalid("URL %q has no host", redact.String(raw))
	}
	if _, _, err := sr.Port(); err != nil {
		return nil, invalid("URL: %w", urlxCause(err))
	}
	host, err := sr.ASCIIHostname()
	if err != nil {
		return nil, invalid("URL host: %w", urlxCause(err))
	}
	sr.Fragment = "" // never sent, so never a reason to refuse
	// "/100%.html": curl and CPython send the '%' raw, wget as "%25";
	// net/url holds only the latter.
	sr.Path = urlpath.EscapeStrayPercents(sr.Path)
	u, err := sr.URL()
	if err != nil {
		return nil, invalid("URL: %w", urlxCause(err))
	}
	// Send the host in the one form every transport dials: IDNA-mapped
	// ASCII ("straße.de" is xn--strae-oqa.de, fullwidth digits are digits).
	u.Host = hostWithPort(host, u.Port())
	u.Scheme = scheme
	// net/url escapes a non-ASCII path but keeps the query's bytes raw;
	// send them %-escaped as UTF-8, as browsers, requests and wget do,
	// so both engines send the same request line.
	u.RawQuery = escapeURL(u.RawQuery)
	u.Fragment, u.RawFragment = "", ""
	return u, nil
}

// plainURL parses the common case quickly: an http or https URL, all
// printable ASCII, whose authority is a lower-case host name of letters,
// digits, dots and hyphens (no "xn--" label) and an optional port of at
// most 65535, which urlx and net/url read alike. Anything else is nil, for
// the full checks.
func plainURL(raw string) *url.URL {
	if len(raw) > urlx.MaxLength {
		return nil
	}
	rest, ok := strings.CutPrefix(raw, "http://")
	if !ok {
		if rest, ok = strings.CutPrefix(raw, "https://"); !ok {
			return nil
		}
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	host, port, hasPort := strings.Cut(rest[:end], ":")
	if host == "" || host[0] == '.' || host[0] == '-' || strings.Contains(host, "xn--") {
		return nil
	}
	for i := 0; i < len(host); i++ {
		if c := host[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '-') {
			return nil
		}
	}
	if hasPort {
		if port == "" || len(port) > 5 {
			return nil
		}
		n := 0
		for i := 0; i < len(port); i++ {
			if c := port[i]; c < '0' || c > '9' {
				return nil
			}
			n = n*10 + int(port[i]-'0')
		}
		if n > 65535 {
			return nil
		}
	}
	for i := end; i < len(rest); i++ {
		if c := rest[i]; c <= ' ' || c >= 0x7f || c == '\\' {
			return nil // the full checks name it
		}
	}
	path, query := rest[end:], ""
	if i := strings.IndexByte(path, '#'); i >= 0 {
		path = path[:i]
	}
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path, query = path[:i], path[i+1:]
	}
	for i := 0; i < len(path); i++ {
		if !pathByte[path[i]] {
			return nil // escapes and the like: net/url's reading
		}
	}
	scheme := raw[:strings.IndexByte(raw, ':')]
	return &url.URL{Scheme: scheme, Host: rest[:end], Path: path, RawQuery: query}
}

// pathByte marks the bytes a path may hold as they are: those net/url's
// EscapedPath leaves unescaped (unreserved, and "$&+,/:;=@").
var pathByte = func() (t [256]bool) {
	for _, c := range []byte("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~$&+,/:;=@") {
		t[c] = true
	}
	return t
}()

// fileURL parses a file: URL with net/url; its host must be empty or
// "localhost" (HOSTILE.md I2) and its path may not hold a NUL (I4).
func fileURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, invalid("URL: %w", err)
	}
	u.Scheme = "file"
	if h := u.Host; h != "" && !strings.EqualFold(h, "localhost") {
		return nil, invalid("file: URL with host %q: only local files (no host, or localhost) can be opened", h)
	}
	if u.Opaque != "" {
		return nil, invalid("file: URL %q is not absolute (want file:///path)", raw)
	}
	if strings.IndexByte(u.Path, 0) >= 0 {
		return nil, invalid("file: URL path holds a NUL byte")
	}
	return u, nil
}

// urlxCause returns what a *urlx.Error says was wrong, without the URL
// (the *url.Error around it names the URL once).
func urlxCause(err error) error {
	var ue *urlx.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// checkHeader refuses header fields net/http or a server could misread
// (HOSTILE.md A4): names that are not tokens, values with CR, LF, NUL or
// other controls but tab.
func checkHeader(h http.Header) error {
	for name, values := range h {
		if !httpguts.ValidHeaderFieldName(name) {
			return invalid("header name %q is not a token", name)
		}
		for _, v := range values {
			if !httpguts.ValidHeaderFieldValue(v) {
				return invalid("header %s: value %q holds a control character", name, v)
			}
		}
	}
	return nil
}

// checkMethod refuses a method that is not a token (HOSTILE.md A3).
func checkMethod(m string) error {
	if m == "" || !httpguts.ValidHeaderFieldName(m) {
		return invalid("method %q is not a token", m)
	}
	return nil
}

// body returns the request body and its length, for http.NewRequest.
func (r *Request) body() (io.Reader, int64) {
	switch {
	case r.Data != nil:
		return bytes.NewReader(r.Data), int64(len(r.Data))
	case r.Body != nil:
		return r.Body, r.ContentLength
	}
	return nil, 0
}

func (r *Request) String() string {
	return fmt.Sprintf("%s %s", r.GetMethod(), redact.String(r.URL))
}
