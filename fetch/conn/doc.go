// Package conn is grab's low-level HTTP layer, Python's http.client for
// Go: one HTTP/1.1 connection to one host, any method, the request head
// and body sent when the caller says, and what came back reported as it
// came.
//
// The textbook's five steps (table 2-3) are Dial, Request, GetResponse,
// reading Response.Body, and Close:
//
//	c, err := conn.Dial(ctx, "www.example.com:80") // a host and port, not a URL
//	if err != nil { ... }
//	defer c.Close()
//	if err := c.Request("GET", "/index.html", nil, conn.Header{}); err != nil { ... }
//	resp, err := c.GetResponse()
//	if err != nil { ... }
//	body, err := io.ReadAll(resp.Body) // then the next request on the same connection
//
// The stepwise form gives exact control of the head, and a pause between
// head and body: PutRequest, PutHeader for each field, EndHeaders (which
// sends the head), Send for each piece of the body, then GetResponse.
//
// # What it checks and what it does not
//
// Header keeps fields in the order and case written, and a response's
// fields in the order and case received. Request adds Host unless given,
// and Content-Length or chunked framing from the body unless given. Outside
// raw mode a request is checked before anything is written: the method
// must be a token; the target and field values may hold no CR, LF, NUL or
// other controls; names must be tokens; two Content-Lengths, or
// Content-Length with Transfer-Encoding, are refused ([ErrInvalid]). A body
// without framing is refused too, since the server would read it as the
// next request. [WithRaw] sends exactly what it is given, and a connection
// that carried a raw request is never reused.
//
// Responses are parsed by net/http's ReadResponse under a head budget
// (1 MiB, [ErrHeaderTooLarge]). A body cut short is a [*TruncatedError],
// never a short success; a body that ends with the connection (no length,
// not chunked) is flagged LengthUnknown; a response with both
// Content-Length and Transfer-Encoding, or several Content-Lengths, is
// refused ([ErrFraming]); chunked trailers are capped like the head
// (net/http's own reader has no cap). HEAD, 204 and 304 have no body.
// Interim 1xx responses are kept in Response.Interim, at most 16
// ([ErrTooMany1xx]). "Expect: 100-continue" waits for the 100 at most a
// second, and a final answer before it keeps the body back.
//
// Requests go one after another: a new request while the previous body is
// unread is [ErrNotReady] (http.client's ResponseNotReady), and a
// connection the server closed, or one an error or an early Body.Close left
// in an unknown state, is [ErrClosed]: Conn never reconnects or retries by
// itself. [Transport] is an http.RoundTripper over Conn with a pool of idle
// connections per host, so an http.Client (and grab's fetch) can run on
// this layer. A request sent on a pooled connection the server then closes
// without an answer is sent again only when the server cannot have acted
// on it, as net/http decides: an idempotent method (or an Idempotency-Key),
// or a head that had not all gone out; a POST first peeks at a pooled
// connection's socket and passes over one the server has closed.
//
// Each Response carries the Timings of its exchange: DNS, connect, TLS,
// head written, body written, first byte, done.
//
// Waiting for a response, a Conn on plain TCP (Linux) first polls the
// socket for up to 200µs ([DefaultSpinWait], [WithSpinWait],
// Transport.SpinWait) before its goroutine sleeps in the runtime's poller.
// A server on the same machine or a rack away answers within that time,
// and a sleeping thread's wake-up (two context switches and an
// inter-processor interrupt, more in a virtual machine) costs more than
// the wait: sequential requests to such a server go up to 40% faster, for
// about a fifth more CPU time (the poll's). The poll adapts: after two answers slower than
// the spin time in a row only one wait in 16 polls, until an answer comes
// within it again; a [Transport] polls only for its one exchange in
// flight, since with more another goroutine has a better use for the
// processor (the count runs from a request to its response's head). The
// poll is a bounded loop of non-blocking reads that Close (and so a
// Transport's cancellation) ends at once; with a deadline set
// (SetDeadline, an inactivity timeout shorter than the spin time,
// Expect's wait) nothing polls. Such a lone exchange
// also writes a small request (up to 16 KiB) by one direct system call,
// which spares the runtime's bookkeeping of a call that could block; what
// the socket does not take at once goes through the poller.
//
// A body bound for a file need not pass through memory: Response.Body's
// ReadFile moves it from the socket to the file with splice(2) on Linux
// (for a Content-Length body on a plain TCP connection), one kernel copy
// instead of two. The pipe it goes through is the connection's, made on
// first use and closed with it.
package conn
