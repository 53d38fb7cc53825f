package cli

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/grabhq/grab/download"
	"github.com/grabhq/grab/fetch"
	"github.com/grabhq/grab/fetch/conn"
	"github.com/grabhq/grab/internal/atomicfile"
	"github.com/grabhq/grab/internal/filekind"
	"github.com/grabhq/grab/internal/httpsyntax"
	"github.com/grabhq/grab/internal/redact"
	"github.com/grabhq/grab/proxy"
	"github.com/grabhq/grab/urlx"
)

const getLong = `Fetch URL and write its body to stdout, with curl's flags and habits, on
package fetch (Python's urllib.request): redirects are followed (at most
--max-redirs), compressed bodies are decoded, and a response of any status
is printed and exits 0, as curl does; -f makes a status of 400 or more an
error instead. "grab head URL" is "grab get -I URL". A URL without
"scheme://" (localhost:8888/hello) is an http URL, as curl guesses.

The request is a GET; a HEAD with -I; a POST with -d, --data-urlencode,
--data-binary, --data-raw, --json or -F; or the method of -X.

  -d DATA        form data, sent as application/x-www-form-urlencoded; "@FILE"
                 reads a file with its CR and LF removed, "@-" stdin. Several
                 -d, --data-urlencode, --data-binary and --data-raw are joined
                 with '&', in order.
  --data-urlencode
                 data to encode as curl does: "content", "=content",
                 "name=content", "@file" or "name@file"; the content is
                 form-encoded ('+' for a space), the name sent as given.
  --data-binary  as -d, but a file is sent byte for byte.
  --data-raw     as -d, but '@' is not special.
  -G             put the data in the URL's query and send a GET.
  --json DATA    the body as given ("@FILE", "@-"), with Content-Type and
                 Accept application/json; several are concatenated.
  -F NAME=VALUE  a multipart/form-data field; NAME=@FILE uploads a file,
                 NAME=<FILE reads the value from a file; ";type=MIME" and
                 ";filename=NAME" may follow. Files are read into memory.

-H 'Name: value' adds a header field (repeatable; it replaces a default
field of that name). As in curl, -H 'Name:' removes a field grab would send
(User-Agent, Accept-Encoding, Content-Type, an earlier -H) and -H 'Name;'
sends the field with an empty value; Host, Content-Length and
Transfer-Encoding cannot be removed. -u USER:PASSWORD sends Basic
credentials, to the URL's origin only: fetch drops them on a redirect to
another. The User-Agent is "grab/VERSION" unless -A or -H gives one.

The body goes to stdout, or to -o FILE (written to a temporary file, renamed
when complete: a failed transfer leaves no file), or with -O to the file
named by the URL's last path segment, decoded (a name that is empty, ".",
".." or holds a '/' is refused), under --output-dir when given. -OJ names
the file after the response's Content-Disposition when it gives a name
(filename* preferred, made safe as grab download makes it: no directories,
no leading dot, no control characters), and never replaces a file with it,
as curl -OJ; without one, the URL's name is used. -i writes
the final response's status line and header fields (as received, before
decoding: in the order and case the server sent them over fetch/conn, the
engine of http://, of anything through a proxy and of https:// with
--low-level; in canonical case and
name order from net/http, which keeps no order) before the body; -I and
"grab head" write them alone. stdout is data, so they are written as
received.

-w FORMAT writes FORMAT to stdout at the end, after the body, also when the
request failed (after a redirect chain that failed, of its last request),
with curl's variables: %{http_code} (or %{response_code};
000 without a response), %{http_version}, %{method}, %{url_effective} ("/"
for an empty path, as curl's), %{redirect_url} (where a redirect not followed
would have gone: --no-location, or a chain --max-redirs ended),
%{num_redirects}, %{content_type}, %header{NAME}, %{header_json} (every field
of the final response as JSON, names lower-cased, as curl's), %{num_headers},
%{filename_effective} (the file written by -o, -O or -J; empty when none
was), %{size_download} (body bytes written, decoded), %{size_header},
%{size_upload}, %{speed_download} and %{speed_upload} (bytes a second), and
times in seconds: %{time_namelookup}, %{time_connect}, %{time_appconnect},
%{time_pretransfer} and %{time_starttransfer}, from the start of the final
exchange, and %{time_redirect} and %{time_total}, from the start of the
command. %{stderr} sends what follows to stderr, %{stdout} back to stdout.
\n, \r, \t, \\ and %% are escapes; "@FILE" reads FORMAT from a file.

-v writes the exchange on stderr as the textbook's telnet session shows it:
"> " the request line and header fields as sent, "< " the status line and
fields of every response (redirects and retries included), "* " notes on the
connection. Authorization and Proxy-Authorization are shown as
"Basic [redacted]"; a line part holding a control character is written
Go-quoted, so nothing a server sends can drive your terminal.

A body cut short (fewer bytes than its Content-Length, or a chunked body
without its end) is an error: what arrived has been written to stdout and
the exit status is 1. grab shows no progress meter: -s hides warnings, and
errors are always printed (-S is accepted and changes nothing).

Exit status:
  0    a response arrived (of any status, without -f)
  1    failure: no response, a cut body, a timeout, bad input (a missing
       file, an unusable -O name)
  2    usage error
  22   with -f, the final status was 400 or more
  63   with --max-filesize, the body is larger: nothing is written to a
       file, and stdout gets the bytes up to the limit
  130  interrupted (SIGINT, SIGTERM or SIGHUP)`

const getExample = `  grab get http://127.0.0.1:8888/hello
  grab get http://127.0.0.1:8888/gallery/10.html | head -c 500
  grab get -d query=python http://127.0.0.1:8888/post
  grab get -H 'Content-Type: text/plain' -d 'hello there' http://127.0.0.1:8888/post
  grab get --data-urlencode language=python --data-urlencode framework=django \
           --data-urlencode email=kumar@example.com http://127.0.0.1:8888/cgi-bin/script.py
  grab get --json '{"q": "python"}' http://127.0.0.1:8888/anything
  grab get -F name=grab -F file=@notes.txt http://127.0.0.1:8888/post
  grab get -v http://127.0.0.1:8888/hello
  grab get -f -o page.html http://127.0.0.1:8888/status/404
  grab get -O --create-dirs --output-dir downloads http://127.0.0.1:8888/img/64x64/7.png
  grab get -s -o /dev/null -w '%{http_code} %{time_total}\n' http://127.0.0.1:8888/get`

// maxData bounds a file or stdin read into memory for a request body
// (-d @FILE, --json @-, -F name=@FILE) or a -w @FILE format.
const maxData = 256 << 20

// dataKind tells the data flags apart: they share one list, so that their
// values are joined in the order given, as curl does.
type dataKind int

const (
	dataASCII     dataKind = iota // -d: @FILE with CR and LF removed
	dataBinary                    // --data-binary: @FILE as it is
	dataRaw                       // --data-raw: no @FILE
	dataURLEncode                 // --data-urlencode
)

type dataArg struct {
	kind  dataKind
	value string
}

// dataFlag is a pflag.Value appending to the shared data list.
type dataFlag struct {
	list *[]dataArg
	kind dataKind
}

func (d dataFlag) String() string { return "" }
func (d dataFlag) Type() string   { return "DATA" }
func (d dataFlag) Set(v string) error {
	*d.list = append(*d.list, dataArg{d.kind, v})
	return nil
}

