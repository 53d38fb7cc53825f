package conn

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Defaults of the limits, each with an option.
const (
	// DefaultMaxHeaderBytes caps a response's head (status line and header
	// fields), and separately its trailers.
	DefaultMaxHeaderBytes = 1 << 20
	// DefaultMax1xx caps the interim (1xx) responses before a final one.
	DefaultMax1xx = 16
	// DefaultExpectTimeout is how long a request with "Expect:
	// 100-continue" waits for the server's 100 before sending its body.
	DefaultExpectTimeout = time.Second
	// DefaultDialTimeout bounds connecting (and the TLS handshake).
	DefaultDialTimeout = 30 * time.Second
)

// Limits on what a request may hold outside raw mode.
const (
	maxMethodLen   = 64
	maxValueLen    = 64 << 10
	maxRequestHead = 1 << 20
	max1xxBytes    = 64 << 10
)

// Errors callers act on; match them with errors.Is.
var (
	// ErrNotReady is returned for a call out of turn: a new request while
	// the previous response's body is unread (http.client's
	// ResponseNotReady and CannotSendRequest), a header after EndHeaders.
	ErrNotReady = errors.New("conn: not ready")
	// ErrClosed is returned once the connection is closed, by Close, by
	// the server (Connection: close), or after an error or raw mode left it
	// unusable. Conn never reconnects by itself.
	ErrClosed = errors.New("conn: connection closed")
	// ErrInvalid is returned for a request refused before anything is
	// written: an invalid method, target, header name or value, or
	// conflicting framing headers.
	ErrInvalid = errors.New("conn: invalid request")
	// ErrHeaderTooLarge is returned for a response head or trailer section
	// over the header budget.
	ErrHeaderTooLarge = errors.New("conn: response header too large")
	// ErrTooMany1xx is returned when a server sends more interim responses
	// than allowed.
	ErrTooMany1xx = errors.New("conn: too many 1xx responses")
	// ErrFraming is returned for a response whose length cannot be trusted:
	// both Content-Length and Transfer-Encoding, or several Content-Lengths.
	ErrFraming = errors.New("conn: ambiguous response framing")
)

// TruncatedError reports a body that ended before its declared end: a
// Content-Length body cut short, or a chunked body without its last chunk.
// It matches io.ErrUnexpectedEOF.
type TruncatedError struct {
	Got  int64 // body bytes received
	Want int64 // declared length, -1 for a chunked body
}

func (e *TruncatedError) Error() string {
	if e.Want < 0 {
		return fmt.Sprintf("conn: body truncated: got %d bytes of a chunked body without its last chunk", e.Got)
	}
	return fmt.Sprintf("conn: body truncated: got %d of %d bytes", e.Got, e.Want)
}

func (e *TruncatedError) Unwrap() error { return io.ErrUnexpectedEOF }

// ClosedError reports that the server closed (or reset) the connection
// before a complete response: Phase says when, and Paused, when the
// request's head went out before its body, how long after the head.
type ClosedError struct {
	Phase  string
	Paused time.Duration
	Err    error
}

