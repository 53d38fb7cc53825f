package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/grabhq/grab/urlx"
)

const urlLong = `The url commands are Python's urllib.parse at the shell, with CPython 3.11's
semantics exactly (see package urlx): split, parse, unsplit, unparse, join,
defrag, quote, unquote, encode and qs (parse_qsl and parse_qs).

Each command takes its inputs as arguments or, with none, one input per line
of stdin (an empty line too; unsplit, unparse and encode skip it), and
writes one result per input to stdout. Plain output is meant
for people and cut/awk; --json writes one JSON value per line for jq and for
piping into another url command (split --json | unsplit). A field printed in
plain output that holds a control character or invalid UTF-8 is written as a
Go-quoted string. An input that fails is reported on stderr
("grab: url split: urlx: ...") and the others still run; the exit status is
then 1.`

// newURL returns "grab url" and its subcommands.
func newURL(e *env) *cobra.Command {
	c := &cobra.Command{
		Use:   "url",
		Short: "Split, join, quote and unquote URLs as Python's urllib.parse does",
		Long:  urlLong,
		Example: `  grab url split 'http://www.python.org:80/guido/python.html;philosophy?overall=3#n10'
  grab url join http://a/b/c/d ../g
  grab url quote 'a b/c'
  grab url encode query=python lang=go
  grab url qs 'a=1&a=2&b=x+y'
  grab url split --json http://h/p | grab url unsplit`,
	}
	c.AddCommand(
		newURLSplit(e, false),
		newURLSplit(e, true),
		newURLUnsplit(e, false),
		newURLUnsplit(e, true),
		newURLJoin(e),
		newURLDefrag(e),
		newURLQuote(e, false),
		newURLQuote(e, true),
		newURLEncode(e),
		newURLQS(e),
	)
	return c
}

// output writes a url command's results: plain lines or JSON lines.
type output struct {
	w    *bufio.Writer
	json bool
}

func newOutput(w io.Writer, asJSON bool) *output {
	return &output{w: bufio.NewWriter(w), json: asJSON}
}

// value writes v as one JSON line, or the plain fields on one line, each
// made safe for a terminal (printable) and joined by tabs.
func (o *output) value(v any, fields ...string) {
	if o.json {
		o.jsonLine(v)
		return
	}
	for i, f := range fields {
		if i > 0 {
			o.w.WriteByte('\t')
		}
		o.w.WriteString(printable(f))
	}
	o.w.WriteByte('\n')
}

// flush writes what is buffered to stdout.
func (o *output) flush() error {
	if err := o.w.Flush(); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	return nil
}

func (o *output) jsonLine(v any) {
	enc := json.NewEncoder(o.w)
	enc.SetEscapeHTML(false)
	enc.Encode(v) // writes to a bufio.Writer: errors surface at flush
}

// field writes "name: value" with value made safe for a terminal.
func (o *output) field(name, value string) {
	o.w.WriteString(name)
	o.w.WriteString(": ")
	o.w.WriteString(printable(value))
	o.w.WriteByte('\n')
}

// printable returns s, or s Go-quoted when it holds a control character or
// invalid UTF-8, so plain output never sends escape sequences to a terminal
// (HOSTILE.md P2) nor splits a record over lines.
func printable(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c == 0x7f {
			return strconv.Quote(s)
		}
	}
	if !utf8.ValidString(s) {
		return strconv.Quote(s)
	}
	for _, r := range s {
		if r >= 0x80 && r < 0xa0 { // C1 controls
			return strconv.Quote(s)
		}
	}
	return s
}

// each runs f for every input of a url command, reports the inputs that
// fail on stderr, and returns errSilentFailure when any did. An empty line
// of stdin is an input (an empty URL, query or string).
func (e *env) each(cmd *cobra.Command, args []string, out *output, f func(in string) error) error {
	return e.eachInput(cmd, args, out, false, f)
}

// eachRecord is each for the commands that read a URL's parts or fields
// from each line of stdin (unsplit, unparse, encode): an empty line is
// skipped.
func (e *env) eachRecord(cmd *cobra.Command, out *output, f func(line string) error) error {
	return e.eachInput(cmd, nil, out, true, f)
}

