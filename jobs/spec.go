package jobs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"
)

// MaxFileBytes caps the size of a job file Load reads.
const MaxFileBytes = 1 << 20

// Defaults of a job file's settings, used where the file leaves them out.
const (
	DefaultConcurrency  = 4
	DefaultMaxItems     = 10000
	DefaultMaxPageBytes = 16 << 20
	DefaultMaxFileBytes = 1 << 30
	DefaultRetries      = 2
	DefaultKeepRuns     = 50
	DefaultRequest      = 5 * time.Minute
)

// Job is a job file: what to fetch, what to take from it, where to put it,
// and when. Load and Parse fill it and check it; the zero value of a field
// means its documented default. Relative paths in it are relative to the
// directory of the job file.
type Job struct {
	// Name names the job in reports, logs and file names: 1 to 64 of
	// [a-zA-Z0-9._-], starting with a letter or digit. Required.
	Name string `yaml:"name"`
	// Schedule is when grab job schedule runs the job: a cron expression
	// of 5 fields, or 6 with seconds first, a descriptor (@hourly, @daily,
	// @weekly, @monthly, @yearly), or "@every DURATION". grab job run
	// ignores it; an empty Schedule is only refused by schedule.
	Schedule string `yaml:"schedule"`
	// Timezone is the IANA zone cron expressions are read in ("UTC",
	// "Europe/Paris"); "" means the process's local zone, as cron does.
	Timezone string `yaml:"timezone"`
	// Targets are the pages to fetch.
	Targets Targets `yaml:"targets"`
	// Extract says what to take from each page.
	Extract Extract `yaml:"extract"`
	// Download, when present, downloads the extracted items of its kinds.
	Download *Download `yaml:"download"`
	// Output says where each run's report goes.
	Output Output `yaml:"output"`
	// State is the bbolt file kept between runs; "" means NAME.state in
	// the output directory.
	State string `yaml:"state"`
	// Limits bound a run.
	Limits Limits `yaml:"limits"`
	// Timeouts bound its requests and the whole run.
	Timeouts Timeouts `yaml:"timeouts"`
	// Retries is how many times a failed idempotent request (connection
	// error, 429, 503) is tried again; nil means DefaultRetries, 0 none.
	Retries *int `yaml:"retries"`
	// Headers are sent with every request.
	Headers map[string]string `yaml:"headers"`
	// UserAgent replaces grab's User-Agent.
	UserAgent string `yaml:"user_agent"`
	// Auth holds credentials for the targets' origins.
	Auth *Auth `yaml:"auth"`
	// Cookies loads cookies to send.
	Cookies *Cookies `yaml:"cookies"`
	// Proxy sends the requests through a proxy; without it the standard
	// proxy environment variables apply (never to loopback).
	Proxy *Proxy `yaml:"proxy"`

	// Path is the file the job was loaded from ("" for Parse without a
	// name); relative paths are resolved against its directory.
	Path string `yaml:"-"`
	dir  string
}

// Targets are the pages a job fetches: fixed URLs, or a crawl.
type Targets struct {
	// URLs are fetched as they are, http and https only, without
	// credentials in them (use Auth).
	URLs []string `yaml:"urls"`
	// Crawl, when present, crawls from its seeds for more pages.
	Crawl *Crawl `yaml:"crawl"`
}

// Crawl is a crawl spec: the pages reached from Seeds by links, within a
// scope, up to a depth.
type Crawl struct {
	Seeds []string `yaml:"seeds"`
	// Depth is how many links away from a seed a page may be; 0 means 1.
	// The crawl runs when a run starts (with grab's crawl package); the
	// pages it reaches are then the run's pages, beside URLs.
	Depth int `yaml:"depth"`
	// MaxPages caps the pages visited; 0 means Limits.MaxItems.
	MaxPages int `yaml:"max_pages"`
	// Scope is "host" (a seed's host and port, the default), "domain"
	// (any host under a seed's registrable domain), "prefix" (URLs under
	// a seed's directory) or "any".
	Scope string `yaml:"scope"`
	// Allow and Deny are regular expressions URLs must and must not match.
	Allow []string `yaml:"allow"`
	Deny  []string `yaml:"deny"`
	// Robots honours robots.txt; nil means true.
	Robots *bool `yaml:"robots"`
	// Delay is the pause between two requests to one host.
	Delay Duration `yaml:"delay"`
}