// seconds is a duration flag that takes a Go duration ("1m30s") or a
// number of seconds as curl does ("2.5").
type seconds time.Duration

func (s *seconds) String() string {
	if *s == 0 {
		return ""
	}
	return time.Duration(*s).String()
}

func (s *seconds) Type() string { return "DURATION" }

func (s *seconds) Set(v string) error {
	d, err := parseDuration(v)
	if err != nil {
		return err
	}
	if d < 0 {
		return errors.New("want a duration of 0 or more")
	}
	*s = seconds(d)
	return nil
}

// parseDuration reads a Go duration ("1m30s") or a number of seconds
// ("2.5"), either maybe negative.
func parseDuration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		f, ferr := strconv.ParseFloat(v, 64)
		switch {
		case ferr != nil && !errors.Is(ferr, strconv.ErrRange) || math.IsNaN(f):
			return 0, errors.New("want a duration such as 2.5 (seconds) or 1m30s")
		case ferr != nil || math.Abs(f) >= float64(math.MaxInt64)/float64(time.Second):
			// >=: the bound itself rounds to 2^63, which wraps negative.
			return 0, errors.New("too long: a duration holds at most about 292 years")
		}
		d = time.Duration(f * float64(time.Second))
	}
	return d, nil
}

// durationVar defines a durationValue flag with a default, as
// pflag.DurationVar does (the help shows the default: p is set first).
func durationVar(fl *pflag.FlagSet, p *time.Duration, name string, value time.Duration, usage string) {
	*p = value
	fl.Var(durationValue{p}, name, usage)
}

// durationValue is a flag of a Go duration or a number of seconds, as
// seconds, that lets a negative one through for its command to judge:
// every duration flag of grab takes both forms.
type durationValue struct{ p *time.Duration }

func (d durationValue) String() string {
	if d.p == nil || *d.p == 0 {
		return "" // no "(default 0s)" in the help
	}
	return d.p.String()
}

func (d durationValue) Type() string { return "DURATION" }

func (d durationValue) Set(v string) (err error) {
	*d.p, err = parseDuration(v)
	return err
}

// getFlags holds the flags of grab get and grab head.
type getFlags struct {
	method       string
	headers      []string
	data         []dataArg
	json         []string
	form         []string
	query        bool
	user         string
	userAgent    string
	userAgentSet bool
	outputSet    bool // -o given, "" too
	output       string
	remoteName   bool
	headerName   bool
	outputDir    string
	createDirs   bool
	head         bool
	include      bool
	verbose      bool
	writeOut     string
	location     bool
	noLocation   bool
	maxRedirs    int
	timeout      seconds
	connect      seconds
	retry        int
	fail         bool
	silent       bool
	showError    bool
	insecure     bool
	compressed   bool
	rawEncoding  bool
	lowLevel     bool
	maxSize      string
	maxBytes     int64 // maxSize read; 0 for none
	net          netFlags
}

func newGet(e *env) *cobra.Command  { return newGetCommand(e, false) }
func newHead(e *env) *cobra.Command { return newGetCommand(e, true) }

// newGetCommand returns "grab get", or "grab head" (get -I) when head is set.
func newGetCommand(e *env, head bool) *cobra.Command {
	var f getFlags
	c := &cobra.Command{
		Use:     "get URL",
		Short:   "Fetch a URL with curl's flags, the body to stdout (urllib.request)",
		Long:    getLong + "\n\n" + netFlagsHelp,
		Example: getExample,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f.head = f.head || head
			f.userAgentSet = cmd.Flags().Changed("user-agent")
			f.outputSet = cmd.Flags().Changed("output")
			f.net.given(cmd.Flags())
			return e.get(cmd.Context(), withScheme(args[0]), &f)
		},
	}
	if head {
		c.Use = "head URL"
		c.Short = "Fetch a URL's status line and header fields (grab get -I)"
		c.Long = `Send a HEAD request for URL and write the final response's status line and
header fields to stdout, as "grab get -I URL" (curl -I) does; every flag of
"grab get" applies. The textbook's HEAD /index.html, with redirects followed.

Exit status:
  0    a response arrived (of any status, without -f)
  1    failure: no response, a timeout, bad input
  2    usage error
  22   with -f, the final status was 400 or more
  130  interrupted (SIGINT, SIGTERM or SIGHUP)`
		c.Example = `  grab head http://127.0.0.1:8888/index.html
  grab head -v http://127.0.0.1:8888/redirect/2`
	}
	fl := c.Flags()
	fl.StringVarP(&f.method, "request", "X", "", "method `METHOD` (default GET; HEAD with -I; POST with data)")
	fl.StringArrayVarP(&f.headers, "header", "H", nil, "header field `'NAME: VALUE'` (repeatable); 'NAME:' removes a default one")
	fl.VarP(dataFlag{&f.data, dataASCII}, "data", "d", "form data `DATA`, @FILE or @- (repeatable, joined with '&'); POST")
	fl.Var(dataFlag{&f.data, dataURLEncode}, "data-urlencode", "form data to encode: `[NAME]=CONTENT`, [NAME]@FILE or CONTENT")
	fl.Var(dataFlag{&f.data, dataBinary}, "data-binary", "data `DATA`, or @FILE sent byte for byte")
	fl.Var(dataFlag{&f.data, dataRaw}, "data-raw", "data `DATA`, with no special '@'")
	fl.StringArrayVar(&f.json, "json", nil, "JSON body `DATA`, @FILE or @-, with JSON Content-Type and Accept; POST")
	fl.StringArrayVarP(&f.form, "form", "F", nil, "multipart field `NAME=VALUE`, NAME=@FILE or NAME=<FILE [;type=MIME] (repeatable); POST")
	fl.BoolVarP(&f.query, "get", "G", false, "put the data in the URL's query and send a GET")
	f.net.register(fl)
	fl.StringVarP(&f.userAgent, "user-agent", "A", "", `User-Agent `+"`NAME`"+` (default "grab/VERSION"; "" sends none)`)
	fl.StringVarP(&f.output, "output", "o", "", "write the body to `FILE` (- for stdout)")
	fl.BoolVarP(&f.remoteName, "remote-name", "O", false, "write the body to the file named by the URL's last path segment")
	fl.BoolVarP(&f.headerName, "remote-header-name", "J", false, "with -O, name the file after the response's Content-Disposition when it gives a name; an existing file is not replaced")
	fl.StringVar(&f.outputDir, "output-dir", "", "put the files of -o and -O in `DIR`")
	fl.BoolVar(&f.createDirs, "create-dirs", false, "make the directories of -o and --output-dir when missing")
	fl.BoolVarP(&f.head, "head", "I", false, "send HEAD and write the response's status line and header fields")
	fl.BoolVarP(&f.include, "include", "i", false, "write the response's status line and header fields before the body")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "write the request and response heads on stderr")
	fl.StringVarP(&f.writeOut, "write-out", "w", "", "write `FORMAT` to stdout at the end, with %{http_code} and other variables")
	fl.BoolVarP(&f.location, "location", "L", true, "follow redirects, as grab does by default (for curl compatibility; -L=false is --no-location)")
	fl.BoolVar(&f.noLocation, "no-location", false, "do not follow redirects: print the 3xx response")
	fl.IntVar(&f.maxRedirs, "max-redirs", fetch.DefaultMaxRedirects, "follow at most `N` redirects (-1 for no limit)")
	fl.VarP(&f.timeout, "timeout", "m", "give up after `DURATION` in all (1m30s, or seconds: 2.5)")
	fl.Var(&f.timeout, "max-time", "same as --timeout")
	fl.MarkHidden("max-time")
	fl.Var(&f.connect, "connect-timeout", "give up connecting after `DURATION` (default 30s)")
	fl.IntVar(&f.retry, "retry", 0, "retry an idempotent request `N` times on a connection error, a timeout, or 408, 429, 500, 502, 503, 504")
	fl.BoolVarP(&f.fail, "fail", "f", false, "exit 22, printing no body, when the final status is 400 or more")
	fl.BoolVarP(&f.silent, "silent", "s", false, "hide warnings (errors are still printed)")
	fl.BoolVarP(&f.showError, "show-error", "S", false, "accepted for curl compatibility: errors are always printed")
	fl.BoolVarP(&f.insecure, "insecure", "k", false, "do not verify the server's TLS certificate")
	fl.BoolVar(&f.compressed, "compressed", false, "accepted for curl compatibility: bodies are decoded unless -H sets Accept-Encoding")
	fl.BoolVar(&f.rawEncoding, "raw", false, "send no Accept-Encoding and decode nothing")
	fl.BoolVar(&f.lowLevel, "low-level", false, "run https on fetch/conn's transport (HTTP/1.1) too, not only http")
	fl.BoolVar(&f.lowLevel, "http1.1", false, "same as --low-level: HTTP/1.1 only, as curl's --http1.1")
	fl.StringVar(&f.maxSize, "max-filesize", "", "exit 63 when the body is larger than `SIZE` bytes (100K, 10M, 1G; 0 for none), as curl")
	c.MarkFlagsMutuallyExclusive("output", "remote-name")
	c.MarkFlagsMutuallyExclusive("location", "no-location")
	return c
}