func (e *env) eachInput(cmd *cobra.Command, args []string, out *output, skipEmpty bool, f func(in string) error) error {
	failed := false
	for in, err := range inputs(args, e.stdin) {
		if err != nil {
			out.w.Flush()
			return err
		}
		if in == "" && skipEmpty {
			continue
		}
		if err := cmd.Context().Err(); err != nil {
			return err
		}
		if err := f(in); err != nil {
			out.w.Flush() // keep stdout and stderr in input order
			e.errorf("%s: %v", cmd.CommandPath()[len("grab "):], err)
			failed = true
		}
	}
	if err := out.flush(); err != nil {
		return err
	}
	if failed {
		return errSilentFailure
	}
	return nil
}

// splitJSON is the JSON form of a split or parse result: CPython's fields,
// with null where CPython gives None.
type splitJSON struct {
	Input         string  `json:"input"`
	Scheme        string  `json:"scheme"`
	Netloc        string  `json:"netloc"`
	Path          string  `json:"path"`
	Params        *string `json:"params,omitempty"`
	Query         string  `json:"query"`
	Fragment      string  `json:"fragment"`
	Username      *string `json:"username"`
	Password      *string `json:"password"`
	Hostname      *string `json:"hostname"`
	Port          *int    `json:"port"`
	PortError     string  `json:"port_error,omitempty"`
	ASCIIHostname string  `json:"ascii_hostname,omitempty"`
}

func opt(s string, ok bool) *string {
	if !ok {
		return nil
	}
	return &s
}

func newURLSplit(e *env, params bool) *cobra.Command {
	name, fn := "split", "urlsplit"
	if params {
		name, fn = "parse", "urlparse"
	}
	var (
		o      urlx.Options
		asJSON bool
	)
	c := &cobra.Command{
		Use:   name + " [URL...]",
		Short: "Split URLs into their parts (" + fn + ")",
		Long: `Split each URL into scheme, netloc, path` + map[bool]string{true: `, params`, false: ``}[params] + `, query and fragment as
CPython's ` + fn + ` does, with the netloc's username, password, hostname and
port. Plain output is one "name: value" line a part, a blank line between
URLs; a part CPython gives as None is left out. With --json, one object a URL,
with null for None, port_error where reading the port fails, and
ascii_hostname, the IDNA form of the host that a Go client dials.`,
		Example: "  grab url " + name + " 'http://www.python.org:80/guido/python.html;philosophy?overall=3#n10'",
		RunE: func(cmd *cobra.Command, args []string) error {
			out := newOutput(e.stdout, asJSON)
			first := true
			return e.each(cmd, args, out, func(in string) error {
				// acc carries the netloc accessors, the same for both results;
				// parts are the fields to print, in CPython's order.
				var (
					acc   urlx.SplitResult
					parts [][2]string
				)
				if params {
					p, err := o.Parse(in)
					if err != nil {
						return err
					}
					acc = urlx.SplitResult{Scheme: p.Scheme, Netloc: p.Netloc, Path: p.Path, Query: p.Query, Fragment: p.Fragment}
					parts = [][2]string{{"scheme", p.Scheme}, {"netloc", p.Netloc}, {"path", p.Path}, {"params", p.Params}, {"query", p.Query}, {"fragment", p.Fragment}}
				} else {
					r, err := o.Split(in)
					if err != nil {
						return err
					}
					acc = r
					parts = [][2]string{{"scheme", r.Scheme}, {"netloc", r.Netloc}, {"path", r.Path}, {"query", r.Query}, {"fragment", r.Fragment}}
				}
				user, hasUser := acc.Username()
				pass, hasPass := acc.Password()
				host, hasHost := acc.Hostname()
				port, hasPort, perr := acc.Port()
				ascii, aerr := "", error(nil)
				if hasHost {
					ascii, aerr = acc.ASCIIHostname()
				}
				if asJSON {
					j := splitJSON{Input: in, Scheme: acc.Scheme, Netloc: acc.Netloc, Path: acc.Path, Query: acc.Query, Fragment: acc.Fragment,
						Username: opt(user, hasUser), Password: opt(pass, hasPass), Hostname: opt(host, hasHost)}
					if params {
						j.Path, j.Params = parts[2][1], &parts[3][1]
					}
					if hasPort {
						j.Port = &port
					}
					if perr != nil {
						j.PortError = perr.Error()
					}
					if aerr == nil {
						j.ASCIIHostname = ascii
					}
					out.jsonLine(j)
					return nil
				}
				if !first {
					out.w.WriteByte('\n')
				}
				first = false
				for _, kv := range parts {
					out.field(kv[0], kv[1])
				}
				if hasUser {
					out.field("username", user)
				}
				if hasPass {
					out.field("password", pass)
				}
				if hasHost {
					out.field("hostname", host)
					if aerr == nil && ascii != host {
						out.field("ascii_hostname", ascii)
					}
				}
				if hasPort {
					out.field("port", strconv.Itoa(port))
				}
				if perr != nil {
					out.field("port_error", perr.Error())
				}
				return nil
			})
		},
	}
	c.Flags().StringVar(&o.Scheme, "scheme", "", "scheme for URLs that name none (urlsplit's scheme argument)")
	c.Flags().BoolVar(&o.NoFragments, "no-fragments", false, "keep '#' in the path or query (allow_fragments=False)")
	c.Flags().BoolVar(&asJSON, "json", false, "write one JSON object per URL")
	return c
}