// Extract says what a job takes from each page it fetches.
type Extract struct {
	// Images takes the page's images (img src and srcset, picture
	// sources), resolved against the page URL and its <base href>.
	Images bool `yaml:"images"`
	// Links takes the page's links (a href), resolved the same way.
	Links bool `yaml:"links"`
	// Fields takes named values by CSS selector into one record per
	// page. A field given as a plain string is its selector.
	Fields map[string]Field `yaml:"fields"`
}

// Field is a named value taken from a page by CSS selector.
type Field struct {
	// Selector is a CSS selector (goquery's syntax).
	Selector string `yaml:"selector"`
	// Attr takes an attribute's value instead of the element's text.
	Attr string `yaml:"attr"`
	// All takes every match as a list instead of the first.
	All bool `yaml:"all"`
}

// UnmarshalYAML lets a field be given as its selector alone.
func (f *Field) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		f.Selector = n.Value
		return nil
	}
	type plain Field
	return n.Decode((*plain)(f))
}

// Download says which extracted items a job downloads, and where.
type Download struct {
	// Dir is the directory files go to; "" means NAME-files beside the
	// job file.
	Dir string `yaml:"dir"`
	// Concurrency is the number of downloads at once; 0 means
	// DefaultConcurrency.
	Concurrency int `yaml:"concurrency"`
	// Naming is how a URL becomes a file name under Dir: "path" (the
	// default: HOST/PATH, as wget -x; /a/x and /a/x/y, which want a/x
	// as a file and as a directory, get it in the order they come, the
	// other a/x-HASH), "basename" (the last path
	// segment, as the textbook's download_image.py; a clash with another
	// URL's file gets a short hash of the URL added) or "hash" (SHA-256 of
	// the URL and the extension).
	Naming string `yaml:"naming"`
	// Kinds are the kinds of items downloaded: "images" (the default),
	// "links".
	Kinds []string `yaml:"kinds"`
}

// Output says where the run reports go.
type Output struct {
	// Dir is where each run's JSON lines report goes, as
	// run-NNNNNN.jsonl; "" means NAME-runs beside the job file.
	Dir string `yaml:"dir"`
	// Keep is how many runs the state file remembers; 0 means
	// DefaultKeepRuns. Report files are never deleted.
	Keep int `yaml:"keep"`
}

// Limits bound what one run does.
type Limits struct {
	// MaxItems caps the items of a run (pages, images, links, records);
	// 0 means DefaultMaxItems. Items past it are not fetched and the run
	// is partial.
	MaxItems int `yaml:"max_items"`
	// MaxPageBytes caps a page read for extraction; 0 means
	// DefaultMaxPageBytes.
	MaxPageBytes Size `yaml:"max_page_bytes"`
	// MaxFileBytes caps a downloaded file; 0 means DefaultMaxFileBytes.
	// A file over it fails (download.ErrTooLarge), and is not retried:
	// at once when the server declares its length, else once it passes.
	MaxFileBytes Size `yaml:"max_file_bytes"`
	// Concurrency is the number of pages fetched at once; 0 means
	// DefaultConcurrency.
	Concurrency int `yaml:"concurrency"`
}

// Timeouts bound a job's requests; zero means fetch's defaults, and for
// Request DefaultRequest.
type Timeouts struct {
	Connect Duration `yaml:"connect"`
	// Header bounds the wait for a response head.
	Header Duration `yaml:"header"`
	// Stall fails a body that sends nothing for this long.
	Stall Duration `yaml:"stall"`
	// Request bounds one request, body included.
	Request Duration `yaml:"request"`
	// Run bounds the whole run; 0 means none. A run past it is
	// interrupted and resumed by the next run.
	Run Duration `yaml:"run"`
}

