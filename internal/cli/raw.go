package cli

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/grabhq/grab/fetch/conn"
)

const rawLong = `Send one HTTP/1.1 request on a fresh connection to HOST:PORT and print the
response exactly as it arrives: status line, header fields in their order
and case, then the body (de-chunked). This is the textbook's telnet session
made a tool, on fetch/conn (Python's http.client).

The request comes from stdin, as you would type it to telnet:

  printf 'GET /hello HTTP/1.1\nHost: localhost\n\n' | grab raw 127.0.0.1:8888

or is built from -X, --target, -H and -d, in which case stdin is not read.
Lines may end in LF or CRLF; CRLF goes on the wire. Host is added when the
request has none, and Content-Length when it has a body and no framing.

The head is sent first; --delay-body waits before the body, so you can watch
how a server treats a paused client. Without --raw, the request is checked
first (a method must be a token; no CR, LF or NUL in the target or a field;
no conflicting Content-Length and Transfer-Encoding) and refused with exit 1.
With --raw, stdin is sent byte for byte, unchecked.

-w prints the timing breakdown on stderr: DNS, connect, TLS, head and body
written, first byte, done.`

type rawFlags struct {
	tls, insecure, raw, timing bool
	delay, timeout             time.Duration
	method, target             string
	headers                    []string
	data                       string
}

func newRaw(e *env) *cobra.Command {
	var f rawFlags
	c := &cobra.Command{
		Use:   "raw HOST:PORT",
		Short: "Send one request by hand and print the response as received (http.client)",
		Long:  rawLong,
		Example: `  printf 'GET /hello HTTP/1.1\n\n' | grab raw 127.0.0.1:8888
  grab raw -X HEAD --target /index.html 127.0.0.1:8888
  grab raw -X PUT --target /file -d '***filecontents***' 127.0.0.1:8888
  grab raw -X POST --target /post -H 'Content-Type: text/plain' -d hello --delay-body 2s -w 127.0.0.1:8888
  grab raw --tls -k --target / 127.0.0.1:8443`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.raw(cmd, args[0], f)
		},
	}
	fl := c.Flags()
	fl.BoolVar(&f.tls, "tls", false, "connect with TLS (certificate verified unless -k)")
	fl.BoolVarP(&f.insecure, "insecure", "k", false, "with --tls, do not verify the server's certificate")
	fl.BoolVar(&f.raw, "raw", false, "send stdin byte for byte, unchecked; the connection is not reused")
	fl.BoolVarP(&f.timing, "write-out", "w", false, "print the timing breakdown on stderr")
	fl.Var(durationValue{&f.delay}, "delay-body", "wait `DUR` between the head and the body")
	durationVar(fl, &f.timeout, "timeout", 30*time.Second, "give up when a read or write makes no progress for `DUR`")
	fl.StringVarP(&f.method, "request", "X", "", "method (default GET, or POST with -d)")
	fl.StringVar(&f.target, "target", "", "request target (default /)")
	fl.StringArrayVarP(&f.headers, "header", "H", nil, "header field `NAME: VALUE` (repeatable)")
	fl.StringVarP(&f.data, "data", "d", "", "body `DATA`; @FILE reads a file")
	return c
}

// rawRequest is a request read from stdin or built from flags.
type rawRequest struct {
	method, target string
	header         conn.Header
	body           []byte
	wire           []byte // with --raw: the head exactly as given
	wireBody       []byte // with --raw: the bytes after the head
}

