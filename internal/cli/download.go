package cli

import (
	"bufio"
	"cmp"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/grabhq/grab/download"
	"github.com/grabhq/grab/fetch"
	"github.com/grabhq/grab/internal/origin"
)

const downloadLong = `Download each URL to a file in DIR (-d, default the current directory),
several at once (-j), resuming partial files, and never leaving a wrong file
under a final name.

URLs come from the arguments, or one per line from -i FILE (- for stdin),
each optionally followed by its checksum: "URL sha256=HEX". Blank lines and
lines starting with # are skipped.

A file is written as NAME.part, with NAME.part.json beside it holding what a
resume needs (ETag, Last-Modified, length; never the URL's password or
query), and renamed to NAME only when complete: its length as declared and,
with a checksum, its SHA-256 verified. An interrupted run (Ctrl-C, kill -9,
a dropped connection) is resumed by running the same command again: Range
with If-Range, restarting from the first byte whenever the server ignores
the range or the file changed. -c=false (--continue=false) always restarts.

Names come from the URL's last path segment, decoded and made safe (no
directories, no "..", no control characters, no leading dot or dash, at
most 234 bytes); --name-from header prefers the server's Content-Disposition
name, made safe the same way. Two URLs with one name in a run get
"name (1).ext" and so on.

A file already at its final name is checked with a conditional GET
(If-Modified-Since its modification time, which grab sets to the server's
Last-Modified, as curl -z and wget -N) and replaced only when the server has
a newer one; with a checksum that matches, nothing is sent.
--skip-existing keeps it without asking, --overwrite downloads again,
--no-clobber saves the new file as "name (1).ext".

Transient failures (connection errors, cut bodies, stalls of --stall, 408,
425, 429, 500, 502, 503, 504) are retried --retries times with exponential
backoff, or after the server's Retry-After (up to 2 minutes; a longer one
gives up). One failure never stops the other files.

Progress goes to stderr: bars when it is a terminal, a line a second
otherwise, nothing with -q; each failure is reported as "grab: FILE: error".
--json writes one JSON object per file to stdout as it finishes: url, path,
size, sha256, outcome (downloaded, resumed, not-modified, skipped, failed),
attempts, error.

Exit status:
  0    every file is saved (or current)
  1    a file failed
  2    usage error
  130  interrupted (SIGINT, SIGTERM or SIGHUP): partial files are kept for a rerun`

const downloadExample = `  grab download http://127.0.0.1:8888/dl/50MiB/big.bin
  grab download -d DOWNLOAD -j 16 http://127.0.0.1:8888/img/64x64/1.png http://127.0.0.1:8888/img/64x64/2.png
  grab download -i urls.txt -d out --json > results.jsonl
  grab download --checksum sha256=0123...cdef --limit-rate 10M URL`

type downloadFlags struct {
	input      string
	dir        string
	jobs       int
	perHost    int
	retries    int
	cont       bool
	checksum   string
	limitRate  string
	skip       bool
	overwrite  bool
	noClobber  bool
	nameFrom   string
	portable   bool
	jsonOut    bool
	quiet      bool
	stall      seconds
	speedLimit string
	maxSize    string
	speedTime  seconds
	timeout    seconds
	insecure   bool
	noSync     bool
	userAgent  string
	noAgent    bool // -A "": no User-Agent, as get's
	headers    []string
	net        netFlags
	dedup      bool
	requireLen bool
}