// get fetches rawURL as the flags ask and writes the response to stdout
// or a file.
func (e *env) get(ctx context.Context, rawURL string, f *getFlags) error {
	if err := f.check(); err != nil {
		return err
	}
	req, edits, err := f.request(rawURL, e.stdin)
	if err != nil {
		return err
	}
	dest, err := f.destination(rawURL)
	if err != nil {
		return err
	}
	format, err := f.format(e.stdin)
	if err != nil {
		return err
	}
	log := &exchangeLog{edits: edits}
	if f.verbose {
		log.v = &verbose{w: e.stderr}
		defer log.v.stop() // hooks of a connection still closing write nothing
	}
	o := f.opener(log)
	defer o.CloseIdleConnections()
	sess, err := e.applyNet(&f.net, o, rawURL, req.Header, f.silent)
	if err != nil {
		return err
	}
	log.o = o // set up: its engine and proxy are what the log asks

	t := &transfer{
		start:  time.Now(),
		url:    rawURL,
		method: req.GetMethod(),
		log:    log,
		upload: int64(len(req.Data)),
	}
	resp, err := o.Open(ctx, req)
	if err != nil {
		t.end, t.err = time.Now(), err
		e.writeOut(format, t, f.silent)
		return safeError{sess.finishAfter(e, err)}
	}
	defer resp.Close()
	t.resp = resp
	err = e.receive(resp, dest, f, t)
	t.end = time.Now()
	err = sess.finishAfter(e, err)
	if werr := e.writeOut(format, t, f.silent); err == nil {
		err = werr
	}
	return err
}

// check reports flag values no request can have.
func (f *getFlags) check() error {
	switch {
	case f.retry < 0:
		return usageErrorf("--retry %d: want 0 or more", f.retry)
	case f.maxRedirs < -1:
		return usageErrorf("--max-redirs %d: want -1 (no limit) or more", f.maxRedirs)
	case f.headerName && !f.remoteName:
		return usageErrorf("-J names the file of -O: use it with -O")
	case f.outputSet && f.output == "":
		return usageErrorf(`-o "": want a file name, or - for stdout`)
	}
	if f.maxSize != "" {
		n, err := parseSize("--max-filesize", f.maxSize)
		if err != nil {
			return err
		}
		f.maxBytes = n
	}
	bodies := 0
	for _, b := range []bool{len(f.data) > 0, len(f.json) > 0, len(f.form) > 0} {
		if b {
			bodies++
		}
	}
	switch {
	case bodies > 1:
		return usageErrorf("-d, --json and -F each make a body: use one of them")
	case f.head && bodies > 0 && !f.query:
		return usageErrorf("-I sends HEAD, which has no body: it does not go with -d, --json or -F")
	case f.query && (len(f.json) > 0 || len(f.form) > 0):
		return usageErrorf("-G puts -d data in the URL's query: it does not go with --json or -F")
	}
	return nil
}

// fieldEdits are the changes to the header fields that fetch's defaults
// would undo (it fills in a User-Agent, Accept-Encoding or Content-Type
// that is missing or empty), made by the exchangeLog before the transport.
type fieldEdits struct {
	remove []string            // canonical names: -H 'Name:', -A ""
	empty  map[string][]string // the fields of -H 'Name;', with the other values given
}

// request builds the request from the flags, and the edits fetch's
// defaults would undo.
func (f *getFlags) request(rawURL string, stdin io.Reader) (*fetch.Request, fieldEdits, error) {
	var none fieldEdits
	req := &fetch.Request{URL: rawURL, Method: f.method, Header: http.Header{}}
	h := req.Header
	removed := map[string]bool{}
	empty := map[string]bool{}
	for _, hv := range f.headers {
		name, value, ok := strings.Cut(hv, ":")
		if !ok {
			if n, semi := strings.CutSuffix(strings.TrimSpace(hv), ";"); semi && n != "" {
				h.Add(n, "") // "Name;" sends the field empty, as curl
				delete(removed, http.CanonicalHeaderKey(n))
				empty[http.CanonicalHeaderKey(n)] = true
				continue
			}
			return nil, none, usageErrorf("-H %q: want 'NAME: VALUE', 'NAME:' to remove a field or 'NAME;' to send it empty", hv)
		}
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if name == "" {
			return nil, none, usageErrorf("-H %q: the field has no name", hv)
		}
		key := http.CanonicalHeaderKey(name)
		if value != "" {
			h.Add(name, value)
			delete(removed, key)
			continue
		}
		switch key {
		case "Host", "Content-Length", "Transfer-Encoding":
			return nil, none, usageErrorf("-H %q: %s cannot be removed", hv, key)
		}
		h.Del(name)
		removed[key] = true
		delete(empty, key)
	}
	if f.userAgentSet && f.userAgent == "" && !removed["User-Agent"] && h.Get("User-Agent") == "" {
		removed["User-Agent"] = true
	}
	setDefault := func(name, value string) {
		if _, ok := h[name]; !ok && !removed[name] {
			h.Set(name, value)
		}
	}
	switch {
	case len(f.data) > 0:
		body, err := formData(f.data, stdin)
		if err != nil {
			return nil, none, err
		}
		if f.query {
			req.URL = addQuery(rawURL, string(body))
		} else {
			req.Data = body
		}
	case len(f.json) > 0:
		var body []byte
		for _, j := range f.json {
			b := []byte(j)
			if name, ok := strings.CutPrefix(j, "@"); ok {
				var err error
				if b, err = readData(name, stdin); err != nil {
					return nil, none, fmt.Errorf("--json: %w", err)
				}
			}
			body = append(body, b...)
		}
		if body == nil {
			body = []byte{}
		}
		req.Data = body
		setDefault("Content-Type", "application/json")
		setDefault("Accept", "application/json")
	case len(f.form) > 0:
		body, contentType, err := multipartBody(f.form, stdin)
		if err != nil {
			return nil, none, err
		}
		req.Data = body
		// A multipart type of the user's (-H "Content-Type:
		// multipart/form-data", as many API docs write) gets the body's
		// boundary, as curl adds it: without, no server can read it.
		if given := h.Get("Content-Type"); given != "" {
			mt, params, err := mime.ParseMediaType(given)
			if err == nil && strings.HasPrefix(mt, "multipart/") && params["boundary"] == "" {
				_, ours, _ := mime.ParseMediaType(contentType)
				h.Set("Content-Type", given+"; boundary="+ours["boundary"])
			}
		}
		setDefault("Content-Type", contentType)
	}
	if f.head && f.method == "" {
		req.Method = http.MethodHead
	}
	edits := fieldEdits{remove: slices.Sorted(maps.Keys(removed)), empty: map[string][]string{}}
	for name := range empty {
		edits.empty[name] = h[name]
	}
	return req, edits, nil
}