// Auth holds credentials for the origins of a job's targets (URLs and crawl
// seeds), never sent to another origin. Secrets come from the environment
// or from files, never from the job file itself.
type Auth struct {
	// Basic sends these credentials with the first request.
	Basic *Credentials `yaml:"basic"`
	// Digest answers a Digest challenge with them.
	Digest *Credentials `yaml:"digest"`
	// Bearer sends "Authorization: Bearer TOKEN".
	Bearer *Secret `yaml:"bearer"`
	// Netrc reads credentials per host from a netrc file, sent as Basic
	// with the first request to a host it lists (curl -n).
	Netrc string `yaml:"netrc"`
}

// Credentials are a user name and a password from a secret.
type Credentials struct {
	User     string `yaml:"user"`
	Password Secret `yaml:"password"`
}

// Cookies are sent with the requests.
type Cookies struct {
	// File is a cookies.txt or JSON jar file to load (never written); lines
	// it cannot read are skipped with a warning in the run's log.
	File string `yaml:"file"`
	// Header is a literal "NAME=VALUE; N2=V2" Cookie field from a secret,
	// sent to the targets' origins.
	Header *Secret `yaml:"header"`
}

// Proxy sends a job's requests through a proxy.
type Proxy struct {
	// URL is the proxy: http, https, socks5 or socks5h, without
	// credentials (see User and Password).
	URL      string  `yaml:"url"`
	User     string  `yaml:"user"`
	Password *Secret `yaml:"password"`
	// NoProxy lists hosts reached directly, in NO_PROXY syntax.
	NoProxy string `yaml:"no_proxy"`
}

// Secret is a value read when a run starts, from an environment variable
// ({env: NAME}) or a file ({file: PATH}; one final newline is dropped).
// A secret written inline in a job file is refused.
type Secret struct {
	Env  string `yaml:"env"`
	File string `yaml:"file"`
}

// UnmarshalYAML refuses a secret written inline.
func (s *Secret) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		return nil // reported by the validator, with its key
	}
	type plain Secret
	return n.Decode((*plain)(s))
}

// Duration is a time.Duration written as "30s", "5m" or "1h30m".
type Duration time.Duration

// UnmarshalYAML reads a Go duration.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil || v < 0 {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf(
			"line %d: %q is not a duration (write 30s, 5m, 1h30m)", n.Line, n.Value)}}
	}
	*d = Duration(v)
	return nil
}

// Size is a byte count written as a number or with a unit: "512KiB",
// "8MiB", "1GiB", "10MB" (powers of 1000), "100B".
type Size int64

var sizeUnits = map[string]int64{
	"": 1, "b": 1,
	"k": 1 << 10, "kib": 1 << 10, "kb": 1000,
	"m": 1 << 20, "mib": 1 << 20, "mb": 1000 * 1000,
	"g": 1 << 30, "gib": 1 << 30, "gb": 1000 * 1000 * 1000,
}