// componentNames are the parts unsplit and unparse take, in order.
var componentNames = [2][]string{
	{"scheme", "netloc", "path", "query", "fragment"},
	{"scheme", "netloc", "path", "params", "query", "fragment"},
}

func newURLUnsplit(e *env, params bool) *cobra.Command {
	name, fn, names := "unsplit", "urlunsplit", componentNames[0]
	if params {
		name, fn, names = "unparse", "urlunparse", componentNames[1]
	}
	upper := strings.ToUpper(strings.Join(names, " "))
	var asJSON bool
	c := &cobra.Command{
		Use:   name + " [" + upper + "]",
		Short: "Put URL parts back together (" + fn + ")",
		Long: `Join URL parts into a URL as CPython's ` + fn + ` does. With arguments, the
` + strconv.Itoa(len(names)) + ` parts are given in order (` + strings.Join(names, ", ") + `; "" for an
empty one). Without, each stdin line is one URL's parts: a JSON object with
those keys (as written by "grab url ` + map[bool]string{false: "split", true: "parse"}[params] + ` --json"), a JSON array of ` + strconv.Itoa(len(names)) + `
strings, or ` + strconv.Itoa(len(names)) + ` tab-separated fields.`,
		Example: "  grab url " + name + " https example.com /a" + map[bool]string{true: " ''", false: ""}[params] + " x=1 top\n  grab url split --json http://h/p?q | grab url " + name,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 0 && len(args) != len(names) {
				return usageErrorf("%s takes %d arguments (%s) or none, got %d", name, len(names), strings.Join(names, ", "), len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			out := newOutput(e.stdout, asJSON)
			write := func(parts []string) {
				var u string
				if params {
					u = urlx.Unparse(urlx.ParseResult{Scheme: parts[0], Netloc: parts[1], Path: parts[2], Params: parts[3], Query: parts[4], Fragment: parts[5]})
				} else {
					u = urlx.Unsplit(urlx.SplitResult{Scheme: parts[0], Netloc: parts[1], Path: parts[2], Query: parts[3], Fragment: parts[4]})
				}
				out.value(u, u)
			}
			if len(args) > 0 {
				write(args)
				return out.flush()
			}
			return e.eachRecord(cmd, out, func(in string) error {
				parts, err := components(in, names)
				if err != nil {
					return err
				}
				write(parts)
				return nil
			})
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "write each URL as a JSON string")
	return c
}

// components reads one URL's parts from a line: a JSON object, a JSON
// array, or tab-separated fields. A line that starts with a tab (an empty
// first field) is tab-separated, whatever comes next ("\t[::1]:80\t/").
func components(line string, names []string) ([]string, error) {
	trimmed := strings.TrimSpace(line)
	if strings.HasPrefix(strings.TrimLeft(line, " "), "\t") {
		trimmed = ""
	}
	switch {
	case strings.HasPrefix(trimmed, "{"):
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(trimmed), &m); err != nil {
			return nil, fmt.Errorf("reading JSON object: %w", err)
		}
		parts := make([]string, len(names))
		for i, n := range names {
			raw, ok := m[n]
			if !ok {
				continue
			}
			if err := json.Unmarshal(raw, &parts[i]); err != nil { // null leaves ""
				return nil, fmt.Errorf("JSON field %q: want a string", n)
			}
		}
		return parts, nil
	case strings.HasPrefix(trimmed, "["):
		var raw []json.RawMessage
		if err := json.Unmarshal([]byte(trimmed), &raw); err != nil {
			return nil, fmt.Errorf("reading JSON array: %w", err)
		}
		if len(raw) != len(names) {
			return nil, fmt.Errorf("JSON array has %d parts, want %d (%s)", len(raw), len(names), strings.Join(names, ", "))
		}
		parts := make([]string, len(names))
		for i, r := range raw {
			if json.Unmarshal(r, &parts[i]) != nil { // null leaves ""
				return nil, fmt.Errorf("JSON array part %d (%s): want a string", i+1, names[i])
			}
		}
		return parts, nil
	}
	parts := strings.Split(line, "\t")
	if len(parts) != len(names) {
		return nil, fmt.Errorf("line has %d tab-separated fields, want %d (%s)", len(parts), len(names), strings.Join(names, ", "))
	}
	return parts, nil
}

func newURLJoin(e *env) *cobra.Command {
	var (
		noFrag bool
		asJSON bool
	)
	c := &cobra.Command{
		Use:   "join BASE [REF...]",
		Short: "Resolve references against a base URL (urljoin)",
		Long: `Resolve each REF against BASE as CPython's urljoin does, one URL a line. Without
REF arguments, each stdin line is a reference.`,
		Example: "  grab url join http://a/b/c/d ../g '?y' //other/x\n  printf '%s\\n' img/a.png /b.png | grab url join http://127.0.0.1:8888/gallery/3.html",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			base := args[0]
			out := newOutput(e.stdout, asJSON)
			o := urlx.Options{NoFragments: noFrag}
			return e.each(cmd, args[1:], out, func(ref string) error {
				u, err := o.Join(base, ref)
				if err != nil {
					return err
				}
				out.value(u, u)
				return nil
			})
		},
	}
	c.Flags().BoolVar(&noFrag, "no-fragments", false, "keep '#' in the path or query (allow_fragments=False)")
	c.Flags().BoolVar(&asJSON, "json", false, "write each URL as a JSON string")
	return c
}