func (e *ClosedError) Error() string {
	msg := "conn: server closed the connection " + e.Phase
	if e.Paused > 0 {
		msg += fmt.Sprintf(" (the body followed the head by %s: the server may have timed out while the client paused)", e.Paused.Round(time.Millisecond))
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *ClosedError) Unwrap() []error { return []error{ErrClosed, e.Err} }

// ContextDialer dials connections; *net.Dialer is one, and so is a SOCKS or
// proxy dialer.
type ContextDialer interface {
	DialContext(ctx context.Context, network, addr string) (net.Conn, error)
}

// An Option configures [Dial].
type Option func(*config)

type config struct {
	tls           *tls.Config
	useTLS        bool
	dialTimeout   time.Duration
	tlsTimeout    time.Duration
	dialer        ContextDialer
	raw           bool
	maxHeader     int
	max1xx        int
	expectTimeout time.Duration
	timeout       time.Duration
	spinWait      time.Duration
	readBuffer    int
}

// WithTLS makes the connection TLS. cfg may be nil; an empty ServerName is
// set from the dialled host. The certificate is verified unless cfg says
// otherwise.
func WithTLS(cfg *tls.Config) Option {
	return func(c *config) { c.useTLS, c.tls = true, cfg }
}

// WithDialTimeout bounds connecting and the TLS handshake; 0 means
// [DefaultDialTimeout].
func WithDialTimeout(d time.Duration) Option { return func(c *config) { c.dialTimeout = d } }

// WithTLSTimeout bounds the TLS handshake on its own, the dial timeout
// then bounding the connect alone (net/http's TLSHandshakeTimeout); 0
// leaves the handshake within the dial timeout.
func WithTLSTimeout(d time.Duration) Option { return func(c *config) { c.tlsTimeout = d } }

// WithDialer dials through d (a proxy or SOCKS dialer, or a test's guard)
// instead of net.Dialer. The DNS phase is then not timed.
func WithDialer(d ContextDialer) Option { return func(c *config) { c.dialer = d } }

// DefaultReadBufferSize is how much a connection reads at once unless
// [WithReadBufferSize] says otherwise.
const DefaultReadBufferSize = 32 << 10

// WithReadBufferSize sets how much the connection reads from its socket
// at once (the buffer a response head is parsed from); 0 or less means
// [DefaultReadBufferSize]. A response that fits, head and body, arrives in
// one read: a downloader of many small files sets more.
func WithReadBufferSize(n int) Option { return func(c *config) { c.readBuffer = n } }

// DefaultSpinWait is how long the first read of a response polls the
// socket before the goroutine sleeps in the poller (see [WithSpinWait]).
const DefaultSpinWait = 200 * time.Microsecond

// WithSpinWait sets how long the first read of a response may poll a plain
// TCP socket (Linux) before it waits in the poller: 0 means
// [DefaultSpinWait], a negative value never. A connection polls only while
// its server answers within that time: after two longer waits in a row
// only one response in 16 polls, until one comes within the time again. A
// [Transport] polls only for its one exchange in flight. A deadline
// (SetDeadline, a shorter [WithTimeout], Expect's wait) is kept by the
// poller: then nothing polls.
func WithSpinWait(d time.Duration) Option { return func(c *config) { c.spinWait = d } }

// WithRaw turns off validation: methods, targets and header fields are
// sent exactly as given, Host is not added, and framing headers are not
// checked. A connection that has carried a raw request is never reused:
// after its response it is closed.
func WithRaw() Option { return func(c *config) { c.raw = true } }

// WithMaxHeaderBytes caps a response head and its trailers; 0 means
// [DefaultMaxHeaderBytes].
func WithMaxHeaderBytes(n int) Option { return func(c *config) { c.maxHeader = n } }

// WithMax1xx caps the interim responses before a final one; 0 means
// [DefaultMax1xx].
func WithMax1xx(n int) Option { return func(c *config) { c.max1xx = n } }

// WithExpectTimeout sets how long a request with "Expect: 100-continue"
// waits for a 100 before sending its body anyway; 0 means
// [DefaultExpectTimeout].
func WithExpectTimeout(d time.Duration) Option { return func(c *config) { c.expectTimeout = d } }

// WithTimeout sets an inactivity timeout: any single read or write that
// makes no progress for d fails, as Python's HTTPConnection timeout does.
// 0 means none (a context or Close bounds the wait instead).
func WithTimeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

type state int

const (
	stIdle     state = iota // ready for PutRequest
	stHead                  // request line written, fields may follow
	stBody                  // head flushed, body may be sent
	stResponse              // response returned, its body unread
	stClosed                // closed: by Close, the server, an error or raw mode
)

type framing int

const (
	frameNone framing = iota
	frameLength
	frameChunked
)

// Conn is one HTTP/1.1 connection to one host, as Python's
// http.client.HTTPConnection: requests go out one after another, each
// response's body read before the next request. Its methods must not be
// called concurrently, except Close.
type Conn struct {
	cfg  config
	addr string // host:port as dialled
	host string // the Host header to add
	nc   net.Conn
	cr   *capReader
	br   *bufio.Reader
	bw   *bufio.Writer

	closeOnce sync.Once
	closeErr  error
	closed    atomic.Bool
	pipe      atomic.Pointer[splicePipe] // made by the first ReadFile; closed by Close

	state    state
	err      error // why the connection is closed, for ErrClosed
	reusable bool  // false once a raw request or a framing anomaly went out

	// the exchange in progress
	method     string
	hasHost    bool
	framing    framing
	declared   int64         // Content-Length declared for the request body
	sent       int64         // request body bytes sent
	lastWrite  time.Time     // when the head or body bytes last went to the connection
	maxGap     time.Duration // the longest the caller paused between head and body writes
	expect     bool
	upgrade    bool // the request asks to switch protocols (or is raw): a 101's body is the connection
	tes        []string
	cls        []string
	headBytes  int
	rec        *record  // the exchange's timings, response and body
	timings    *Timings // &rec.timings
	connPhases *Timings // dial phases, given to the first exchange
	pending    *Response
	readReq    http.Request // what ReadResponse is told of the request
	readBy     time.Time    // a read deadline the inactivity timeout must not extend

	// polling for a response (spin_linux.go)
	spin     *spinner      // nil: never (not plain TCP, not Linux, or switched off)
	slow     int           // polls in a row that got no bytes in time (or an end)
	since    int           // waits in the poller since the last poll, while slow
	gate     *atomic.Int32 // a Transport's exchanges in flight: poll only when alone
	deadline atomic.Int64  // SetDeadline's, in Unix nanoseconds (0: none); while set, every read and write goes through the poller
}

// Dial connects to addr, a "host:port" (not a URL), as HTTPConnection(host,
// port) does, and makes the TLS handshake when WithTLS is given.
func Dial(ctx context.Context, addr string, opts ...Option) (*Conn, error) {
	c := &Conn{addr: addr, reusable: true}
	for _, o := range opts {
		o(&c.cfg)
	}
	if c.cfg.maxHeader == 0 {
		c.cfg.maxHeader = DefaultMaxHeaderBytes
	}
	if c.cfg.max1xx == 0 {
		c.cfg.max1xx = DefaultMax1xx
	}
	if c.cfg.expectTimeout == 0 {
		c.cfg.expectTimeout = DefaultExpectTimeout
	}
	if c.cfg.dialTimeout == 0 {
		c.cfg.dialTimeout = DefaultDialTimeout
	}
	if c.cfg.spinWait == 0 {
		c.cfg.spinWait = DefaultSpinWait
	}
	if c.cfg.readBuffer <= 0 {
		c.cfg.readBuffer = DefaultReadBufferSize
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("conn: dial %q: want host:port: %w", addr, err)
	}
	if host == "" || port == "" {
		return nil, fmt.Errorf("conn: dial %q: want host:port", addr)
	}
	c.host = hostHeader(host, port, c.cfg.useTLS)
	t := &Timings{}
	c.connPhases = t
	dctx, cancel := context.WithTimeout(ctx, c.cfg.dialTimeout)
	defer cancel()
	nc, err := c.dial(dctx, host, port, t)
	if err != nil {
		return nil, err
	}
	if c.cfg.useTLS {
		hctx := dctx
		if c.cfg.tlsTimeout > 0 {
			var cancel context.CancelFunc
			hctx, cancel = context.WithTimeout(ctx, c.cfg.tlsTimeout)
			defer cancel()
		}
		cfg := c.cfg.tls.Clone()
		if cfg == nil {
			cfg = &tls.Config{}
		}
		if cfg.ServerName == "" {
			cfg.ServerName = host
		}
		// conn speaks HTTP/1.1 only, whatever the config offers (net/http
		// adds h2 to a config it is given).
		cfg.NextProtos = []string{"http/1.1"}
		t.TLSStart = time.Now()
		tc := tls.Client(nc, cfg)
		if err := tc.HandshakeContext(hctx); err != nil {
			nc.Close()
			if c.cfg.tlsTimeout > 0 && hctx.Err() != nil && ctx.Err() == nil {
				return nil, &handshakeTimeout{addr: addr, limit: c.cfg.tlsTimeout, err: err}
			}
			return nil, fmt.Errorf("conn: TLS handshake with %s: %w", addr, err)
		}
		t.TLSDone = time.Now()
		nc = tc
	}
	c.nc = nc
	if c.cfg.spinWait > 0 {
		c.spin = newSpinner(nc, &c.closed)
	}
	c.cr = &capReader{r: nc, c: c}
	c.br = bufio.NewReaderSize(c.cr, c.cfg.readBuffer)
	c.bw = bufio.NewWriterSize(deadlineWriter{c}, 32<<10)
	return c, nil
}

// handshakeTimeout reports a TLS handshake that WithTLSTimeout ended: a
// net.Error whose Timeout is true (as net/http's), matching
// context.DeadlineExceeded.
type handshakeTimeout struct {
	addr  string
	limit time.Duration
	err   error
}

func (e *handshakeTimeout) Error() string {
	return fmt.Sprintf("conn: TLS handshake with %s: no answer within %v", e.addr, e.limit)
}
func (e *handshakeTimeout) Unwrap() error   { return e.err }
func (e *handshakeTimeout) Timeout() bool   { return true }
func (e *handshakeTimeout) Temporary() bool { return false }

// hostHeader is the Host header for host and port: the port is left out
// when it is the scheme's default, as http.client does.
func hostHeader(host, port string, tls bool) string {
	if (port == "80" && !tls) || (port == "443" && tls) {
		if strings.IndexByte(host, ':') >= 0 {
			return "[" + host + "]"
		}
		return host
	}
	return net.JoinHostPort(host, port)
}

func (c *Conn) dial(ctx context.Context, host, port string, t *Timings) (net.Conn, error) {
	if c.cfg.dialer != nil {
		t.ConnectStart = time.Now()
		nc, err := c.cfg.dialer.DialContext(ctx, "tcp", net.JoinHostPort(host, port))
		if err != nil {
			return nil, c.dialErr(err)
		}
		t.ConnectDone = time.Now()
		return nc, nil
	}
	var ips []net.IPAddr
	if ip := net.ParseIP(host); ip != nil {
		ips = []net.IPAddr{{IP: ip}}
	} else {
		t.DNSStart = time.Now()
		var err error
		ips, err = net.DefaultResolver.LookupIPAddr(ctx, host)
		t.DNSDone = time.Now()
		if err != nil {
			return nil, c.dialErr(err)
		}
	}
	var d net.Dialer
	t.ConnectStart = time.Now()
	var errs []error
	for _, ip := range ips {
		nc, err := d.DialContext(ctx, "tcp", net.JoinHostPort(ip.String(), port))
		if err == nil {
			t.ConnectDone = time.Now()
			return nc, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, c.dialErr(errors.Join(errs...))
}

// dialErr names the address dialled, unless err does already ("dial tcp
// 127.0.0.1:1: connect: connection refused").
func (c *Conn) dialErr(err error) error {
	if strings.Contains(err.Error(), c.addr) {
		return fmt.Errorf("conn: %w", err)
	}
	return fmt.Errorf("conn: dial %s: %w", c.addr, err)
}

// LocalAddr and RemoteAddr return the connection's addresses.
func (c *Conn) LocalAddr() net.Addr { return c.nc.LocalAddr() }

// RemoteAddr returns the address of the server end.
func (c *Conn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }

// TLS returns the TLS connection state, or nil for plain HTTP.
func (c *Conn) TLS() *tls.ConnectionState {
	if tc, ok := c.nc.(*tls.Conn); ok {
		s := tc.ConnectionState()
		return &s
	}
	return nil
}

// SetDeadline sets a deadline for all reads and writes, as net.Conn's.
// The inactivity timeout ([WithTimeout]) and Expect's wait may end a read
// or write before it, never after.
func (c *Conn) SetDeadline(t time.Time) error {
	var ns int64
	switch {
	case t.IsZero():
	case t.Before(time.Unix(0, 1)):
		ns = 1 // past already (t.UnixNano wraps before 1678)
	case t.After(time.Unix(0, math.MaxInt64)):
		ns = math.MaxInt64 // after 2262, where t.UnixNano wraps
	default:
		ns = t.UnixNano()
	}
	c.deadline.Store(ns)
	return c.nc.SetDeadline(t)
}

// callerDeadline is SetDeadline's deadline; zero when there is none.
func (c *Conn) callerDeadline() time.Time {
	if ns := c.deadline.Load(); ns != 0 {
		return time.Unix(0, ns)
	}
	return time.Time{}
}

// readWithin bounds the reads until the returned function is called to d
// (or the caller's deadline when that comes first), which the inactivity
// timeout does not extend; the function sets the caller's deadline again.
func (c *Conn) readWithin(d time.Duration) (restore func()) {
	c.readBy = c.within(time.Now().Add(d))
	c.nc.SetReadDeadline(c.readBy)
	return func() {
		c.readBy, c.cr.timedOut = time.Time{}, nil
		c.nc.SetReadDeadline(c.callerDeadline())
	}
}

// within returns t, or the caller's deadline when that comes first.
func (c *Conn) within(t time.Time) time.Time {
	if d := c.callerDeadline(); !d.IsZero() && d.Before(t) {
		return d
	}
	return t
}

// Close closes the connection. It may be called at any time, also
// concurrently with a request to abort it.
func (c *Conn) Close() error {
	c.closeOnce.Do(func() {
		c.closed.Store(true)
		c.closeErr = c.nc.Close()
		if p := c.pipe.Swap(nil); p != nil {
			p.close()
		}
	})
	return c.closeErr
}

// fail closes the connection for good, recording why.
func (c *Conn) fail(err error) error {
	if c.state != stClosed {
		c.state = stClosed
		c.err = err
		c.Close()
	}
	return err
}

// closedErr is the error for a call on a closed connection.
func (c *Conn) closedErr() error {
	if c.err != nil && !errors.Is(c.err, ErrClosed) {
		return fmt.Errorf("%w (%v)", ErrClosed, c.err)
	}
	if c.err != nil {
		return c.err
	}
	return ErrClosed
}

func (c *Conn) checkState(want state, call string) error {
	switch {
	case c.state == want:
		return nil
	case c.state == stClosed:
		return c.closedErr()
	case c.state == stResponse:
		return fmt.Errorf("%w: %s while the previous response's body is unread (ResponseNotReady): read it to the end or close it", ErrNotReady, call)
	case c.state == stIdle:
		return fmt.Errorf("%w: %s before PutRequest", ErrNotReady, call)
	case c.state == stHead:
		return fmt.Errorf("%w: %s before EndHeaders (CannotSendRequest)", ErrNotReady, call)
	default:
		return fmt.Errorf("%w: %s after EndHeaders (CannotSendRequest)", ErrNotReady, call)
	}
}

// Request sends a whole request, as HTTPConnection.request does: the
// request line, Host first unless header has it, header's fields in order
// and case, framing chosen from body unless header sets it (Content-Length for a
// body of known length such as *bytes.Reader, *strings.Reader or
// *bytes.Buffer, chunked for any other; Content-Length: 0 for a POST, PUT
// or PATCH without a body), then the body. With "Expect: 100-continue" the
// body waits for the server's 100, at most the expect timeout; a final
// answer before it (417, 413, 401, ...) keeps the body back, and
// GetResponse returns that answer. So it does for an answer that comes
// while the body goes out, when the server then closes the connection
// without reading the rest (as curl shows it). Read the response with
// GetResponse.
func (c *Conn) Request(method, target string, body io.Reader, header Header) error {
	if err := c.checkState(stIdle, "Request"); err != nil {
		return err
	}
	if err := c.validateRequest(method, target, header); err != nil {
		return err
	}
	h := header // copied before a field is added: the caller's is left alone
	if !c.cfg.raw && !h.Has("Content-Length") && !h.Has("Transfer-Encoding") {
		switch n := bodyLength(body); {
		case n >= 0:
			if n > 0 || method == "POST" || method == "PUT" || method == "PATCH" {
				h = h.with("Content-Length", strconv.FormatInt(n, 10))
			}
		default:
			h = h.with("Transfer-Encoding", "chunked")
		}
	}
	if !c.cfg.raw {
		if err := checkHeadSize(method, target, h); err != nil {
			return err
		}
	}
	c.putRequest(method, target)
	if !c.cfg.raw && !h.Has("Host") {
		c.putHeader("Host", c.host) // first, as RFC 9110 7.2 and http.client's request put it
	}
	for _, f := range h.fields {
		c.putHeader(f.Name, f.Value)
	}
	if err := c.endHeaders(false); err != nil {
		return err
	}
	if c.expect && body != nil {
		proceed, err := c.waitContinue()
		if err != nil {
			return err
		}
		if !proceed {
			return nil
		}
	}
	if body == nil {
		return nil
	}
	buf := make([]byte, 32<<10)
	for {
		n, rerr := body.Read(buf)
		if n > 0 {
			if err := c.send(buf[:n], false); err == errEarlyAnswer {
				return nil // GetResponse returns it
			} else if err != nil {
				// The head has gone out and the body cannot be finished
				// as declared: the connection cannot carry another request.
				return c.fail(err)
			}
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return c.fail(fmt.Errorf("conn: reading the request body: %w", rerr))
		}
	}
}

// checkHeadSize refuses a request head longer than maxRequestHead before
// anything is written, naming the field that takes it over, as PutHeader
// would once part of the head had gone out.
func checkHeadSize(method, target string, h Header) error {
	n := len(method) + 1 + len(target) + len(" HTTP/1.1\r\n")
	for _, f := range h.fields {
		n += len(f.Name) + len(f.Value) + 4
		if n > maxRequestHead {
			return fmt.Errorf("%w: request head longer than %d bytes at header %q", ErrInvalid, maxRequestHead, f.Name)
		}
	}
	return nil
}

// bodyLength returns the length of a body whose length is known without
// reading it, 0 for nil, or -1.
func bodyLength(body io.Reader) int64 {
	switch b := body.(type) {
	case nil:
		return 0
	case *bytes.Reader:
		return int64(b.Len())
	case *strings.Reader:
		return int64(b.Len())
	case *bytes.Buffer:
		return int64(b.Len())
	}
	return -1
}

// validateRequest checks a whole request before anything is written, so a
// refused request leaves the connection as it was.
func (c *Conn) validateRequest(method, target string, h Header) error {
	if c.cfg.raw {
		return nil
	}
	if err := validMethod(method); err != nil {
		return err
	}
	if err := validTarget(target); err != nil {
		return err
	}
	var cls, tes []string
	for _, f := range h.fields {
		if err := validField(f.Name, f.Value); err != nil {
			return err
		}
		switch {
		case strings.EqualFold(f.Name, "Content-Length"):
			cls = append(cls, f.Value)
		case strings.EqualFold(f.Name, "Transfer-Encoding"):
			tes = append(tes, f.Value)
		}
	}
	return validFraming(cls, tes)
}

// PutRequest starts a request: it buffers the request line. Fields follow
// with PutHeader; EndHeaders sends the head.
func (c *Conn) PutRequest(method, target string) error {
	if err := c.checkState(stIdle, "PutRequest"); err != nil {
		return err
	}
	if !c.cfg.raw {
		if err := validMethod(method); err != nil {
			return err
		}
		if err := validTarget(target); err != nil {
			return err
		}
	}
	c.putRequest(method, target)
	return nil
}

func (c *Conn) putRequest(method, target string) {
	c.method, c.hasHost, c.framing, c.declared, c.sent, c.expect, c.upgrade = method, false, frameNone, 0, 0, false, c.cfg.raw
	c.tes, c.cls, c.pending, c.lastWrite, c.maxGap = nil, nil, nil, time.Time{}, 0
	c.begin()
	if c.cfg.raw {
		c.reusable = false
	}
	c.headBytes = len(method) + len(target) + len(" HTTP/1.1\r\n") + 1
	c.bw.WriteString(method)
	c.bw.WriteByte(' ')
	c.bw.WriteString(target)
	c.bw.WriteString(" HTTP/1.1\r\n")
	c.state = stHead
}

// A record holds what one exchange makes: its timings, its final
// response and that response's body, in one allocation.
type record struct {
	timings Timings
	resp    Response
	body    body
}

// begin starts the record of a new exchange, its clock running.
func (c *Conn) begin() {
	c.rec = &record{}
	c.timings = &c.rec.timings
	c.timings.Start = time.Now()
	if c.connPhases != nil {
		c.timings.copyDial(c.connPhases)
		c.connPhases = nil
	} else {
		c.timings.Reused = true
	}
}

// PutHeader adds a header field; several values are joined with ", " on
// one line (never folded). The name and values are checked unless in raw
// mode: a name must be a token, a value may not hold CR, LF, NUL or other
// control characters but tab. A field that takes the head over 1 MiB is
// refused too; when part of the head has gone out by then (a head is sent
// in pieces of 32 KiB), the connection is closed.
func (c *Conn) PutHeader(name string, values ...string) error {
	if err := c.checkState(stHead, "PutHeader"); err != nil {
		return err
	}
	value := strings.Join(values, ", ")
	if !c.cfg.raw {
		if err := validField(name, value); err != nil {
			return err
		}
	}
	if n := c.headBytes + len(name) + len(value) + 4; !c.cfg.raw && n > maxRequestHead {
		err := fmt.Errorf("%w: request head longer than %d bytes at header %q", ErrInvalid, maxRequestHead, name)
		if c.headPartlySent() {
			// Part of the head has gone out: it cannot be taken back.
			return c.fail(err)
		}
		return err
	}
	c.putHeader(name, value)
	return nil
}

// headPartlySent reports whether part of the head being put has gone out
// (a head is sent in pieces of 32 KiB).
func (c *Conn) headPartlySent() bool { return c.bw.Buffered() < c.headBytes }

func (c *Conn) putHeader(name, value string) {
	c.headBytes += len(name) + len(value) + 4
	switch {
	case strings.EqualFold(name, "Host"):
		c.hasHost = true
	case strings.EqualFold(name, "Content-Length"):
		c.cls = append(c.cls, value)
	case strings.EqualFold(name, "Transfer-Encoding"):
		c.tes = append(c.tes, value)
	case strings.EqualFold(name, "Expect"):
		c.expect = strings.EqualFold(strings.TrimSpace(value), "100-continue")
	case strings.EqualFold(name, "Upgrade"):
		c.upgrade = true
	}
	c.bw.WriteString(name)
	c.bw.WriteString(": ")
	c.bw.WriteString(value)
	c.bw.WriteString("\r\n")
}

// EndHeaders adds Host unless it was given (and not in raw mode), ends the
// head and sends it: the server sees the head now, and the body, if any,
// whenever Send is called.
func (c *Conn) EndHeaders() error {
	if err := c.checkState(stHead, "EndHeaders"); err != nil {
		return err
	}
	return c.endHeaders(!c.cfg.raw)
}

func (c *Conn) endHeaders(check bool) error {
	if check {
		if err := validFraming(c.cls, c.tes); err != nil {
			if c.headPartlySent() {
				// Part of the head has gone out (a long head is sent in
				// pieces): it cannot be taken back, and the next request
				// would be read as its rest.
				return c.fail(err)
			}
			c.state = stIdle
			c.bw.Reset(deadlineWriter{c})
			return err
		}
	}
	if !c.cfg.raw {
		if !c.hasHost {
			c.bw.WriteString("Host: ")
			c.bw.WriteString(c.host)
			c.bw.WriteString("\r\n")
		}
	}
	switch {
	case len(c.tes) > 0:
		c.framing = frameChunked
	case len(c.cls) > 0:
		c.framing = frameLength
		c.declared, _ = strconv.ParseInt(strings.TrimSpace(c.cls[0]), 10, 64)
	}
	c.bw.WriteString("\r\n")
	if err := c.bw.Flush(); err != nil {
		return c.fail(c.writeErr("sending the request head", err))
	}
	c.timings.HeadWritten = time.Now()
	c.lastWrite = c.timings.HeadWritten
	c.state = stBody
	return nil
}

// Send sends body bytes, at once (they are not buffered), so a caller can
// pause before, between and after calls. With a declared Content-Length,
// Send refuses to go past it; with Transfer-Encoding: chunked, each call
// sends one chunk. Without either, a body is refused, since the server
// would read it as the next request. In raw mode p is sent as it is.
func (c *Conn) Send(p []byte) error {
	if err := c.checkState(stBody, "Send"); err != nil {
		return err
	}
	return c.send(p, true)
}

func (c *Conn) send(p []byte, flush bool) error {
	if len(p) == 0 {
		return nil
	}
	switch {
	case c.cfg.raw:
		c.bw.Write(p)
	case c.framing == frameLength:
		if c.sent+int64(len(p)) > c.declared {
			return fmt.Errorf("%w: body longer than the declared Content-Length %d", ErrInvalid, c.declared)
		}
		c.bw.Write(p)
	case c.framing == frameChunked:
		c.bw.WriteString(strconv.FormatInt(int64(len(p)), 16))
		c.bw.WriteString("\r\n")
		c.bw.Write(p)
		c.bw.WriteString("\r\n")
	default:
		return fmt.Errorf("%w: a body needs Content-Length or Transfer-Encoding: chunked in the head", ErrInvalid)
	}
	c.sent += int64(len(p))
	c.notePause()
	if flush || c.bw.Buffered() >= 16<<10 {
		if err := c.bw.Flush(); err != nil {
			if !flush && c.earlyAnswer(err) { // Request's body (Send flushes): the answer waits for GetResponse
				return errEarlyAnswer
			}
			return c.fail(c.writeErr("sending the request body", err))
		}
		if c.framing == frameLength && c.sent == c.declared {
			c.timings.BodyWritten = time.Now() // all of it is out, whenever GetResponse comes
		}
	}
	c.lastWrite = time.Now()
	return nil
}

// errEarlyAnswer tells Request that the server answered before the body
// was all sent, and the answer waits for GetResponse.
var errEarlyAnswer = errors.New("conn: answered before the body was sent")

// earlyAnswer reads the final response a server sent before it stopped
// reading the request body (a 413 or 401, then the connection closed, so
// that the body's write failed with err), and keeps it for GetResponse, as
// waitContinue keeps a final answer to Expect: 100-continue; false when
// none came. curl shows such an answer; net/http's client only when it
// reads it before its write fails.
func (c *Conn) earlyAnswer(err error) bool {
	if !isClosedErr(err) || errors.Is(err, net.ErrClosed) {
		return false
	}
	defer c.readWithin(earlyAnswerWait)()
	if _, err := c.br.Peek(1); err != nil {
		return false
	}
	resp, _, err := c.readResponse(false)
	if err != nil || resp == nil {
		return false
	}
	c.pending = resp
	c.reusable = false
	return true
}

// earlyAnswerWait bounds the wait for an answer once the body's write has
// failed: the answer, if any, came before the failure.
const earlyAnswerWait = 200 * time.Millisecond

// writeErr describes a failed write, naming the pause when the server
// dropped the connection between head and body.
func (c *Conn) writeErr(phase string, err error) error {
	if errors.Is(err, net.ErrClosed) {
		return closedByClose("while "+phase, err)
	}
	if isClosedErr(err) {
		return &ClosedError{Phase: "while " + phase, Paused: c.pause(), Err: err}
	}
	return fmt.Errorf("conn: %s: %w", phase, err)
}

// notePause notes the caller's pause before a write of the request: the
// time since the last write ended.
func (c *Conn) notePause() {
	if !c.lastWrite.IsZero() {
		c.maxGap = max(c.maxGap, time.Since(c.lastWrite))
	}
}

// pause is the longest the caller paused between the head and the body's
// writes (the transfer itself is no pause): what may have made the server
// give up.
func (c *Conn) pause() time.Duration {
	if c.state < stBody {
		return 0
	}
	d := c.maxGap
	if d < 10*time.Millisecond {
		return 0
	}
	return d
}

func isClosedErr(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.ErrClosedPipe) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed)
}

// finishBody ends the request body: the last chunk for chunked framing; a
// check that a declared length was met.
func (c *Conn) finishBody() error {
	switch {
	case c.cfg.raw:
	case c.framing == frameChunked:
		c.bw.WriteString("0\r\n\r\n")
	case c.framing == frameLength && c.sent != c.declared:
		return c.fail(fmt.Errorf("%w: body of %d bytes is short of the declared Content-Length %d", ErrInvalid, c.sent, c.declared))
	}
	if c.bw.Buffered() > 0 {
		c.notePause() // the server waited for these bytes
	}
	if err := c.bw.Flush(); err != nil {
		if c.earlyAnswer(err) {
			return errEarlyAnswer
		}
		return c.fail(c.writeErr("sending the request body", err))
	}
	if c.timings.BodyWritten.IsZero() {
		c.timings.BodyWritten = time.Now()
	}
	return nil
}

// waitContinue waits for the server's answer to "Expect: 100-continue":
// true to send the body (a 100, or no answer within the timeout), false
// when a final response came first; it is kept for GetResponse and the
// connection will not be reused.
func (c *Conn) waitContinue() (bool, error) {
	restore := c.readWithin(c.cfg.expectTimeout)
	_, err := c.br.Peek(1)
	restore()
	if isTimeout(err) {
		caller := c.callerDeadline()
		if caller.IsZero() || time.Now().Before(caller) {
			return true, nil // Expect's wait is over, not the caller's
		}
		return false, c.fail(fmt.Errorf("conn: timed out waiting for 100 Continue: %w", err))
	}
	if errors.Is(err, net.ErrClosed) {
		return false, c.fail(closedByClose("while waiting for 100 Continue", err))
	}
	if err != nil {
		return false, c.fail(&ClosedError{Phase: "while waiting for 100 Continue", Err: err})
	}
	resp, interim, err := c.readResponse(true)
	if err != nil {
		return false, err
	}
	if resp == nil { // a 100: go on
		c.timings.Interim = append(c.timings.Interim, interim...)
		return true, nil
	}
	c.pending = resp
	c.reusable = false
	return false, nil
}

// GetResponse finishes the request (the last chunk of a chunked body) and
// reads the response head, skipping interim 1xx responses (at most the 1xx
// limit; 101 Switching Protocols is final: its body is the connection when
// the request had an Upgrade field (or was raw), else it has none, and the
// connection is not reused either way). The body streams from
// Response.Body, which must be read to the end or closed before the next
// request; closing it early closes the connection.
func (c *Conn) GetResponse() (*Response, error) {
	if err := c.checkState(stBody, "GetResponse"); err != nil {
		return nil, err
	}
	// An answer kept (to Expect, or one that cut the body short), else
	// the one read now.
	if c.pending == nil {
		if err := c.finishBody(); err != nil && err != errEarlyAnswer {
			return nil, err
		}
	}
	resp := c.pending
	c.pending = nil
	if resp == nil {
		var err error
		if resp, _, err = c.readResponse(false); err != nil {
			return nil, err
		}
	}
	c.state = stResponse
	c.startBody(resp)
	return resp, nil
}

// readResponse reads responses until a final one. With stopAt100 it
// returns (nil, interim) at a 100 Continue.
func (c *Conn) readResponse(stopAt100 bool) (*Response, []Interim, error) {
	var interim []Interim
	total := 0
	for {
		resp, head, err := c.readOne()
		if err != nil {
			return nil, interim, err
		}
		if c.timings.FirstByte.IsZero() {
			c.timings.FirstByte = c.timings.firstByteSeen
		}
		if resp.StatusCode >= 200 || resp.StatusCode == http.StatusSwitchingProtocols {
			r, err := c.newResponse(resp, head)
			if err != nil {
				return nil, interim, err
			}
			r.Interim = interim
			return r, interim, nil
		}
		total += len(head)
		interim = append(interim, Interim{StatusCode: resp.StatusCode, Status: resp.Status, Header: parseHead(string(head))})
		if len(interim) > c.cfg.max1xx || total > max1xxBytes {
			return nil, interim, c.fail(fmt.Errorf("%w: more than %d interim responses or %d bytes of them", ErrTooMany1xx, c.cfg.max1xx, max1xxBytes))
		}
		if stopAt100 && resp.StatusCode == http.StatusContinue {
			return nil, interim, nil
		}
	}
}

// readOne reads one response head with http.ReadResponse under the header
// budget, and returns it with the raw head bytes.
func (c *Conn) readOne() (*http.Response, []byte, error) {
	c.cr.startHead(c.br.Buffered(), c.cfg.maxHeader, c.br)
	// The first read of an exchange's first head is its wait for the
	// server, which may poll (not a 1xx's successor, not trailers).
	c.cr.await = c.br.Buffered() == 0 && c.timings != nil && c.timings.firstByteSeen.IsZero()
	c.readReq.Method = c.method
	resp, err := http.ReadResponse(c.br, &c.readReq)
	head := c.cr.endHead(c.br.Buffered())
	if err != nil {
		switch {
		case c.cr.capped:
			// The cap's error, or the parser's: bufio.Reader.ReadLine hands
			// it the line the cap cut without the error, which it may then
			// call malformed.
			return nil, nil, c.fail(fmt.Errorf("%w: more than %d bytes", ErrHeaderTooLarge, c.cfg.maxHeader))
		case errors.Is(err, net.ErrClosed):
			return nil, nil, c.fail(closedByClose("while reading the response head", err))
		case isTimeout(err) && len(head) == 0:
			return nil, nil, c.fail(fmt.Errorf("conn: timed out waiting for the response: %w", err))
		case isTimeout(err):
			return nil, nil, c.fail(fmt.Errorf("conn: timed out in the middle of the response head: %w", err))
		case len(head) == 0 && isClosedErr(err):
			return nil, nil, c.fail(&ClosedError{Phase: "before answering", Paused: c.pause(), Err: err})
		case isClosedErr(err):
			return nil, nil, c.fail(&ClosedError{Phase: "in the middle of the response head", Err: err})
		}
		fields := parseHead(string(head))
		if n := fields.count("Content-Length"); n > 1 || n == 1 && fields.Has("Transfer-Encoding") {
			return nil, nil, c.fail(fmt.Errorf("%w: %d Content-Length fields and Transfer-Encoding %q: %v", ErrFraming, n, fields.Get("Transfer-Encoding"), err))
		}
		return nil, nil, c.fail(fmt.Errorf("conn: malformed response: %w", err))
	}
	return resp, head, nil
}

func isTimeout(err error) bool {
	if err == nil {
		return false // before ne, which escapes: no allocation per Read
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// closedByClose describes an exchange cut short by our own Close (also a
// context's end, in Transport), which is no fault of the server's.
func closedByClose(phase string, err error) error {
	return fmt.Errorf("%w by Close %s: %v", ErrClosed, phase, err)
}

// capReader sits under the bufio.Reader. While a head is read it caps the
// bytes read from the connection and records them, so the head can be
// re-read for its fields' order and case. Only the head is copied: bytes
// after its blank line (the start of the body, often most of a 32 KiB
// read) are counted but not recorded, since the head's reader never
// consumes past that line.
type capReader struct {
	r         io.Reader
	c         *Conn
	limit     int  // bytes still allowed while reading a head; <0 means off
	capped    bool // the head reached limit: whatever the parser says of it
	recording bool
	ended     bool // rec holds the head's blank line: copy no more
	got       int  // bytes since startHead, recorded or not
	rec       []byte
	timedOut  error // a read that timed out, returned again rather than waited for anew
	await     bool  // the next read waits for a response's first bytes: it may poll
}

func (r *capReader) startHead(buffered, max int, br *bufio.Reader) {
	r.limit, r.capped = max, false
	r.recording = true
	r.rec, r.got, r.ended = r.rec[:0], 0, false
	// What the bufio.Reader already holds is part of the head.
	pre, _ := br.Peek(buffered)
	r.record(pre)
}

// record adds p, the next bytes read, to the head recorded, up to the
// head's end.
func (r *capReader) record(p []byte) {
	r.got += len(p)
	if r.ended {
		return
	}
	if end := blankLineEnd(r.rec, p); end >= 0 {
		p, r.ended = p[:end], true
	}
	r.rec = append(r.rec, p...)
}

// blankLineEnd returns the length of p up to and including the '\n' that
// ends the first empty line ("\n\n" or "\n\r\n", as bufio.Reader.ReadLine
// reads lines) of the bytes before p (before) and p, or -1.
func blankLineEnd(before, p []byte) int {
	at := func(i int) byte { // a byte of before+p, 0 before the start
		switch {
		case i >= 0:
			return p[i]
		case len(before)+i >= 0:
			return before[len(before)+i]
		}
		return 0
	}
	for i := 0; ; i++ {
		j := bytes.IndexByte(p[i:], '\n')
		if j < 0 {
			return -1
		}
		i += j
		if prev := at(i - 1); prev == '\n' || prev == '\r' && at(i-2) == '\n' {
			return i + 1
		}
	}
}

// endHead stops recording and returns the head bytes consumed.
func (r *capReader) endHead(buffered int) []byte {
	r.recording = false
	r.limit = -1
	n := min(r.got-buffered, len(r.rec)) // the reader never consumes past the head
	if n < 0 {
		n = 0
	}
	return r.rec[:n]
}

func (r *capReader) Read(p []byte) (int, error) {
	// net/http's parser peeks and reads again after an error; without this,
	// each retry would wait another inactivity timeout.
	if r.timedOut != nil {
		return 0, r.timedOut
	}
	if r.recording {
		if r.limit <= 0 {
			r.capped = true
			return 0, ErrHeaderTooLarge
		}
		if len(p) > r.limit {
			p = p[:r.limit]
		}
	}
	r.c.readDeadline()
	var n int
	var err error
	done := false
	if r.await {
		r.await = false
		n, done, err = r.c.poll(p)
	}
	if !done {
		n, err = r.r.Read(p)
	}
	if isTimeout(err) {
		r.timedOut = err
	}
	if n > 0 && r.c.timings != nil && r.c.timings.firstByteSeen.IsZero() {
		r.c.timings.firstByteSeen = time.Now()
	}
	if r.recording {
		r.limit -= n
		r.record(p[:n])
	}
	return n, err
}

// Polling adapts to the server: maxSlow waits in a row longer than the
// spin time switch it off (one slow answer, a server's pause, does not),
// and then every probeEvery-th wait polls again, to see whether the server
// has become fast. A wait in the poller cannot tell: the wake-up alone can
// take longer than the spin time.
const (
	maxSlow    = 2
	probeEvery = 16
)

// spinFor is how long the wait for a response may poll the socket: 0
// when it may not (see WithSpinWait).
func (c *Conn) spinFor() time.Duration {
	d := c.cfg.spinWait
	// A deadline (the inactivity timeout's, Expect's) is the poller's to
	// keep: a poll would read past it.
	if !c.fast() || !c.readBy.IsZero() || c.cfg.timeout > 0 && c.cfg.timeout < d {
		return 0
	}
	if c.slow >= maxSlow {
		if c.since++; c.since < probeEvery {
			return 0
		}
		c.since = 0
	}
	return d
}

// poll reads the awaited response into p by polling the socket, when
// spinFor allows, and counts a wait that got no bytes in time towards
// switching polling off. done is false when the caller must read through
// the poller instead.
func (c *Conn) poll(p []byte) (n int, done bool, err error) {
	d := c.spinFor()
	if d == 0 {
		return 0, false, nil
	}
	n, done, err = c.spin.read(p, d)
	if done && n > 0 {
		c.slow = 0
	} else {
		c.slow = min(c.slow+1, maxSlow)
	}
	return n, done, err
}

// fast reports whether c may take the fast path of a lone exchange (a
// poll for the answer, a direct write): it can (plain TCP, Linux, not
// switched off), no deadline of the caller's is set, and its Transport,
// if any, has no other exchange in flight.
func (c *Conn) fast() bool {
	return c.spin != nil && c.deadline.Load() == 0 && (c.gate == nil || c.gate.Load() <= 1)
}

// readDeadline applies the inactivity timeout to the next read.
func (c *Conn) readDeadline() {
	if t := c.cfg.timeout; t > 0 {
		d := time.Now().Add(t)
		if by := c.readBy; !by.IsZero() && by.Before(d) {
			d = by
		}
		c.nc.SetReadDeadline(c.within(d))
	}
}

// deadlineWriter applies the inactivity timeout to writes.
type deadlineWriter struct{ c *Conn }

func (w deadlineWriter) Write(p []byte) (int, error) {
	if t := w.c.cfg.timeout; t > 0 {
		w.c.nc.SetWriteDeadline(w.c.within(time.Now().Add(t)))
	}
	if c := w.c; len(p) <= maxDirectWrite && c.fast() {
		n, err := c.spin.write(p)
		if err != nil || n == len(p) {
			return n, err
		}
		m, err := c.nc.Write(p[n:])
		return n + m, err
	}
	return w.c.nc.Write(p)
}

// maxDirectWrite is the most a lone exchange writes by a direct system
// call (spinner.write): a head, a small body. More goes through the
// poller, which can wait for room.
const maxDirectWrite = 16 << 10

// newResponse builds a Response from net/http's reading of the head, and
// refuses ambiguous framing unless in raw mode.
func (c *Conn) newResponse(resp *http.Response, head []byte) (*Response, error) {
	raw := string(head)
	fields := parseHead(raw)
	if n := fields.count("Content-Length"); n > 1 || (n == 1 && fields.Has("Transfer-Encoding")) {
		if !c.cfg.raw {
			return nil, c.fail(fmt.Errorf("%w: %d Content-Length fields and Transfer-Encoding %q", ErrFraming, n, fields.Get("Transfer-Encoding")))
		}
		c.reusable = false
	}
	_, reason, _ := strings.Cut(resp.Status, " ")
	r := &c.rec.resp
	*r = Response{
		Status:        resp.Status,
		StatusCode:    resp.StatusCode,
		Reason:        reason,
		Proto:         resp.Proto,
		ProtoMajor:    resp.ProtoMajor,
		ProtoMinor:    resp.ProtoMinor,
		Header:        fields,
		RawHead:       raw,
		ContentLength: resp.ContentLength,
		Close:         resp.Close,
		Timings:       c.timings,
		raw:           resp,
	}
	chunked := len(resp.TransferEncoding) > 0 && resp.TransferEncoding[0] == "chunked"
	r.Chunked = chunked
	noBody := resp.Body == http.NoBody || c.method == "HEAD" || resp.StatusCode == 204 || resp.StatusCode == 304 ||
		(resp.StatusCode >= 100 && resp.StatusCode < 200)
	r.LengthUnknown = !noBody && !chunked && resp.ContentLength < 0
	if r.LengthUnknown || resp.Close || resp.StatusCode == http.StatusSwitchingProtocols {
		c.reusable = false
	}
	return r, nil
}

// startBody wires the response body to the connection.
func (c *Conn) startBody(r *Response) {
	b := &c.rec.body // r is c.rec.resp: one final response per exchange
	*b = body{c: c, resp: r, want: r.ContentLength}
	switch {
	case r.StatusCode == http.StatusSwitchingProtocols && c.upgrade:
		b.src = c.br // the connection now speaks another protocol
	case r.raw.Body == http.NoBody || r.ContentLength == 0 && !r.Chunked:
		b.src = nil
	case r.Chunked:
		b.src = httputil.NewChunkedReader(c.br)
		b.want = -1
	case r.ContentLength > 0:
		b.sized = true // read from c.br, counted against want
	default:
		b.src = r.raw.Body // close-delimited, read by net/http
	}
	r.Body = b
	if b.src == nil && !b.sized {
		b.finish()
	}
}

// body streams a response body and returns the connection to idle at its
// end.
type body struct {
	c     *Conn
	resp  *Response
	src   io.Reader
	sized bool // a Content-Length body: read straight from c.br, want bytes
	// noSplice: the file given to ReadFile refused a splice; later calls
	// return errors.ErrUnsupported, and the caller reads
	noSplice bool
	got      int64
	want     int64
	done     bool
	err      error

	// Close may come from another goroutine while a Read waits (how a
	// caller aborts a transfer): mu guards done and err against it, and
	// the flags below, held by a read only around its accounting.
	mu      sync.Mutex
	reading bool // a Read or ReadFile is under way
	aborted bool // Close came during it and closed the connection under it
}

// errClosedBody is what a read of a body closed before its end returns.
var errClosedBody = errors.New("conn: read on a closed body")

// begin starts a read, or returns what ended the body.
func (b *body) begin() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return b.doneErr()
	}
	b.reading = true
	return nil
}

// end accounts a read begun, unless Close came during it: the body then
// ends as closed, not as cut short by the server.
func (b *body) end(n int64, err error) (int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.reading = false
	if b.aborted {
		b.got += n
		return n, b.broken(errClosedBody)
	}
	return b.account(n, err)
}

func (b *body) Read(p []byte) (int, error) {
	if err := b.begin(); err != nil {
		return 0, err
	}
	var n int
	var err error
	if b.sized {
		if rest := b.want - b.got; int64(len(p)) > rest {
			p = p[:rest]
		}
		n, err = b.c.br.Read(p)
	} else {
		n, err = b.src.Read(p)
	}
	k, err := b.end(int64(n), err)
	return int(k), err
}

// ReadFile moves up to max bytes of the body into f, at its offset, and
// returns how many, with io.EOF at the body's end, as Read does. On
// Linux, for a Content-Length body on a plain TCP connection, the bytes
// go from the socket to the file with splice(2), never through the
// caller's memory; elsewhere (TLS, chunked or close-delimited framing,
// other systems) it returns errors.ErrUnsupported before reading
// anything, and the caller reads. A failure to write f is a
// *FileWriteError; the connection is then closed, as for any error.
func (b *body) ReadFile(f *os.File, max int64) (int64, error) {
	if !b.sized || b.noSplice || !b.c.canSplice() {
		return 0, errors.ErrUnsupported
	}
	if err := b.begin(); err != nil {
		return 0, err
	}
	max = min(max, b.want-b.got)
	if max <= 0 {
		return b.end(0, nil)
	}
	if k := b.c.br.Buffered(); k > 0 {
		// What the head's read brought along goes first, by write.
		p, _ := b.c.br.Peek(int(min(int64(k), max)))
		n, err := f.Write(p)
		b.c.br.Discard(n)
		if err != nil {
			err = &FileWriteError{err}
		}
		return b.end(int64(n), err)
	}
	b.c.readDeadline()
	n, err := b.c.splice(f, max)
	if err == errSpliceRefused {
		b.noSplice, err = true, nil // f took these by write: the rest is read
	}
	if err == nil && n == 0 {
		err = io.ErrUnexpectedEOF // the server closed the connection early
	}
	return b.end(n, err) // an error (a timeout too) ends the body and the connection
}

// errSpliceRefused says the file refused a splice: the bytes taken from
// the socket went to it by write instead.
var errSpliceRefused = errors.New("conn: the file takes no splice")

// A FileWriteError is a failure of [Conn]'s body to write the file it
// was moving bytes to (a full disk), rather than one of the connection.
type FileWriteError struct{ Err error }

func (e *FileWriteError) Error() string {
	return "conn: writing the body to a file: " + fmt.Sprint(e.Err) // Sprint: a zero error says <nil>
}
func (e *FileWriteError) Unwrap() error { return e.Err }

func isFileWriteError(err error) bool {
	_, ok := err.(*FileWriteError) // ReadFile's own, unwrapped
	return ok
}

func (b *body) doneErr() error {
	if b.err != nil {
		return b.err
	}
	return io.EOF
}

// broken ends the body with err, closing the connection.
func (b *body) broken(err error) error {
	b.err, b.done = err, true
	b.c.fail(err)
	return err
}

// account counts n bytes read with err, ending the body at its end or
// on an error.
func (b *body) account(n int64, err error) (int64, error) {
	b.got += n
	if b.sized && err == nil && b.got == b.want {
		err = io.EOF
	}
	if b.sized && err == io.EOF && b.got < b.want {
		err = io.ErrUnexpectedEOF
	}
	switch {
	case err == io.EOF:
		if b.resp.Chunked {
			if terr := b.c.readTrailers(b.resp, b.got); terr != nil {
				b.done, b.err = true, terr
				return n, terr
			}
		}
		b.finish()
		return n, io.EOF
	case isFileWriteError(err): // the file's fault, as it is
		return n, b.broken(err)
	case errors.Is(err, io.ErrUnexpectedEOF) || (err != nil && isClosedErr(err) && (b.want >= 0 || b.resp.Chunked)):
		return n, b.broken(&TruncatedError{Got: b.got, Want: b.want})
	case err != nil:
		return n, b.broken(fmt.Errorf("conn: reading the response body: %w", err))
	}
	return n, nil
}

// finish ends the exchange after the whole body: the connection goes back
// to idle, or is closed when it cannot carry another request.
func (b *body) finish() {
	b.done = true
	b.resp.Timings.Done = time.Now()
	c := b.c
	if c.state != stResponse && c.state != stBody {
		return
	}
	if c.reusable && c.br.Buffered() == 0 {
		c.state = stIdle
		return
	}
	reason := "the server asked to close it"
	switch {
	case c.reusable:
		// Bytes past the response's end, unasked for: never the next
		// request's answer (net/http drops such a connection too).
		reason = "the server sent more than the response"
	case c.cfg.raw:
		reason = "a raw request used it"
	case b.resp.LengthUnknown:
		reason = "the response body ended with the connection"
	}
	c.fail(fmt.Errorf("%w: %s", ErrClosed, reason))
}

// Close ends the body. Before its end, it closes the connection: what is
// left unread cannot be skipped safely. It may come while a Read waits on
// another goroutine: the Read then returns at once, with errClosedBody.
func (b *body) Close() error {
	b.shut()
	return nil
}

// shut is Close, reporting whether a read was under way: the connection
// was then closed under it, and that read ends the body.
func (b *body) shut() bool {
	b.mu.Lock()
	if b.reading {
		b.aborted = true
		b.mu.Unlock()
		b.c.Close() // safe from any goroutine: the read returns
		return true
	}
	defer b.mu.Unlock()
	if !b.done {
		b.done = true
		b.err = errClosedBody
		b.c.fail(fmt.Errorf("%w: a response body was closed before its end", ErrClosed))
	}
	return false
}

// readTrailers reads the trailer section after the last chunk, within the
// header budget (Go's own reader has none).
func (c *Conn) readTrailers(r *Response, got int64) error {
	c.cr.startHead(c.br.Buffered(), c.cfg.maxHeader, c.br)
	defer c.cr.endHead(c.br.Buffered())
	var tr Header
	for {
		line, err := c.br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) || errors.Is(err, ErrHeaderTooLarge) {
			return c.fail(fmt.Errorf("%w: trailers over %d bytes", ErrHeaderTooLarge, c.cfg.maxHeader))
		}
		if err != nil {
			return c.fail(&TruncatedError{Got: got, Want: -1})
		}
		text := strings.TrimRight(string(line), "\r\n")
		if text == "" {
			r.Trailer = tr
			return nil
		}
		k, v, ok := strings.Cut(text, ":")
		if !ok {
			return c.fail(fmt.Errorf("conn: malformed trailer line %q", text))
		}
		tr.Add(k, strings.TrimSpace(v))
	}
}

// parseHead splits a raw response head into its fields, in order and case
// as received (the status line is skipped; obs-fold lines continue the
// previous field). The names and values are substrings of head.
func parseHead(head string) Header {
	h := Header{fields: make([]Field, 0, strings.Count(head, "\n"))}
	_, rest, _ := strings.Cut(head, "\n") // the status line
	for rest != "" {
		var line string
		line, rest, _ = strings.Cut(rest, "\n")
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			break
		}
		if (line[0] == ' ' || line[0] == '\t') && len(h.fields) > 0 {
			h.fields[len(h.fields)-1].Value += " " + strings.TrimSpace(line)
			continue
		}
		k, v, _ := strings.Cut(line, ":")
		h.fields = append(h.fields, Field{k, strings.TrimSpace(v)})
	}
	return h
}