// ParseSize reads a Size: digits, then optional spaces and a unit of
// letters, with spaces allowed around both.
func ParseSize(s string) (Size, error) {
	const space = " \t\n\f\r"
	t := strings.Trim(s, space)
	num := t[:len(t)-len(strings.TrimLeft(t, "0123456789"))]
	unitText := strings.TrimLeft(t[len(num):], space)
	if num == "" || strings.TrimLeft(unitText, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") != "" {
		return 0, fmt.Errorf("%q is not a size (write 8MiB, 512KiB, 1GiB)", s)
	}
	unit, ok := sizeUnits[strings.ToLower(unitText)]
	if !ok {
		return 0, fmt.Errorf("%q: unknown unit %q (use B, KiB, MiB, GiB, KB, MB, GB)", s, unitText)
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n > (1<<62)/unit {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return Size(n * unit), nil
}

// UnmarshalYAML reads a Size.
func (z *Size) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseSize(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil {
		if err == nil {
			err = errors.New("want a size such as 8MiB")
		}
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %v", n.Line, err)}}
	}
	*z = v
	return nil
}

// Problem is one thing wrong in a job file, at a line.
type Problem struct {
	Line, Column int    // 1-based; 0 when unknown
	Path         string // the key, as "download.naming" or "targets.urls[2]"
	Msg          string
}

func (p Problem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", p.Line)
	}
	if p.Path != "" {
		b.WriteString(p.Path + ": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// ValidationError lists every problem found in a job file, in line order.
type ValidationError struct {
	File     string
	Problems []Problem
}

func (e *ValidationError) Error() string {
	name := e.File
	if name == "" {
		name = "job file"
	}
	if len(e.Problems) == 1 {
		return name + ": " + e.Problems[0].String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d problems:", name, len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  " + p.String())
	}
	return b.String()
}

// Load reads, parses and checks the job file at path. Every problem is
// reported, each with its line, in a *ValidationError.
func Load(path string) (*Job, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, MaxFileBytes)
	}
	return Parse(data, path)
}

// Parse parses and checks a job file's content; path names it in errors
// and its directory anchors relative paths ("" means the current
// directory).
func Parse(data []byte, path string) (*Job, error) {
	j := &Job{Path: path}
	if path != "" {
		abs, err := filepath.Abs(filepath.Dir(path))
		if err != nil {
			return nil, err
		}
		j.dir = abs
	}
	v := &validator{}
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			v.add(0, "", "the file is empty")
		} else {
			v.add(lineOf(err.Error()), "", strings.TrimPrefix(trimLine(err.Error()), "yaml: "))
		}
		return nil, v.err(path)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		v.add(extra.Line, "", "more than one YAML document: a job file holds one job")
	}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	if doc.Kind != yaml.MappingNode {
		v.add(doc.Line, "", "a job file is a mapping of keys (name, schedule, targets, ...)")
		return nil, v.err(path)
	}
	v.walk(doc, reflect.TypeFor[Job](), "")
	// Decode what can be decoded, the first of each key alone (walk said
	// the duplicates, at which yaml would stop, hiding the file's other
	// problems); type errors come back with their lines. Unknown keys were
	// reported by walk, with their path and a suggestion.
	dropDuplicates(doc)
	aborted := false
	if err := doc.Decode(j); err != nil {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			aborted = true
			v.add(lineOf(err.Error()), "", trimLine(err.Error()))
		} else {
			for _, m := range te.Errors {
				if strings.Contains(m, " not found in type ") || v.typeErrs[m] {
					continue // walk said it better
				}
				v.add(lineOf(m), "", cleanTypeError(trimLine(m)))
			}
		}
	}
	j.Path = path
	if !aborted {
		j.check(v)
	}
	if len(v.problems) > 0 {
		return nil, v.err(path)
	}
	return j, nil
}

// dropDuplicates removes from the mappings under n each key that comes
// again after its first, with its value: a key of the same kind and value,
// yaml's rule for "already defined".
func dropDuplicates(n *yaml.Node) {
	if n.Kind == yaml.MappingNode {
		type key struct {
			kind  yaml.Kind
			value string
		}
		seen := map[key]bool{}
		kept := n.Content[:0]
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := key{n.Content[i].Kind, n.Content[i].Value}
			if seen[k] {
				continue
			}
			seen[k] = true
			kept = append(kept, n.Content[i], n.Content[i+1])
		}
		n.Content = kept
	}
	for _, c := range n.Content {
		dropDuplicates(c)
	}
}

// Validate checks a Job as Parse checks a job file (without lines, for a
// Job built in Go): its name, schedule, targets, kinds, naming, limits
// and secrets. Runner.Run and Scheduler.Run refuse a Job it finds wrong,
// with this *ValidationError.
func (j *Job) Validate() error {
	v := &validator{}
	j.check(v)
	return v.err(j.Path)
}