func newDownload(e *env) *cobra.Command {
	var f downloadFlags
	c := &cobra.Command{
		Use:     "download [URL...]",
		Short:   "Download files concurrently, resumably, verified (-i FILE for a list)",
		Long:    downloadLong,
		Example: downloadExample,
		RunE: func(cmd *cobra.Command, args []string) error {
			f.net.given(cmd.Flags())
			f.noAgent = cmd.Flags().Changed("user-agent") && f.userAgent == ""
			return e.download(cmd.Context(), args, &f)
		},
	}
	fl := c.Flags()
	fl.StringVarP(&f.input, "input-file", "i", "", "read URLs (\"URL [sha256=HEX]\" lines) from `FILE`, - for stdin")
	fl.StringVarP(&f.dir, "dir", "d", ".", "save the files in `DIR` (created when missing)")
	fl.IntVarP(&f.jobs, "jobs", "j", download.DefaultConcurrency, "download `N` files at once")
	fl.IntVar(&f.perHost, "per-host", 0, "at most `N` files at once from one host (default: -j)")
	fl.IntVar(&f.retries, "retries", download.DefaultRetries, "retry a transient failure `N` times")
	fl.BoolVarP(&f.cont, "continue", "c", true, "resume partial files (--continue=false restarts them)")
	fl.StringVar(&f.checksum, "checksum", "", "the file must have this `sha256=HEX` (one URL)")
	fl.StringVar(&f.limitRate, "limit-rate", "", "cap the total speed at `RATE` bytes a second (100K, 10M, 1G; 0 for none)")
	fl.StringVar(&f.maxSize, "max-filesize", "", "fail a file of more than `SIZE` bytes (100K, 10M, 1G; 0 for none), as curl")
	fl.BoolVar(&f.skip, "skip-existing", false, "keep a file already there, without a request")
	fl.BoolVar(&f.overwrite, "overwrite", false, "download again and replace a file already there")
	fl.BoolVar(&f.noClobber, "no-clobber", false, "keep a file already there and save as \"name (1).ext\"")
	fl.StringVar(&f.nameFrom, "name-from", "url", "name files from the URL (`url`) or the Content-Disposition field (header)")
	fl.BoolVar(&f.portable, "portable-names", false, "apply Windows' file name rules on any system")
	fl.BoolVar(&f.jsonOut, "json", false, "write a JSON object per file to stdout")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "show no progress (failures are still reported)")
	fl.Var(&f.stall, "stall", "retry a transfer whose body receives nothing, or whose head is not whole, for `DURATION` (default 30s)")
	fl.StringVarP(&f.speedLimit, "speed-limit", "Y", "", "retry a transfer slower than `RATE` bytes a second over --speed-time (curl's -Y)")
	fl.VarP(&f.speedTime, "speed-time", "y", "the window of --speed-limit: `DURATION` or seconds (default 30s; alone, a floor of 1 byte a second)")
	fl.Var(&f.timeout, "connect-timeout", "give up connecting after `DURATION` (default 30s)")
	fl.BoolVarP(&f.insecure, "insecure", "k", false, "do not verify the server's TLS certificate")
	fl.BoolVar(&f.noSync, "no-sync", false, "do not fsync a file before its rename (faster, less safe on power loss)")
	fl.BoolVar(&f.dedup, "dedup", false, "keep one file per content (SHA-256) in the run")
	fl.BoolVar(&f.requireLen, "require-length", false, "fail a body that ends with its connection (neither Content-Length nor chunked), unless a checksum verifies it")
	fl.StringVarP(&f.userAgent, "user-agent", "A", "", "User-Agent `NAME` (default \"grab/VERSION\"; \"\" sends none)")
	fl.StringArrayVarP(&f.headers, "header", "H", nil, "header field `'NAME: VALUE'` (repeatable)")
	n := &f.net
	fl.StringVarP(&n.user, "user", "u", "", "credentials `USER:PASSWORD` for the first URL's origin (Basic)")
	fl.StringVar(&n.bearer, "oauth2-bearer", "", "send `TOKEN` as a Bearer token to the first URL's origin")
	fl.StringArrayVarP(&n.cookie, "cookie", "b", nil, "load cookies from `FILE`, or send 'NAME=VALUE; ...' to the first URL's origin")
	fl.StringVar(&n.cookieJar, "cookie-jar", "", "save the cookies to `FILE` after the transfers")
	fl.StringVarP(&n.proxy, "proxy", "x", "", "use the proxy `URL` (http, https, socks5, socks5h; \"\" for none, whatever the environment says)")
	fl.StringVarP(&n.proxyUser, "proxy-user", "U", "", "the proxy's credentials `USER:PASSWORD`")
	fl.StringVar(&n.noProxy, "noproxy", "", "comma-separated `HOSTS` to reach without a proxy")
	c.MarkFlagsMutuallyExclusive("skip-existing", "overwrite", "no-clobber")
	return c
}