func newURLDefrag(e *env) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "defrag [URL...]",
		Short: "Take the fragment off URLs (urldefrag)",
		Long: `Remove the fragment from each URL as CPython's urldefrag does. Plain output is
the URL, a tab and the fragment (empty when there was none); --json writes
{"url": ..., "fragment": ...}.`,
		Example: "  grab url defrag 'http://a/b?c#section-2'",
		RunE: func(cmd *cobra.Command, args []string) error {
			out := newOutput(e.stdout, asJSON)
			return e.each(cmd, args, out, func(in string) error {
				u, frag, err := urlx.Defrag(in)
				if err != nil {
					return err
				}
				out.value(map[string]string{"url": u, "fragment": frag}, u, frag)
				return nil
			})
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, `write {"url", "fragment"} objects`)
	return c
}

func newURLQuote(e *env, unquote bool) *cobra.Command {
	var (
		safe   string
		plus   bool
		asJSON bool
	)
	name := "quote"
	if unquote {
		name = "unquote"
	}
	c := &cobra.Command{
		Use:   name + " [TEXT...]",
		Short: map[bool]string{false: "Percent-encode text (quote, quote_plus)", true: "Decode percent-escapes (unquote, unquote_plus)"}[unquote],
		Long: map[bool]string{
			false: `Percent-encode each TEXT as CPython's quote does: every byte of its UTF-8 form
except ASCII letters, digits, "_.-~" and the characters of --safe (default
"/") becomes %XX. With --plus, quote_plus: a space becomes "+" and --safe
defaults to "".`,
			true: `Decode the %XX escapes of each TEXT as CPython's unquote does: as UTF-8, with
an invalid sequence replaced by U+FFFD. With --plus, unquote_plus: "+" is a
space first. A result holding a control character is written Go-quoted, as
every plain output field is; --json gives the string itself (jq -r).`,
		}[unquote],
		Example: map[bool]string{false: "  grab url quote 'a b/c'\n  grab url quote --plus --safe '' 'python web'", true: "  grab url unquote 'caf%C3%A9'\n  grab url unquote --plus 'a+b%2B'"}[unquote],
		RunE: func(cmd *cobra.Command, args []string) error {
			if !unquote && plus && !cmd.Flags().Changed("safe") {
				safe = ""
			}
			out := newOutput(e.stdout, asJSON)
			return e.each(cmd, args, out, func(in string) error {
				var s string
				switch {
				case unquote && plus:
					s = urlx.UnquotePlus(in)
				case unquote:
					s = urlx.Unquote(in)
				case plus:
					s = urlx.QuotePlus(in, safe)
				default:
					s = urlx.Quote(in, safe)
				}
				out.value(s, s)
				return nil
			})
		},
	}
	if !unquote {
		c.Flags().StringVar(&safe, "safe", "/", `characters not to encode ("" with --plus unless given)`)
	}
	c.Flags().BoolVar(&plus, "plus", false, map[bool]string{false: "quote_plus: encode a space as '+'", true: "unquote_plus: read '+' as a space"}[unquote])
	c.Flags().BoolVar(&asJSON, "json", false, "write each result as a JSON string")
	return c
}