// validator collects problems and remembers where each key is.
type validator struct {
	problems []Problem
	lines    map[string]*yaml.Node // path -> value node
	reported map[string]bool       // paths with a problem already
	typeErrs map[string]bool
}

// said marks yaml's messages for n decoded into t as reported by walk.
func (v *validator) said(n *yaml.Node, t reflect.Type) []string {
	var te *yaml.TypeError
	if err := n.Decode(reflect.New(t).Interface()); !errors.As(err, &te) {
		return nil
	}
	if v.typeErrs == nil {
		v.typeErrs = map[string]bool{}
	}
	for _, m := range te.Errors {
		v.typeErrs[m] = true
	}
	return te.Errors
}

func (v *validator) add(line int, path, msg string) {
	v.problems = append(v.problems, Problem{Line: line, Path: path, Msg: msg})
	if path != "" {
		if v.reported == nil {
			v.reported = map[string]bool{}
		}
		v.reported[path] = true
	}
}

// touched reports whether a problem was reported at path or under it.
func (v *validator) touched(path string) bool {
	for p := range v.reported {
		if p == path || strings.HasPrefix(p, path+".") || strings.HasPrefix(p, path+"[") {
			return true
		}
	}
	return false
}

// at reports a problem at the node of path, or at its nearest known
// parent.
func (v *validator) at(path, format string, a ...any) {
	line, col := 0, 0
	for p := path; ; {
		if n, ok := v.lines[p]; ok {
			line, col = n.Line, n.Column
			break
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	v.add(line, path, fmt.Sprintf(format, a...))
	v.problems[len(v.problems)-1].Column = col
}

func (v *validator) err(path string) error {
	if len(v.problems) == 0 {
		return nil
	}
	slices.SortStableFunc(v.problems, func(a, b Problem) int { return a.Line - b.Line })
	return &ValidationError{File: path, Problems: slices.Clip(v.problems)}
}

// walk checks the keys of n against the yaml fields of t, recursively:
// unknown keys (with the nearest known one), duplicate keys, and a mapping
// or list where a scalar belongs. It records where each key is.
func (v *validator) walk(n *yaml.Node, t reflect.Type, path string) {
	if v.lines == nil {
		v.lines = map[string]*yaml.Node{}
		v.reported = map[string]bool{}
	}
	if path != "" {
		v.lines[path] = n
	}
	optional := t.Kind() == reflect.Pointer // a section the key's presence turns on
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if optional && t.Kind() == reflect.Struct && n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		// "download:" with nothing after it would leave downloads off,
		// where "download: {}" turns them on: said, not guessed.
		switch t {
		case reflect.TypeFor[Secret]():
			v.add(n.Line, path, "empty: give {env: NAME} or {file: PATH}, or leave the key out")
		case reflect.TypeFor[Download]():
			v.add(n.Line, path, "empty: give its keys, {} for the defaults, or leave the key out")
		default:
			v.add(n.Line, path, "empty: give its keys, or leave the key out")
		}
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind == yaml.ScalarNode && t == reflect.TypeFor[Secret]() && n.Tag != "!!null" {
			v.add(n.Line, path, "a secret may not be written in the job file: use {env: NAME} or {file: PATH}")
			v.reported[path] = true
			return
		}
		if n.Kind == yaml.ScalarNode && t == reflect.TypeFor[Field]() {
			return // a selector alone
		}
		if n.Kind != yaml.MappingNode {
			if n.Tag != "!!null" {
				v.add(n.Line, path, "want a mapping of keys")
				v.said(n, t)
			}
			return
		}
		fields := map[string]reflect.StructField{}
		var names []string
		for f := range t.Fields() {
			tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if tag == "" || tag == "-" {
				continue
			}
			fields[tag] = f
			names = append(names, tag)
		}
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			kp := join(path, k.Value)
			if first, dup := seen[k.Value]; dup {
				v.add(k.Line, kp, fmt.Sprintf("duplicate key (first at line %d)", first))
				continue
			}
			seen[k.Value] = k.Line
			f, ok := fields[k.Value]
			if !ok {
				msg := fmt.Sprintf("unknown key %q", k.Value)
				if s := nearest(k.Value, names); s != "" {
					msg += fmt.Sprintf("; did you mean %q?", s)
				} else {
					msg += " (known: " + strings.Join(names, ", ") + ")"
				}
				v.add(k.Line, kp, msg)
				continue
			}
			v.walk(val, f.Type, kp)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			if n.Tag != "!!null" {
				v.add(n.Line, path, "want a list ([a, b] or one \"- item\" a line)")
				v.said(n, t)
			}
			return
		}
		for i, c := range n.Content {
			v.walk(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			if n.Tag != "!!null" {
				v.add(n.Line, path, "want a mapping of names to values")
				v.said(n, t)
			}
			return
		}
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			kp := join(path, k.Value)
			key, note := k.Value, ""
			if path == "headers" { // field names ignore case: one would win at random
				key, note = strings.ToLower(key), "; field names ignore case"
			}
			if first, dup := seen[key]; dup {
				v.add(k.Line, kp, fmt.Sprintf("duplicate key (first at line %d%s)", first, note))
				continue
			}
			seen[key] = k.Line
			v.walk(n.Content[i+1], t.Elem(), kp)
		}
	default:
		if n.Kind != yaml.ScalarNode {
			v.add(n.Line, path, "want a single value, not a list or mapping")
			v.said(n, t)
			return
		}
		if !v.reported[path] {
			for _, m := range v.said(n, t) {
				v.add(lineOf(m), path, cleanTypeError(trimLine(m)))
			}
		}
		// yaml truncates 1.5 into an int without a word.
		if isWholeKind(t.Kind()) && n.Tag == "!!float" && !reflect.PointerTo(t).Implements(reflect.TypeFor[yaml.Unmarshaler]()) {
			if f, err := strconv.ParseFloat(n.Value, 64); err != nil || f != math.Trunc(f) {
				v.add(n.Line, path, fmt.Sprintf("`%s` is not a whole number", n.Value))
			}
		}
	}
}