// downloadLine is one URL to download and its optional checksum.
type downloadLine struct{ url, checksum string }

// readDownloadList reads "URL [sha256=HEX]" lines; name is for errors.
func readDownloadList(r io.Reader, name string) ([]downloadLine, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxInputLine+2)
	var out []downloadLine
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		dl := downloadLine{url: withScheme(fields[0])}
		switch len(fields) {
		case 1:
		case 2:
			if _, err := download.ParseChecksum(fields[1]); err != nil {
				return nil, usageErrorf("%s line %d: %v", name, n, err)
			}
			dl.checksum = fields[1]
		default:
			return nil, usageErrorf("%s line %d: want \"URL\" or \"URL sha256=HEX\"", name, n)
		}
		out = append(out, dl)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, usageErrorf("%s line %d: longer than %d bytes", name, n+1, maxInputLine)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}

// parseRate reads the byte rate of flag as curl's --limit-rate: a number
// with an optional k, M or G suffix (powers of 1024); 0 is no limit, as in
// curl and wget.
func parseRate(flag, s string) (int64, error) {
	return parseBytes(flag, s, "a rate such as 500K, 10M or 1G (bytes a second)")
}

// parseSize reads a size in bytes as curl's --max-filesize: as parseRate.
func parseSize(flag, s string) (int64, error) {
	return parseBytes(flag, s, "a size such as 500K, 10M or 1G (bytes)")
}