func newURLEncode(e *env) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "encode [KEY=VALUE...]",
		Short: "Build a query string from names and values (urlencode)",
		Long: `Encode names and values into one query string as CPython's urlencode does
(quote_plus on each, joined by "&"), in the order given. Each argument is
KEY=VALUE, split at the first "="; a KEY given several times gives several
fields, as urlencode(..., doseq=True) does with a list. Without arguments,
each stdin line is one query's fields: a JSON object of names to strings or
lists of strings, or a JSON array of [name, value] pairs (as "grab url qs
--json" writes them), and one query is written per line.`,
		Example: "  grab url encode query=python 'lang=c++' lang=go\n  echo '{\"q\": \"web scraping\", \"tag\": [\"go\", \"python\"]}' | grab url encode",
		RunE: func(cmd *cobra.Command, args []string) error {
			out := newOutput(e.stdout, asJSON)
			if len(args) > 0 {
				pairs := make([]urlx.Pair, 0, len(args))
				for _, a := range args {
					k, v, _ := strings.Cut(a, "=")
					pairs = append(pairs, urlx.Pair{Key: k, Value: v})
				}
				q := urlx.Encode(pairs)
				out.value(q, q)
				return out.flush()
			}
			return e.eachRecord(cmd, out, func(line string) error {
				pairs, err := jsonPairs(line)
				if err != nil {
					return err
				}
				q := urlx.Encode(pairs)
				out.value(q, q)
				return nil
			})
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "write each query as a JSON string")
	return c
}

// jsonPairs reads a line of encode's stdin: a JSON object (keys in the
// order written; a value is a string or a list of strings) or an array of
// [name, value] pairs.
func jsonPairs(line string) ([]urlx.Pair, error) {
	dec := json.NewDecoder(strings.NewReader(line))
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("reading JSON: %w", err)
	}
	var pairs []urlx.Pair
	switch tok {
	case json.Delim('['):
		for dec.More() {
			var p []*string
			if err := dec.Decode(&p); err != nil || len(p) != 2 || p[0] == nil || p[1] == nil {
				return nil, errors.New("JSON array: want [name, value] pairs of strings")
			}
			pairs = append(pairs, urlx.Pair{Key: *p[0], Value: *p[1]})
		}
	case json.Delim('{'):
		// A name given twice keeps its place and takes the last value, as
		// a Python dict read by json.loads does.
		var keys []string
		values := map[string][]string{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, fmt.Errorf("reading JSON: %w", err)
			}
			key := kt.(string)
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return nil, fmt.Errorf("reading JSON: %w", err)
			}
			var s *string
			var list []*string
			var vs []string
			switch {
			case json.Unmarshal(raw, &s) == nil && s != nil:
				vs = []string{*s}
			case json.Unmarshal(raw, &list) == nil && list != nil && !slices.Contains(list, nil):
				for _, v := range list {
					vs = append(vs, *v)
				}
			default:
				return nil, fmt.Errorf("JSON field %q: want a string or a list of strings", key)
			}
			if _, ok := values[key]; !ok {
				keys = append(keys, key)
			}
			values[key] = vs
		}
		for _, k := range keys {
			for _, v := range values[k] {
				pairs = append(pairs, urlx.Pair{Key: k, Value: v})
			}
		}
	default:
		return nil, errors.New("want a JSON object or array")
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("reading JSON: %w", err)
	}
	if dec.More() {
		return nil, errors.New("trailing data after JSON")
	}
	return pairs, nil
}