// isWholeKind reports whether k is an integer kind.
func isWholeKind(k reflect.Kind) bool {
	return k >= reflect.Int && k <= reflect.Uint64
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// nearest returns the name closest to s within an edit distance of 2.
func nearest(s string, names []string) string {
	best, bestD := "", 3
	for _, n := range names {
		if d := editDistance(strings.ToLower(s), n); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// The expressions that read yaml's error messages, compiled on the first
// error rather than at start-up, which every grab command would pay.
var (
	lineRE     = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`line (\d+)`) })
	linePrefix = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^line \d+: `) })
	goTypeRE   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`cannot unmarshal (!!\w+) (.*) into (\S+)$`) })
)

// lineOf finds the "line N" in a yaml error message.
func lineOf(msg string) int {
	if m := lineRE().FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

// trimLine removes a leading "yaml: line N: " or "line N: ".
func trimLine(msg string) string {
	msg = strings.TrimPrefix(msg, "yaml: ")
	if m := linePrefix().FindString(msg); m != "" {
		msg = msg[len(m):]
	}
	return msg
}

// cleanTypeError rewrites yaml's Go-typed message in the job file's terms.
func cleanTypeError(msg string) string {
	m := goTypeRE().FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	want := m[3]
	switch {
	case strings.HasSuffix(want, "int"), strings.HasSuffix(want, "int64"):
		want = "a whole number"
	case want == "bool":
		want = "true or false"
	case want == "string":
		want = "a string"
	case strings.HasPrefix(want, "[]"):
		want = "a list"
	case strings.HasPrefix(want, "map["):
		want = "a mapping"
	default:
		want = "another kind of value"
	}
	return fmt.Sprintf("%s is not %s", strings.TrimSpace(m[2]), want)
}