// formData joins the data flags' values with '&', as curl does.
func formData(args []dataArg, stdin io.Reader) ([]byte, error) {
	parts := make([][]byte, 0, len(args))
	for _, a := range args {
		b := []byte(a.value)
		var err error
		switch a.kind {
		case dataASCII, dataBinary:
			if name, ok := strings.CutPrefix(a.value, "@"); ok {
				if b, err = readData(name, stdin); err != nil {
					flag := "-d"
					if a.kind == dataBinary {
						flag = "--data-binary"
					}
					return nil, fmt.Errorf("%s: %w", flag, err)
				}
				if a.kind == dataASCII {
					b = bytes.ReplaceAll(bytes.ReplaceAll(b, []byte("\r"), nil), []byte("\n"), nil)
				}
			}
		case dataURLEncode:
			if b, err = urlencodeData(a.value, stdin); err != nil {
				return nil, fmt.Errorf("--data-urlencode: %w", err)
			}
		}
		parts = append(parts, b)
	}
	return append([]byte{}, bytes.Join(parts, []byte("&"))...), nil
}

// urlencodeData encodes one --data-urlencode value as curl does: the
// first '=' (or, without one, the first '@') ends the name, which is sent
// as given; after '@' comes a file name; the content is form-encoded.
func urlencodeData(arg string, stdin io.Reader) ([]byte, error) {
	name, content, sep := "", arg, byte(0)
	if i := strings.IndexByte(arg, '='); i >= 0 {
		name, content, sep = arg[:i], arg[i+1:], '='
	} else if i := strings.IndexByte(arg, '@'); i >= 0 {
		name, content, sep = arg[:i], arg[i+1:], '@'
	}
	if sep == '@' {
		b, err := readData(content, stdin)
		if err != nil {
			return nil, err
		}
		content = string(b)
	}
	enc := urlx.QuotePlus(content, "")
	if name != "" {
		enc = name + "=" + enc
	}
	return []byte(enc), nil
}

// multipartBody builds the multipart/form-data body of the -F fields and
// returns it with its Content-Type.
func multipartBody(fields []string, stdin io.Reader) ([]byte, string, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	// As mime/multipart quotes a file's: a CR or LF in a name would
	// start a header line of its own in the part.
	quote := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\r", "%0D", "\n", "%0A")
	for _, field := range fields {
		name, rest, ok := strings.Cut(field, "=")
		if !ok || name == "" {
			return nil, "", usageErrorf("-F %q: want NAME=VALUE, NAME=@FILE or NAME=<FILE", field)
		}
		value, typ, filename, hasFilename := formParams(rest)
		// "@" or "<" before any quote reads a file, as curl reads it: a
		// quoted "@x" is the text @x.
		var content []byte
		isFile := false
		if strings.HasPrefix(rest, "@") {
			path := value[1:]
			isFile = true
			b, err := readData(path, stdin)
			if err != nil {
				return nil, "", fmt.Errorf("-F %s: %w", name, err)
			}
			content = b
			if !hasFilename {
				filename = filepath.Base(path)
			}
			if typ == "" {
				typ = cmp.Or(mime.TypeByExtension(filepath.Ext(path)), "application/octet-stream")
			}
		} else if strings.HasPrefix(rest, "<") {
			path := value[1:]
			b, err := readData(path, stdin)
			if err != nil {
				return nil, "", fmt.Errorf("-F %s: %w", name, err)
			}
			content = b
		} else {
			content = []byte(value)
		}
		ph := textproto.MIMEHeader{}
		if isFile || hasFilename {
			ph.Set("Content-Disposition", multipart.FileContentDisposition(name, filename))
		} else {
			ph.Set("Content-Disposition", `form-data; name="`+quote.Replace(name)+`"`)
		}
		if typ != "" {
			ph.Set("Content-Type", typ)
		}
		w, err := mw.CreatePart(ph)
		if err != nil {
			return nil, "", err
		}
		w.Write(content) // writes to a bytes.Buffer
	}
	if err := mw.Close(); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), mw.FormDataContentType(), nil
}

// formParams splits "-F name=" values into the value and its ";type=" and
// ";filename=" parameters, as curl does: the parameters of a type stay with
// it ("type=text/plain;charset=utf-8"); another ';' before any type belongs
// to the value; a value of "@", "<" or nothing then a double-quoted string
// ("@\"a;b.txt\"", with \" and \\ escapes) ends at its closing quote.
func formParams(s string) (value, typ, filename string, hasFilename bool) {
	value, rest, quoted := quotedValue(s)
	if !quoted {
		var found bool
		if value, rest, found = strings.Cut(s, ";"); found {
			rest = ";" + rest
		}
	}
	inType := false
	for _, p := range strings.Split(rest, ";")[1:] {
		k, v, _ := strings.Cut(p, "=")
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "type":
			typ, inType = strings.TrimSpace(v), true
		case "filename":
			filename, hasFilename, inType = strings.Trim(strings.TrimSpace(v), `"`), true, false
		default:
			if inType {
				typ += ";" + p
			} else {
				value += ";" + p
			}
		}
	}
	return value, typ, filename, hasFilename
}

// quotedValue reads a -F value of "@", "<" or nothing, then a string in
// double quotes with \" and \\ escapes: the value unquoted, with its
// prefix, and what follows the closing quote. ok is false for a value not
// quoted, or a quote never closed.
func quotedValue(s string) (value, rest string, ok bool) {
	i := 0
	if strings.HasPrefix(s, "@") || strings.HasPrefix(s, "<") {
		i = 1
	}
	if i >= len(s) || s[i] != '"' {
		return "", "", false
	}
	v, end, closed := httpsyntax.QuotedClosed(s, i)
	if !closed {
		return "", "", false
	}
	return s[:i] + v, s[end:], true
}