func (e *env) raw(cmd *cobra.Command, addr string, f rawFlags) error {
	built := f.method != "" || f.target != "" || len(f.headers) > 0 || cmd.Flags().Changed("data")
	if f.raw && built {
		return usageErrorf("--raw sends stdin as it is: it does not go with -X, --target, -H or -d")
	}
	if f.insecure && !f.tls {
		return usageErrorf("-k is about the certificate of --tls: give --tls")
	}
	if f.timeout < 0 || f.delay < 0 {
		return usageErrorf("--timeout and --delay-body want a duration of 0 or more")
	}
	var req rawRequest
	var err error
	switch {
	case built:
		req, err = buildRawRequest(f)
	default:
		req, err = readRawRequest(e.stdin, f.raw)
	}
	if err != nil {
		return err
	}
	opts := []conn.Option{conn.WithTimeout(f.timeout)}
	if f.tls {
		opts = append(opts, conn.WithTLS(&tls.Config{InsecureSkipVerify: f.insecure}))
	}
	if f.raw {
		opts = append(opts, conn.WithRaw())
	}
	ctx := cmd.Context()
	c, err := conn.Dial(ctx, addr, opts...)
	if err != nil {
		return err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() }) // Ctrl-C aborts the exchange
	defer stop()

	if f.raw {
		if err := c.SendRaw(req.wire); err != nil {
			return err
		}
	} else {
		if err := c.PutRequest(req.method, req.target); err != nil {
			return err
		}
		for _, fl := range req.header.Fields() {
			if err := c.PutHeader(fl.Name, fl.Value); err != nil {
				return err
			}
		}
		if len(req.body) > 0 && !req.header.Has("Content-Length") && !req.header.Has("Transfer-Encoding") {
			if err := c.PutHeader("Content-Length", fmt.Sprint(len(req.body))); err != nil {
				return err
			}
		}
		if err := c.EndHeaders(); err != nil {
			return err
		}
	}
	body := req.body
	if f.raw {
		body = req.wireBody
	}
	if f.delay > 0 && len(body) > 0 {
		select {
		case <-time.After(f.delay):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if len(body) > 0 {
		if f.raw {
			err = c.SendRaw(body)
		} else {
			err = c.Send(body)
		}
		if err != nil {
			return err
		}
	}
	resp, err := c.GetResponse()
	if err != nil {
		return err
	}
	out := bufio.NewWriter(e.stdout)
	out.WriteString(resp.RawHead)
	_, rerr := io.Copy(out, resp.Body)
	if err := out.Flush(); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	if f.timing {
		e.printTimings(resp.Timings)
	}
	if rerr != nil {
		return rerr
	}
	if resp.LengthUnknown {
		e.errorf("warning: the body had no length and ended with the connection; it may be cut short")
	}
	return nil
}

func (e *env) printTimings(t *conn.Timings) {
	ms := func(d time.Duration) string { return fmt.Sprintf("%9.3f ms", float64(d)/1e6) }
	since := func(at time.Time) string {
		if at.IsZero() {
			return "        -   "
		}
		return ms(at.Sub(t.Start))
	}
	e.errorf("timing (from start):")
	e.errorf("  dns done       %s  (dns %s)", since(t.DNSDone), ms(t.DNS()))
	e.errorf("  connected      %s  (connect %s)", since(t.ConnectDone), ms(t.Connect()))
	e.errorf("  tls done       %s  (tls %s)", since(t.TLSDone), ms(t.TLS()))
	e.errorf("  head written   %s", since(t.HeadWritten))
	e.errorf("  body written   %s", since(t.BodyWritten))
	e.errorf("  first byte     %s  (wait %s)", since(t.FirstByte), ms(t.Wait()))
	e.errorf("  done           %s  (transfer %s)", since(t.Done), ms(t.Transfer()))
}

// buildRawRequest builds the request from -X, --target, -H and -d.
func buildRawRequest(f rawFlags) (rawRequest, error) {
	r := rawRequest{method: f.method, target: f.target}
	if r.target == "" {
		r.target = "/"
	}
	if f.data != "" {
		if name, ok := strings.CutPrefix(f.data, "@"); ok {
			b, err := os.ReadFile(name)
			if err != nil {
				return r, fmt.Errorf("-d %s: %w", f.data, err)
			}
			r.body = b
		} else {
			r.body = []byte(f.data)
		}
	}
	if r.method == "" {
		r.method = "GET"
		if r.body != nil {
			r.method = "POST"
		}
	}
	for _, h := range f.headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok {
			return r, usageErrorf("-H %q: want NAME: VALUE", h)
		}
		r.header.Add(name, strings.TrimSpace(value))
	}
	if r.body != nil && !r.header.Has("Content-Type") { // curl's -d, whatever -X
		r.header.Add("Content-Type", "application/x-www-form-urlencoded")
	}
	return r, nil
}

// maxRawInput bounds what grab raw reads from stdin.
const maxRawInput = 64 << 20

// readRawRequest reads a request typed on stdin: a request line, header
// lines, an empty line, and the body (the rest of stdin).
func readRawRequest(stdin io.Reader, raw bool) (rawRequest, error) {
	var r rawRequest
	if stdin == nil {
		return r, usageErrorf("no request: give one on stdin or use -X, --target, -H, -d")
	}
	all, err := io.ReadAll(io.LimitReader(stdin, maxRawInput+1))
	if err != nil {
		return r, fmt.Errorf("reading stdin: %w", err)
	}
	if len(all) > maxRawInput {
		return r, fmt.Errorf("request on stdin is longer than %d bytes", maxRawInput)
	}
	if len(bytes.TrimSpace(all)) == 0 {
		return r, usageErrorf("no request on stdin: type one (GET / HTTP/1.1, headers, an empty line) or use -X, --target, -H, -d")
	}
	headEnd, bodyStart := endOfHead(all)
	if raw {
		r.wire, r.wireBody = all[:bodyStart], all[bodyStart:]
		if headEnd < 0 {
			r.wire, r.wireBody = all, nil
		}
		return r, nil
	}
	if headEnd < 0 {
		headEnd, bodyStart = len(all), len(all)
	}
	lines := strings.Split(strings.ReplaceAll(string(all[:headEnd]), "\r\n", "\n"), "\n")
	parts := strings.Fields(lines[0])
	if len(parts) < 2 || len(parts) > 3 {
		return r, fmt.Errorf("request line %q: want METHOD TARGET [HTTP/1.1]", lines[0])
	}
	if len(parts) == 3 && parts[2] != "HTTP/1.1" {
		return r, fmt.Errorf("request line %q: grab raw speaks HTTP/1.1 (use --raw to send another version)", lines[0])
	}
	r.method, r.target = parts[0], parts[1]
	for _, line := range lines[1:] {
		if line == "" {
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return r, fmt.Errorf("header line %q has no ':'", line)
		}
		r.header.Add(name, strings.TrimSpace(value))
	}
	r.body = all[bodyStart:]
	return r, nil
}

// endOfHead finds the empty line that ends a head: the index where the head
// ends and where the body starts, or -1, len.
func endOfHead(b []byte) (int, int) {
	crlf := bytes.Index(b, []byte("\r\n\r\n"))
	lf := bytes.Index(b, []byte("\n\n"))
	switch {
	case crlf >= 0 && (lf < 0 || crlf < lf):
		return crlf, crlf + 4
	case lf >= 0:
		return lf, lf + 2
	}
	return -1, len(b)
}