// parseBytes reads a number of bytes with an optional k, M or G suffix
// (powers of 1024); want says what flag takes, for its error.
func parseBytes(flag, s, want string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := 1.0
	if t != "" {
		switch t[len(t)-1] {
		case 'k', 'K':
			mult, t = 1<<10, t[:len(t)-1]
		case 'm', 'M':
			mult, t = 1<<20, t[:len(t)-1]
		case 'g', 'G':
			mult, t = 1<<30, t[:len(t)-1]
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(v) || v < 0 || v*mult >= 1<<62 {
		return 0, usageErrorf("%s %q: want %s, or 0 for none", flag, s, want)
	}
	if v == 0 {
		return 0, nil
	}
	return max(int64(v*mult), 1), nil
}

// downloadJSON is the object --json writes per file.
type downloadJSON struct {
	URL           string           `json:"url"`
	Path          string           `json:"path,omitempty"`
	Size          int64            `json:"size"`
	SHA256        string           `json:"sha256,omitempty"`
	Outcome       download.Outcome `json:"outcome"`
	LengthUnknown bool             `json:"length_unknown,omitempty"`
	DuplicateOf   string           `json:"duplicate_of,omitempty"`
	Attempts      int              `json:"attempts"`
	Error         string           `json:"error,omitempty"`
}

func (e *env) download(ctx context.Context, args []string, f *downloadFlags) error {
	var list []downloadLine
	for _, a := range args {
		list = append(list, downloadLine{url: withScheme(a)})
	}
	if f.input != "" {
		var r io.Reader
		name := f.input
		if f.input == "-" {
			r, name = e.stdin, "stdin"
		} else {
			fh, err := openInput(f.input)
			if err != nil {
				return fmt.Errorf("-i: %w", err)
			}
			defer fh.Close()
			r = fh
		}
		more, err := readDownloadList(r, name)
		if err != nil {
			return err
		}
		list = append(list, more...)
	}
	switch {
	case len(list) == 0:
		return usageErrorf("no URL: give URLs as arguments or -i FILE")
	case f.jobs < 1:
		return usageErrorf("-j %d: want 1 or more", f.jobs)
	case f.perHost < 0:
		return usageErrorf("--per-host %d: want 0 (as -j) or more", f.perHost)
	case f.retries < 0:
		return usageErrorf("--retries %d: want 0 or more", f.retries)
	case f.checksum != "" && len(list) != 1:
		return usageErrorf("--checksum is for one URL; give \"URL sha256=HEX\" lines with -i for more")
	}
	if f.checksum != "" {
		if _, err := download.ParseChecksum(f.checksum); err != nil {
			return usageErrorf("--checksum: %v", err)
		}
		list[0].checksum = f.checksum
	}
	c := &download.Client{
		Concurrency:   f.jobs,
		PerHost:       f.perHost,
		Retries:       f.retries,
		NoResume:      !f.cont,
		Portable:      f.portable,
		Dedup:         f.dedup,
		RequireLength: f.requireLen,
		NoSync:        f.noSync,
		Stall:         time.Duration(f.stall),
	}
	if f.retries == 0 {
		c.Retries = -1
	}
	switch {
	case f.skip:
		c.IfExists = download.Skip
	case f.overwrite:
		c.IfExists = download.Overwrite
	case f.noClobber:
		c.IfExists = download.Number
	}
	switch f.nameFrom {
	case "url":
	case "header":
		c.Names = download.FromHeader
	default:
		return usageErrorf("--name-from %q: want url or header", f.nameFrom)
	}
	if f.limitRate != "" {
		r, err := parseRate("--limit-rate", f.limitRate)
		if err != nil {
			return err
		}
		c.RateLimit = r
	}
	if f.maxSize != "" {
		n, err := parseSize("--max-filesize", f.maxSize)
		if err != nil {
			return err
		}
		c.MaxSize = n
	}
	if f.speedLimit != "" || f.speedTime > 0 {
		// -y alone is curl's: a floor of 1 byte a second.
		c.MinSpeed, c.MinSpeedTime = 1, time.Duration(f.speedTime)
		if f.speedLimit != "" {
			r, err := parseRate("--speed-limit", f.speedLimit)
			if err != nil {
				return err
			}
			c.MinSpeed = r
		}
	}
	header := http.Header{}
	for _, hv := range f.headers {
		name, value, ok := strings.Cut(hv, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return usageErrorf("-H %q: want 'NAME: VALUE'", hv)
		}
		header.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	if f.noAgent && header.Get("User-Agent") == "" {
		header.Set("User-Agent", "") // fetch sends a field given empty as none
	}
	o := &fetch.Opener{UserAgent: cmp.Or(f.userAgent, userAgent()), ReadBufferSize: download.ReadBufferSize}
	if f.timeout > 0 {
		o.Timeouts.Connect = time.Duration(f.timeout)
	}
	if f.insecure {
		o.TLSConfig = &tls.Config{InsecureSkipVerify: true}
	}
	defer o.CloseIdleConnections()
	// -H fields go with every request, as curl's; literal -b cookies, like
	// -u's credentials, only to the first URL's origin.
	cookies := http.Header{}
	sess, err := e.applyNet(&f.net, o, list[0].url, cookies, false)
	if err != nil {
		return err
	}
	if len(header) > 0 {
		o.Header = header
	}
	c.Opener = o

	reqs := make([]download.Request, len(list))
	for i, l := range list {
		reqs[i] = download.Request{URL: l.url, Dir: f.dir, Checksum: l.checksum}
	}
	originCookies(reqs, list[0].url, cookies.Values("Cookie"))
	_, err = e.downloadAll(ctx, c, reqs, f.jsonOut, f.quiet)
	return sess.finishAfter(e, err)
}

// downloadGC returns the GOGC a download of n files runs with, or 0 to
// keep the process's: 400 unless GOGC is set or n is over 50,000. A
// download's live heap is a few MiB (its connections' read buffers), so at
// the default 100 it collected every few MiB allocated, two or three
// times for 500 small files, and the collector's idle workers took CPU
// the server on the same cores wanted: 500 x 64 KiB took 122 ms against
// 108.5 at 400 (median of 11 interleaved runs), with no higher peak RSS
// (19.2 MB for a 1 GiB file, 25 against 27 MB for the 500). A long list
// is the live heap itself (a request, its job and its result take a few
// hundred bytes), which the default keeps within twice its size
// rather than five.
func downloadGC(n int) int {
	if os.Getenv("GOGC") != "" || n > 50000 {
		return 0
	}
	return 400
}

// downloadAll runs c on reqs as grab download does, for it, grab images
// --download and grab demo: progress on stderr (bars, lines or none with
// quiet), a JSON line per file on stdout with jsonOut, each failure on
// stderr, and a summary line unless quiet. It returns the results, and
// errSilentFailure when a file failed.
func (e *env) downloadAll(ctx context.Context, c *download.Client, reqs []download.Request, jsonOut, quiet bool) ([]download.Result, error) {
	if p := downloadGC(len(reqs)); p > 0 {
		defer debug.SetGCPercent(debug.SetGCPercent(p))
	}
	// A directory that is a file is one error, not one a file.
	seen := map[string]bool{}
	for _, r := range reqs {
		dir := cmp.Or(r.Dir, ".")
		if seen[dir] {
			continue
		}
		seen[dir] = true
		if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
			return nil, fmt.Errorf("%s is not a directory", r.Dir)
		}
	}
	// Only the JSON lines show a file's SHA-256 (a checksum or --dedup
	// has the library hash all the same).
	c.NoHash = !jsonOut
	start := time.Now()
	pr := newProgress(e.stderr, progressModeFor(e.stderr, quiet), len(reqs))
	var outMu sync.Mutex
	var outErr error // the first failure to write a JSON line
	enc := json.NewEncoder(e.stdout)
	c.Progress = func(ev download.Event) {
		pr.event(ev)
		if ev.Result == nil {
			return
		}
		r := ev.Result
		outMu.Lock()
		defer outMu.Unlock()
		if jsonOut && outErr == nil {
			outErr = enc.Encode(downloadJSON{URL: r.URL, Path: r.Path, Size: r.Size, SHA256: r.SHA256, Outcome: r.Outcome,
				LengthUnknown: r.LengthUnknown, DuplicateOf: r.DuplicateOf, Attempts: r.Attempts, Error: errText(r.Err)})
		}
	}
	results, _ := c.Do(ctx, reqs...)
	pr.close()
	if ctx.Err() != nil {
		return results, context.Cause(ctx) // grab images -m: its *fetch.TimeoutError
	}
	counts := map[download.Outcome]int{}
	var total int64
	for _, r := range results {
		counts[r.Outcome]++
		if r.Outcome == download.Downloaded || r.Outcome == download.Resumed {
			total += r.Size
		}
		switch {
		case r.Err != nil:
			where := r.Path
			if where == "" {
				where = r.URL
			}
			e.errorf("%s: %s", printable(where), printable(r.Err.Error()))
		case r.LengthUnknown && !quiet:
			e.errorf("warning: %s: the server declared no length; the file may be incomplete (give a checksum to verify it)", printable(r.Path))
		}
	}
	if !quiet {
		el := time.Since(start)
		noun := "files"
		if len(results) == 1 {
			noun = "file"
		}
		e.errorf("%d %s: %s; %s in %v (%s/s)", len(results), noun, outcomeSummary(counts),
			humanBytes(float64(total)), el.Round(time.Millisecond), humanBytes(float64(total)/max(el.Seconds(), 1e-9)))
	}
	if outErr != nil {
		e.errorf("writing output: %v", outErr) // the files are saved; the lines saying so are lost
	}
	if counts[download.Failed] > 0 || outErr != nil {
		return results, errSilentFailure
	}
	return results, nil
}

// originCookies gives the requests to target's origin the literal -b
// cookies (none to another origin: a list may name other hosts).
func originCookies(reqs []download.Request, target string, cookie []string) {
	if len(cookie) == 0 {
		return
	}
	first := origin.Of(target)
	for i := range reqs {
		if origin.Of(reqs[i].URL) == first {
			reqs[i].Header = http.Header{"Cookie": cookie}
		}
	}
}

// outcomeSummary lists the outcomes counted, in a fixed order: "3
// downloaded, 1 failed" ("" when none is).
func outcomeSummary(counts map[download.Outcome]int) string {
	var parts []string
	for _, o := range []download.Outcome{download.Downloaded, download.Resumed, download.NotModified, download.Skipped, download.Failed} {
		if counts[o] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[o], o))
		}
	}
	return strings.Join(parts, ", ")
}