// openInput opens the file name to read; a directory is an error saying
// so at once, where a read would say "read NAME: is a directory".
func openInput(name string) (*os.File, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: name, Err: errIsDirectory}
	}
	return f, nil
}

var errIsDirectory = errors.New("is a directory, not a file")

// readData reads the file name, or stdin for "-", at most maxData bytes.
func readData(name string, stdin io.Reader) ([]byte, error) {
	var r io.Reader
	switch {
	case name == "-" && stdin == nil:
		return []byte{}, nil
	case name == "-":
		r = stdin
		name = "stdin"
	default:
		f, err := openInput(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxData+1))
	var pe *fs.PathError
	switch {
	case errors.As(err, &pe): // names the file already
		return nil, err
	case err != nil:
		return nil, fmt.Errorf("reading %s: %w", name, err)
	case len(b) > maxData:
		return nil, fmt.Errorf("%s is longer than %d bytes", name, maxData)
	}
	return b, nil
}

// addQuery appends q to the query of rawURL, before any fragment (-G).
func addQuery(rawURL, q string) string {
	if q == "" {
		return rawURL
	}
	base, frag, hasFrag := strings.Cut(rawURL, "#")
	sep := "?"
	switch {
	case strings.HasSuffix(base, "?"):
		sep = "" // an empty query: "a?" and z=1 make "a?z=1", as curl
	case strings.Contains(base, "?"):
		sep = "&"
	}
	base += sep + q
	if hasFrag {
		base += "#" + frag
	}
	return base
}

// target is where the body goes.
type target struct {
	path   string // "" for stdout
	dir    string // the directory of path, or of -O's file
	noName error  // -OJ: why the URL names no file, an error unless the response names one
	isNew  bool   // -J's name, the server's: it never replaces a file (atomicfile.CreateNew)
}

// destination returns where the body goes, its directory checked (or made,
// with --create-dirs) before anything is fetched.
func (f *getFlags) destination(rawURL string) (target, error) {
	var tg target
	name := f.output
	switch {
	case f.remoteName:
		var err error
		if name, err = remoteName(rawURL); err != nil {
			if !f.headerName {
				return tg, err
			}
			tg.noName = err
		}
	case name == "" || name == "-":
		return tg, nil
	}
	if tg.noName != nil {
		tg.dir = cmp.Or(f.outputDir, ".")
	} else {
		if f.outputDir != "" && !filepath.IsAbs(name) {
			name = filepath.Join(f.outputDir, name)
		}
		tg.path, tg.dir = name, filepath.Dir(name)
	}
	if f.createDirs {
		if err := os.MkdirAll(tg.dir, 0o777); err != nil {
			return tg, fmt.Errorf("--create-dirs: %w", err)
		}
	} else {
		fi, err := os.Stat(tg.dir)
		shown := cmp.Or(tg.path, tg.dir)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return tg, fmt.Errorf("cannot write %s: no directory %s (--create-dirs makes it)", shown, tg.dir)
		case err != nil:
			return tg, fmt.Errorf("cannot write %s: %w", shown, err)
		case !fi.IsDir():
			return tg, fmt.Errorf("cannot write %s: %s is a %s, not a directory", shown, tg.dir, filekind.Name(fi.Mode()))
		}
	}
	return tg, nil
}

// headerTarget returns where -OJ writes resp's body: the name of its
// Content-Disposition, made safe, in tg's directory, a file that must be
// new; tg itself when the response names nothing.
func headerTarget(tg target, resp *fetch.Response) (target, error) {
	name := download.NameFromDisposition(resp.Header.Get("Content-Disposition"), false)
	switch {
	case name != "":
		tg.path, tg.isNew = filepath.Join(tg.dir, name), true
	case tg.noName != nil:
		return tg, tg.noName
	}
	return tg, nil
}

// createTarget starts writing tg's file: one that never replaces another
// for -J's name, as curl -J's.
func createTarget(tg target) (*atomicfile.File, error) {
	if !tg.isNew {
		return atomicfile.Create(tg.path)
	}
	f, err := atomicfile.CreateNew(tg.path)
	return f, nameTaken(err)
}

// nameTaken says which name a file already there had: the server's (-J).
func nameTaken(err error) error {
	if errors.Is(err, atomicfile.ErrExists) {
		return fmt.Errorf("-J: %w (the name the server gave)", err)
	}
	return err
}