// qsMap is parse_qs's dict: names to lists of values, in the order the
// names first appear, as a Python dict keeps them.
type qsMap struct {
	keys  []string
	lists map[string][]string
}

// MarshalJSON writes the names in their order, '<', '>' and '&' as they
// are (as jsonLine writes the other forms).
func (m qsMap) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	b.WriteByte('{')
	for i, k := range m.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := enc.Encode(k); err != nil {
			return nil, err
		}
		b.Truncate(b.Len() - 1) // Encode's newline
		b.WriteByte(':')
		if err := enc.Encode(m.lists[k]); err != nil {
			return nil, err
		}
		b.Truncate(b.Len() - 1)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func newURLQS(e *env) *cobra.Command {
	var (
		o      urlx.QueryOptions
		asJSON bool
		asMap  bool
	)
	c := &cobra.Command{
		Use:   "qs [QUERY...]",
		Short: "Parse query strings (parse_qsl, parse_qs)",
		Long: `Parse each QUERY (the part after "?", without it) as CPython's parse_qsl does:
fields split on "&" only, "+" read as a space, escapes decoded as UTF-8.
Plain output is "name<TAB>value" a field, a blank line between queries;
--json writes each query as an array of [name, value] pairs, --map as
parse_qs's object of names to lists of values. At most --max-fields fields
are read (default 10000; -1 for no limit).`,
		Example: "  grab url qs 'a=1&a=2&b=x+y'\n  grab url qs --map --keep-blank 'a=1&b='",
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.MaxFields == 0 || o.MaxFields < -1 {
				// urlx reads 0 as its default: say so rather than use it.
				return usageErrorf("--max-fields %d: want 1 or more, or -1 for no limit", o.MaxFields)
			}
			if o.Separator == "" {
				// urlx reads "" as "&"; CPython refuses it (ValueError).
				return usageErrorf(`--separator "": want one or more characters, such as "&" or ";"`)
			}
			out := newOutput(e.stdout, asJSON || asMap)
			first := true
			return e.each(cmd, args, out, func(qs string) error {
				pairs, err := o.ParseQSL(qs)
				if err != nil {
					return err
				}
				switch {
				case asMap:
					m := qsMap{lists: map[string][]string{}}
					for _, p := range pairs {
						if _, ok := m.lists[p.Key]; !ok {
							m.keys = append(m.keys, p.Key)
						}
						m.lists[p.Key] = append(m.lists[p.Key], p.Value)
					}
					out.jsonLine(m)
				case asJSON:
					list := make([][2]string, 0, len(pairs))
					for _, p := range pairs {
						list = append(list, [2]string{p.Key, p.Value})
					}
					out.jsonLine(list)
				default:
					if !first {
						out.w.WriteByte('\n')
					}
					first = false
					for _, p := range pairs {
						out.value(nil, p.Key, p.Value)
					}
				}
				return nil
			})
		},
	}
	c.Flags().BoolVar(&o.KeepBlank, "keep-blank", false, "keep fields with empty values (keep_blank_values=True)")
	c.Flags().BoolVar(&o.Strict, "strict", false, "fail on a field without '=' (strict_parsing=True)")
	c.Flags().StringVar(&o.Separator, "separator", "&", "field separator")
	c.Flags().IntVar(&o.MaxFields, "max-fields", urlx.DefaultMaxFields, "most fields read from one query; -1 for no limit")
	c.Flags().BoolVar(&asJSON, "json", false, "write each query as a JSON array of [name, value] pairs")
	c.Flags().BoolVar(&asMap, "map", false, "write each query as a JSON object of lists (parse_qs)")
	return c
}