// remoteName returns the file name -O takes from rawURL: its last path
// segment, percent-decoded, refused when it could name another directory
// or is not a name at all.
func remoteName(rawURL string) (string, error) {
	sr, err := urlx.Split(rawURL)
	if err != nil {
		return "", fmt.Errorf("-O: %w", err)
	}
	seg := sr.Path[strings.LastIndexByte(sr.Path, '/')+1:]
	name := urlx.Unquote(seg)
	switch {
	case name == "":
		return "", fmt.Errorf("-O: the URL's path has no file name (use -o FILE)")
	case name == "." || name == ".." || strings.ContainsAny(name, `/\`) || printable(name) != name:
		return "", fmt.Errorf("-O: the URL's last path segment %s is not a usable file name (use -o FILE)", printable(seg))
	}
	return name, nil
}

// format returns the -w format, read from a file for "@FILE".
func (f *getFlags) format(stdin io.Reader) (string, error) {
	name, ok := strings.CutPrefix(f.writeOut, "@")
	if !ok {
		return f.writeOut, nil
	}
	b, err := readData(name, stdin)
	if err != nil {
		return "", fmt.Errorf("-w: %w", err)
	}
	return string(b), nil
}

// opener returns the Opener the flags ask for, with log as its innermost
// handler.
func (f *getFlags) opener(log *exchangeLog) *fetch.Opener {
	o := &fetch.Opener{
		UserAgent:          cmp.Or(f.userAgent, userAgent()),
		AllowErrorStatus:   true, // any status prints its body, as curl; -f is checked here
		DisableCompression: f.rawEncoding,
		Redirects:          fetch.Redirects{Max: f.maxRedirs, Off: !f.follow() || f.maxRedirs == 0},
		Timeouts:           fetch.Timeouts{Total: time.Duration(f.timeout), Connect: time.Duration(f.connect)},
		Handlers:           []fetch.Handler{log},
		Trace:              f.writeOut != "", // -w reports every phase
	}
	if f.insecure {
		o.TLSConfig = &tls.Config{InsecureSkipVerify: true}
	}
	o.Engine = f.engine()
	if f.retry > 0 {
		o.Handlers = append(o.Handlers, &fetch.Retry{
			Attempts: f.retry + 1,
			Statuses: []int{408, 429, 500, 502, 503, 504}, // curl's transient statuses
		})
	}
	return o
}

// follow reports whether redirects are followed: not with --no-location
// or -L=false.
func (f *getFlags) follow() bool { return f.location && !f.noLocation }

// engine returns the Opener's Engine: --low-level puts https on
// fetch/conn too.
func (f *getFlags) engine() fetch.Engine {
	if f.lowLevel {
		return fetch.EngineConn
	}
	return fetch.EngineAuto
}

// userAgent returns grab's User-Agent: "grab/" and the version "grab
// version" prints, without its "v".
func userAgent() string {
	bi, _ := debug.ReadBuildInfo()
	return "grab/" + strings.TrimPrefix(buildVersion(version, bi), "v")
}

// receive checks the response against -f and --max-redirs 0 and writes it
// to stdout or to dest (or, with -J, to the file the response names).
func (e *env) receive(resp *fetch.Response, dest target, f *getFlags, t *transfer) error {
	if f.maxRedirs == 0 && f.follow() && resp.StatusCode/100 == 3 && resp.Header.Get("Location") != "" {
		return fmt.Errorf("%w: stopped after 0 (%d %s)", fetch.ErrTooManyRedirects, resp.StatusCode, redact.String(resp.URL))
	}
	if f.fail && resp.StatusCode >= 400 {
		return &exitError{ExitHTTPError, fmt.Errorf("The requested URL returned error: %d", resp.StatusCode)}
	}
	if f.maxBytes > 0 && !f.head && resp.ContentLength > f.maxBytes {
		return &exitError{ExitTooLarge, fmt.Errorf("Maximum file size exceeded: the body is %d bytes, over the %d allowed", resp.ContentLength, f.maxBytes)}
	}
	if f.headerName {
		var err error
		if dest, err = headerTarget(dest, resp); err != nil {
			return err
		}
	}
	var w io.Writer = e.stdout
	var file *atomicfile.File
	if dest.path != "" {
		var err error
		if file, err = createTarget(dest); err != nil {
			return err
		}
		defer file.Abort()
		w = file
	}
	if err := e.copyBody(w, resp, f, t); err != nil {
		return err
	}
	if file != nil {
		if err := file.Commit(); err != nil {
			return nameTaken(err)
		}
		t.filename = dest.path // written
	}
	if resp.LengthUnknown && !f.silent {
		e.errorf("warning: the body had no length and ended with the connection; it may be cut short")
	}
	return nil
}

// copyBody writes the head (with -i or -I) and the body (without -I) to w.
func (e *env) copyBody(w io.Writer, resp *fetch.Response, f *getFlags, t *transfer) error {
	cw := &countingWriter{w: w}
	if f.include || f.head {
		cw.Write(t.finalHead().bytes())
	}
	if f.head && cw.err != nil {
		return fmt.Errorf("writing output: %w", cw.err)
	}
	if f.head {
		return nil
	}
	start := cw.n
	var err error
	// A body of no declared length is read up to --max-filesize, then
	// one byte more tells whether it goes on.
	capped := f.maxBytes > 0 && resp.ContentLength < 0
	if capped {
		_, err = io.Copy(cw, io.LimitReader(resp, f.maxBytes))
		if err == nil && cw.err == nil && cw.n-start == f.maxBytes {
			var one [1]byte
			if n, _ := io.ReadFull(resp, one[:]); n > 0 {
				t.size = cw.n - start
				return &exitError{ExitTooLarge, fmt.Errorf("Maximum file size exceeded: the body is more than the %d bytes allowed", f.maxBytes)}
			}
		}
	} else if of := outputFile(w); of != nil && cw.err == nil {
		// Into a file (or a pipe): Response.WriteTo lets the transport
		// move the bytes itself where it can (splice from the socket), as
		// grab download does.
		var n int64
		n, err = resp.WriteTo(of)
		cw.n += n
		if fe := (*fetch.FileWriteError)(nil); errors.As(err, &fe) {
			cw.err = fe.Err
		}
	} else {
		_, err = io.Copy(cw, resp)
	}
	t.size = cw.n - start
	switch {
	case cw.err != nil:
		return fmt.Errorf("writing output: %w", cw.err)
	case err != nil:
		return safeError{fmt.Errorf("reading the body: %w", err)}
	}
	return nil
}

// outputFile returns the *os.File under w (-o's file, or stdout when it
// is one), or nil.
func outputFile(w io.Writer) *os.File {
	switch f := w.(type) {
	case *os.File:
		return f
	case *atomicfile.File:
		return f.File
	}
	return nil
}

// countingWriter counts the bytes written and keeps the first error.
type countingWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
	return n, err
}

// safeError is an error whose message is made safe for a terminal: a
// server's bytes in it (a reason phrase, a header line) are Go-quoted
// (HOSTILE.md P2).
type safeError struct{ err error }

func (e safeError) Error() string { return printable(e.err.Error()) }
func (e safeError) Unwrap() error { return e.err }

// passwordMasked returns rawURL with any password replaced by "xxxxx".
func passwordMasked(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil {
		return u.Redacted()
	}
	return redact.String(rawURL)
}

// exchangeLog is the innermost Handler of grab get's Opener, so it sees
// each exchange as the transport does: it removes the fields -H 'Name:'
// asked to remove, keeps each response head before fetch decodes the body
// (for -i, -I and -w), and with -v writes each exchange on stderr.
type exchangeLog struct {
	edits fieldEdits
	o     *fetch.Opener // whose exchanges these are: OnConn tells the engine, Proxy the proxy
	v     *verbose      // nil without -v
	heads []*head
}

// head is a response's status line and header fields as received.
type head struct {
	proto, status string
	code          int
	header        http.Header
	fields        []conn.Field // in the order and case received, from fetch/conn; nil from net/http
}

// list returns the head's fields: as received from fetch/conn, or
// net/http's in name order.
func (h *head) list() []conn.Field {
	if h.fields != nil {
		return h.fields
	}
	var l []conn.Field
	for _, k := range slices.Sorted(maps.Keys(h.header)) {
		for _, v := range h.header[k] {
			l = append(l, conn.Field{Name: k, Value: v})
		}
	}
	return l
}

// bytes returns the head as -i writes it, with CRLF line ends: the fields
// as received from fetch/conn, or net/http's in canonical case and name
// order. A response without a status line (file: and data:) has only its
// fields.
func (h *head) bytes() []byte {
	var b bytes.Buffer
	if h.proto != "" {
		b.WriteString(h.statusLine() + "\r\n")
	}
	if h.fields != nil {
		for _, f := range h.fields {
			b.WriteString(f.Name + ": " + f.Value + "\r\n")
		}
	} else {
		h.header.Write(&b)
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

func (h *head) statusLine() string {
	if h.proto == "HTTP/2.0" {
		// As curl writes it: HTTP/2 has no reason phrase, and the space
		// before it stays.
		return "HTTP/2 " + strconv.Itoa(h.code) + " "
	}
	return h.proto + " " + h.status
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func (l *exchangeLog) Wrap(next http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		return l.roundTrip(next, req)
	})
}

// Order places the log inside every other handler (Retry is 100).
func (l *exchangeLog) Order() int { return 1000 }

func (l *exchangeLog) roundTrip(next http.RoundTripper, req *http.Request) (*http.Response, error) {
	netHTTP := !l.o.OnConn(req)
	if len(l.edits.remove) > 0 || len(l.edits.empty) > 0 {
		req = req.Clone(req.Context()) // a RoundTripper must not modify its argument
		for _, name := range l.edits.remove {
			req.Header.Del(name)
		}
		for name, values := range l.edits.empty {
			req.Header[name] = slices.Clone(values)
		}
		if netHTTP && slices.Contains(l.edits.remove, "User-Agent") {
			// net/http sends its own User-Agent unless the field is
			// present and empty.
			req.Header["User-Agent"] = []string{""}
		}
	}
	if l.v != nil {
		via := l.absoluteVia(req)
		trace := l.v.trace(req, via)
		if !netHTTP {
			// conn.Transport calls only GotConn; the head it writes is
			// known before.
			got := trace.GotConn
			trace = &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
				got(info)
				l.v.print("> ", sentByConn(req, via)...)
			}}
		}
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
	}
	var fields []conn.Field
	if !netHTTP {
		req = req.WithContext(conn.WithHeadHook(req.Context(), func(h conn.Header) { fields = h.Fields() }))
	}
	resp, err := next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	h := &head{proto: resp.Proto, status: resp.Status, code: resp.StatusCode, header: resp.Header.Clone(), fields: fields}
	l.heads = append(l.heads, h)
	if l.v != nil {
		l.v.response(h)
	}
	return resp, nil
}

// verbose writes -v's lines on stderr. Trace hooks may run on the
// transport's goroutines, so writes are serialized, and stop silences
// hooks that run after the command.
type verbose struct {
	mu   sync.Mutex
	w    io.Writer
	done bool
}

func (v *verbose) print(prefix string, lines ...string) {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(strings.TrimRight(prefix+l, " "))
		b.WriteByte('\n')
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.done {
		io.WriteString(v.w, b.String())
	}
}

func (v *verbose) stop() {
	v.mu.Lock()
	v.done = true
	v.mu.Unlock()
}

// absoluteVia returns the http(s) proxy a plain-http req is sent to in
// absolute form, or nil when it goes to its origin (or through a tunnel).
func (l *exchangeLog) absoluteVia(req *http.Request) *url.URL {
	if l.o.Proxy == nil {
		return nil
	}
	return proxy.Forwarding(req, l.o.Proxy) // as fetch decides it
}

// requestTarget is req's request-target as sent: the origin form, or the
// absolute URL (without userinfo) to a proxy via.
func requestTarget(req *http.Request, via *url.URL) string {
	if via == nil {
		return req.URL.RequestURI()
	}
	return req.URL.Scheme + "://" + req.URL.Host + req.URL.RequestURI() // as conn and net/http write it
}

// trace returns the hooks that print req's head as net/http writes it:
// the fields come from WroteHeaderField, so they are the ones sent. via
// is the proxy req goes to in absolute form (absoluteVia), or nil.
func (v *verbose) trace(req *http.Request, via *url.URL) *httptrace.ClientTrace {
	peer := req.URL.Hostname()
	if via != nil {
		peer = via.Hostname()
	}
	var (
		mu                  sync.Mutex
		fields              []string
		h2                  bool
		authority, h2target string
	)
	return &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) {
			mu.Lock()
			fields, h2 = nil, false // a retried write starts over
			mu.Unlock()
			addr := info.Conn.RemoteAddr().String()
			if ip, port, err := net.SplitHostPort(addr); err == nil {
				addr = ip + ") port " + port
			} else {
				addr += ")"
			}
			if info.Reused {
				v.print("* ", printable("Re-using the connection to "+peer+" ("+addr))
			} else {
				v.print("* ", printable("Connected to "+peer+" ("+addr))
			}
		},
		WroteHeaderField: func(key string, values []string) {
			mu.Lock()
			defer mu.Unlock()
			for _, val := range values {
				switch key {
				case ":method", ":scheme":
					h2 = true
				case ":authority":
					h2, authority = true, val
				case ":path":
					h2, h2target = true, val
				default:
					fields = append(fields, verboseField(key, val))
				}
			}
		},
		WroteHeaders: func() {
			mu.Lock()
			line := req.Method + " " + requestTarget(req, via) + " HTTP/1.1"
			lines := fields
			if h2 {
				line = req.Method + " " + h2target + " HTTP/2"
				lines = append([]string{verboseField("Host", authority)}, fields...)
			}
			lines = append([]string{printable(line)}, lines...)
			fields = nil
			mu.Unlock()
			v.print("> ", append(lines, "")...)
		},
	}
}

// response prints a response head.
func (v *verbose) response(h *head) {
	lines := []string{printable(h.statusLine())}
	for _, f := range h.list() {
		lines = append(lines, verboseField(f.Name, f.Value))
	}
	v.print("< ", append(lines, "")...)
}

// sentByConn returns the head fetch/conn's Transport writes for req: the
// request line, Host, the fields in name order, and Content-Length.
func sentByConn(req *http.Request, via *url.URL) []string {
	lines := []string{
		printable(req.Method + " " + requestTarget(req, via) + " HTTP/1.1"),
		verboseField("Host", cmp.Or(req.Host, req.URL.Host)),
	}
	if via != nil && via.User != nil {
		// Right after Host, as conn writes it; its value is never shown.
		lines = append(lines, verboseField("Proxy-Authorization", "Basic x"))
	}
	for _, k := range slices.Sorted(maps.Keys(req.Header)) {
		if k == "Host" {
			continue
		}
		for _, val := range req.Header[k] {
			lines = append(lines, verboseField(k, val))
		}
	}
	framed := req.Header.Get("Content-Length") != "" || req.Header.Get("Transfer-Encoding") != ""
	hasBody := req.Body != nil && req.Body != http.NoBody
	switch {
	case hasBody && req.ContentLength > 0 && !framed:
		lines = append(lines, "Content-Length: "+strconv.FormatInt(req.ContentLength, 10))
	case !hasBody && req.ContentLength == 0 && (req.Method == "POST" || req.Method == "PUT" || req.Method == "PATCH"):
		lines = append(lines, "Content-Length: 0")
	}
	return append(lines, "")
}

// verboseField formats a header field for -v, with credentials redacted
// and control characters quoted.
func verboseField(name, value string) string {
	if strings.EqualFold(name, "Authorization") || strings.EqualFold(name, "Proxy-Authorization") {
		if scheme, _, ok := strings.Cut(value, " "); ok {
			value = scheme + " [redacted]"
		} else {
			value = "[redacted]"
		}
	}
	return printable(name) + ": " + printable(value)
}

// transfer is what -w reports on.
type transfer struct {
	start, end time.Time
	url        string // as given, for a request that got no response
	method     string
	log        *exchangeLog
	resp       *fetch.Response // nil without a response
	err        error           // why there is no response
	size       int64           // body bytes written
	upload     int64           // request body bytes
	filename   string          // the file written (-o, -O, -J), "" for stdout or none
}

// finalHead returns the final response's head as received, or one made
// from the response for file: and data: URLs.
func (t *transfer) finalHead() *head {
	if n := len(t.log.heads); n > 0 {
		return t.log.heads[n-1]
	}
	if t.resp == nil {
		return nil
	}
	return &head{proto: t.resp.Proto, status: t.resp.Status, code: t.resp.StatusCode, header: t.resp.Header}
}

// redirects returns the number of redirects followed.
func (t *transfer) redirects() int {
	if t.resp != nil {
		return len(t.resp.History)
	}
	return max(len(t.failedHops())-1, 0)
}

// failedHops returns the requests of a redirect chain that failed (too
// many redirects, one refused), which -w's variables describe as curl's
// do: the URL requested last, not the URL given; nil for another failure.
func (t *transfer) failedHops() []fetch.Hop {
	var re *fetch.RedirectError
	if errors.As(t.err, &re) {
		return re.Hops
	}
	return nil
}

// lastHop returns the last request of a failed redirect chain, or nil.
func (t *transfer) lastHop() *fetch.Hop {
	if hops := t.failedHops(); len(hops) > 0 {
		return &hops[len(hops)-1]
	}
	return nil
}

// variable returns the value of the -w variable name.
func (t *transfer) variable(name string) (string, bool) {
	h := t.finalHead()
	secs := func(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 6, 64) }
	var tm fetch.Timings
	if t.resp != nil && t.resp.Timings != nil {
		tm = *t.resp.Timings
	}
	rel := func(at time.Time) time.Duration {
		if at.IsZero() || tm.Start.IsZero() {
			return 0
		}
		return at.Sub(tm.Start)
	}
	dns := rel(tm.DNSDone)
	connect := max(rel(tm.ConnectDone), dns)
	pre := max(connect, rel(tm.TLSDone))
	total := t.end.Sub(t.start)
	switch name {
	case "http_code", "response_code":
		code := 0
		if h != nil {
			code = h.code
		}
		return fmt.Sprintf("%03d", code), true
	case "http_version":
		if t.resp == nil || t.resp.Proto == "" {
			return "0", true
		}
		v := strings.TrimPrefix(t.resp.Proto, "HTTP/")
		if v == "2.0" {
			v = "2"
		}
		return v, true
	case "method":
		if t.resp != nil {
			return t.resp.Method, true
		}
		if last := t.lastHop(); last != nil {
			return last.Method, true
		}
		return t.method, true
	case "url_effective":
		// The URL itself, for a script to use: only a password masked,
		// and "/" for an empty path, as it was requested (curl's).
		u := t.url
		if t.resp != nil {
			u = t.resp.URL
		} else if last := t.lastHop(); last != nil {
			u = last.URL
		}
		return rootPath(passwordMasked(u)), true
	case "redirect_url":
		return t.redirectURL(), true
	case "header_json":
		return headerJSON(h), true
	case "num_headers":
		if h == nil {
			return "0", true
		}
		return strconv.Itoa(len(h.list())), true
	case "num_redirects":
		return strconv.Itoa(t.redirects()), true
	case "filename_effective":
		return t.filename, true
	case "content_type":
		if h == nil {
			return "", true
		}
		return h.header.Get("Content-Type"), true
	case "size_download":
		return strconv.FormatInt(t.size, 10), true
	case "size_header":
		n := 0
		for _, h := range t.log.heads {
			n += len(h.bytes())
		}
		return strconv.Itoa(n), true
	case "size_upload":
		return strconv.FormatInt(t.upload, 10), true
	case "speed_download", "speed_upload":
		n := t.size
		if name == "speed_upload" {
			n = t.upload
		}
		if total <= 0 {
			return "0", true
		}
		return strconv.FormatInt(int64(float64(n)/total.Seconds()), 10), true
	case "time_namelookup":
		return secs(dns), true
	case "time_connect":
		return secs(connect), true
	case "time_appconnect":
		return secs(rel(tm.TLSDone)), true
	case "time_pretransfer":
		return secs(pre), true
	case "time_starttransfer":
		return secs(max(rel(tm.FirstByte), pre)), true
	case "time_redirect":
		if t.redirects() == 0 || tm.Start.IsZero() {
			return secs(0), true
		}
		return secs(tm.Start.Sub(t.start)), true
	case "time_total":
		return secs(total), true
	}
	return "", false
}

// redirectURL returns -w's %{redirect_url}: where the final response's
// redirect would have gone, not followed (--no-location, or a chain
// --max-redirs or a refusal ended), its Location resolved against the
// URL that sent it; "" when the final response is no redirect.
func (t *transfer) redirectURL() string {
	var base, loc string
	switch last := t.lastHop(); {
	case t.resp != nil:
		if t.resp.StatusCode/100 != 3 {
			return ""
		}
		base, loc = t.resp.URL, t.resp.Header.Get("Location")
	case last != nil:
		base, loc = last.URL, last.Location
	}
	if loc == "" {
		return ""
	}
	u, err := urlx.Join(base, loc)
	if err != nil {
		return ""
	}
	return rootPath(passwordMasked(u))
}

// rootPath returns the absolute URL u with "/" as its path when it has
// none ("http://h:8080?q" is requested as "http://h:8080/?q").
func rootPath(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok || strings.ContainsAny(scheme, ":/?#") { // "data:,a://b" has no authority
		return u
	}
	end := strings.IndexAny(rest, "/?#")
	switch {
	case end < 0:
		return u + "/"
	case rest[end] != '/':
		at := len(u) - len(rest) + end
		return u[:at] + "/" + u[at:]
	}
	return u
}

// headerJSON returns -w's %{header_json}, as curl writes it: an object
// of the final response's fields, names lower-cased in the order first
// received, each with the array of its values, one name a line.
func headerJSON(h *head) string {
	var names []string
	values := make(map[string][]string)
	add := func(name, value string) {
		k := strings.ToLower(name)
		if _, ok := values[k]; !ok {
			names = append(names, k)
		}
		values[k] = append(values[k], value)
	}
	if h != nil {
		for _, f := range h.list() {
			add(f.Name, f.Value)
		}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	b.WriteByte('{')
	for i, k := range names {
		if i > 0 {
			b.WriteString(",\n")
		}
		enc.Encode(k)
		b.Truncate(b.Len() - 1) // Encode's newline
		b.WriteByte(':')
		enc.Encode(values[k])
		b.Truncate(b.Len() - 1)
	}
	b.WriteString("\n}")
	return b.String()
}

// writeOut writes the -w format for t to stdout.
func (e *env) writeOut(format string, t *transfer, silent bool) error {
	if format == "" {
		return nil
	}
	var b strings.Builder
	out := e.stdout
	for i := 0; i < len(format); i++ {
		c := format[i]
		rest := format[i+1:]
		switch {
		case c == '\\' && rest != "" && strings.IndexByte(`nrt\`, rest[0]) >= 0:
			b.WriteByte(unescape(rest[0]))
			i++
		case c == '%' && strings.HasPrefix(rest, "%"):
			b.WriteByte('%')
			i++
		case c == '%' && (strings.HasPrefix(rest, "{") || strings.HasPrefix(rest, "header{")):
			open := strings.IndexByte(rest, '{')
			end := strings.IndexByte(rest, '}')
			if end < 0 {
				b.WriteString(format[i:])
				i = len(format)
				continue
			}
			name := rest[open+1 : end]
			if open > 0 { // %header{NAME}
				if h := t.finalHead(); h != nil {
					b.WriteString(strings.Join(h.header.Values(name), ", "))
				}
			} else if name == "stdout" || name == "stderr" {
				// What follows goes to that stream, as curl's.
				if _, err := io.WriteString(out, b.String()); err != nil {
					return fmt.Errorf("writing output: %w", err)
				}
				b.Reset()
				out = e.stdout
				if name == "stderr" {
					out = e.stderr
				}
			} else if v, ok := t.variable(name); ok {
				b.WriteString(v)
			} else if !silent {
				e.errorf("warning: unknown --write-out variable %s", printable("%{"+name+"}"))
			}
			i += end + 1
		default:
			b.WriteByte(c)
		}
	}
	if _, err := io.WriteString(out, b.String()); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	return nil
}

// unescape returns the byte a -w escape stands for: a newline for the n of
// "\n", a tab for t, a carriage return for r, c itself otherwise.
func unescape(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	}
	return c
}
