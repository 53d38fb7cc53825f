package cli

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/grabhq/grab/crawl"
	"github.com/grabhq/grab/download"
	"github.com/grabhq/grab/fetch"
	"github.com/grabhq/grab/internal/origin"
	"github.com/grabhq/grab/internal/redact"
)

const crawlLong = `Crawl sites from the seed URLs: fetch each page, follow its links, and
write a record of each page. Politeness is on by default: robots.txt is read
and obeyed for every origin and every redirect hop (RFC 9309: a 4xx means no
rules, a 5xx or no answer keeps the origin off limits for a minute), its
Crawl-delay honoured up to --max-crawl-delay, rel="nofollow" links and pages
marked <meta name="robots" content="nofollow"> not followed, at most
--per-host requests at once to one host, and a 429 or 503 answer keeps its
host idle for the Retry-After it gives (up to 30s, then retried twice).

Links are followed to --depth (a seed is depth 0; -1 for no limit) within
--scope: host (the seeds' hosts and ports, as wget -r), domain (their
registrable domains), prefix (under the seeds' directories, as wget
--no-parent) or any; --allow and --deny regular expressions, matched against
the normalized URL, narrow it further. Each URL is fetched once: URLs are
compared after normalization (case of scheme and host, default port, dot
segments, escapes, fragment). Pages that are not HTML are recorded from their
head and not downloaded; a page over 10 MiB is recorded as an error, never
parsed from a cut body.

Output: the URL of each page fetched to stdout, one per line, and each
failed page to stderr; with --json, one JSON object per page on stdout:
url, final_url, status, content_type, depth, parent, title, links, images
(with --images), fields (with --field), size, fetched, ttfb_ms, elapsed_ms
and error (a status outside 2xx is an error).

State: kept in memory by default. --state FILE keeps the frontier in a bbolt
file: stop the crawl with Ctrl-C or kill -9 and run the same command again to
continue, with nothing lost and no finished page fetched again (a page in
flight at a kill -9 is fetched again). --redis URL keeps it in Redis, shared
by every grab crawl started with the same --redis and --redis-prefix, on one
machine or many: each URL is fetched once across all of them, and they share
cookies and the --max-pages budget. --max-per-host caps the pages fetched
from one host and port (so a trap on one site cannot spend the whole
crawl); it is counted by each process on its own, not shared through
--state or --redis: a resumed crawl starts its count from zero.

--public-only refuses private, loopback, link-local and other non-public
addresses at connection time (after DNS, so a name cannot smuggle one in),
and every port but 80, 443 and the seeds'.

` + netFlagsHelp + `

Memory: unless GOGC is set, grab crawl runs Go's garbage collector at
GOGC=50 (the default is 100): a crawl's live heap is small, so its peak
memory is mostly the collector's headroom; halving it costs about 10% more
CPU.

Exit status:
  0    every page recorded was fetched without error (a redirect not
       followed, out of scope, disallowed or already crawled, is no error)
  1    some pages failed (each is reported), or the crawl could not run
  2    usage error
  130  interrupted (SIGINT, SIGTERM or SIGHUP); with --state, run again to continue`

const crawlExample = `  grab crawl http://127.0.0.1:8888/site/50/page/0.html
  grab crawl --json --images --depth 2 https://example.com/ > pages.jsonl
  grab crawl --scope prefix --deny '\?sort=' --max-pages 1000 https://example.com/docs/
  grab crawl --state crawl.db https://example.com/      # Ctrl-C, then the same again to resume
  grab crawl --redis redis://10.0.0.5:6379/0 https://example.com/   # on each machine
  grab crawl --field 'h1=h1' --field 'next=a.next@href' --json https://example.com/`

type crawlFlags struct {
	depth         int
	scope         string
	allow, deny   []string
	maxPages      int
	maxPerHost    int
	parallel      int
	perHost       int
	delay         time.Duration
	jitter        time.Duration
	maxCrawlDelay time.Duration
	noRobots      bool
	nofollow      bool
	images        bool
	download      string
	state         string
	redis         string
	redisPrefix   string
	prefixSet     bool // --redis-prefix was given
	json          bool
	fields        []string
	publicOnly    bool
	userAgent     string
	quiet         bool
	net           netFlags
}

func newCrawl(e *env) *cobra.Command {
	var f crawlFlags
	c := &cobra.Command{
		Use:     "crawl URL...",
		Short:   "Crawl sites politely from seed URLs, a record per page (colly, robots.txt)",
		Long:    crawlLong,
		Example: crawlExample,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f.net.given(cmd.Flags())
			f.prefixSet = cmd.Flags().Changed("redis-prefix")
			return e.crawl(cmd.Context(), args, &f)
		},
	}
	fl := c.Flags()
	fl.IntVarP(&f.depth, "depth", "l", crawl.DefaultMaxDepth, "follow links `N` deep from a seed (-1: no limit)")
	fl.StringVar(&f.scope, "scope", "host", "where links may lead: `host`, domain, prefix or any")
	fl.StringArrayVar(&f.allow, "allow", nil, "follow only URLs matching `REGEXP` (repeatable)")
	fl.StringArrayVar(&f.deny, "deny", nil, "never follow URLs matching `REGEXP` (repeatable)")
	fl.IntVar(&f.maxPages, "max-pages", 0, "fetch at most `N` pages (0: no limit)")
	fl.IntVar(&f.maxPerHost, "max-per-host", 0, "fetch at most `N` pages from one host and port, counted by this process (0: no limit)")
	fl.IntVarP(&f.parallel, "parallel", "j", crawl.DefaultParallelism, "fetch `N` pages at once")
	fl.IntVar(&f.perHost, "per-host", crawl.DefaultPerHost, "fetch at most `N` pages at once from one host")
	fl.Var(durationValue{&f.delay}, "delay", "wait `DURATION` between requests to one host")
	fl.Var(durationValue{&f.jitter}, "jitter", "add a random wait of up to `DURATION` to --delay")
	durationVar(fl, &f.maxCrawlDelay, "max-crawl-delay", crawl.DefaultMaxCrawlDelay, "honour a robots.txt Crawl-delay up to `DURATION` (0: ignore it)")
	fl.BoolVar(&f.noRobots, "no-robots", false, "ignore robots.txt (fetch what it disallows)")
	fl.BoolVar(&f.nofollow, "follow-nofollow", false, `follow rel="nofollow" links too`)
	fl.BoolVar(&f.images, "images", false, "collect each page's images (parse.Images) into its record")
	fl.StringVar(&f.download, "download", "", "with --images, download the images into `DIR` after the crawl (with --state, those of a resumed crawl's earlier runs too)")
	fl.StringVar(&f.state, "state", "", "keep the crawl in the bbolt `FILE`, to resume it")
	fl.StringVar(&f.redis, "redis", "", "share the crawl through the Redis server at `URL` (redis://host:6379/0)")
	fl.StringVar(&f.redisPrefix, "redis-prefix", crawl.DefaultRedisPrefix, "name the crawl's Redis keys with `PREFIX`")
	fl.BoolVar(&f.json, "json", false, "write one JSON record per page")
	fl.StringArrayVar(&f.fields, "field", nil, "collect `NAME=SELECTOR` (CSS; SELECTOR@ATTR for an attribute) into the record (repeatable)")
	fl.BoolVar(&f.publicOnly, "public-only", false, "refuse private and loopback addresses, and ports but 80, 443 and the seeds'")
	fl.StringVarP(&f.userAgent, "user-agent", "A", "", "User-Agent `NAME` (default \"grab/VERSION\"); robots.txt groups match its first word")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no warnings or summary on stderr (failed pages are still reported)")
	f.net.register(fl)
	c.MarkFlagsMutuallyExclusive("state", "redis")
	return c
}

// crawler builds the Crawler the flags describe, without its Store,
// Opener and callbacks.
func (f *crawlFlags) crawler() (*crawl.Crawler, error) {
	scope, err := crawl.ParseScope(f.scope)
	if err != nil {
		return nil, usageErrorf("--scope %q: want host, domain, prefix or any", f.scope)
	}
	cr := &crawl.Crawler{
		MaxDepth:        f.depth,
		MaxPages:        f.maxPages,
		MaxPagesPerHost: f.maxPerHost,
		Scope:           scope,
		Parallelism:     f.parallel,
		PerHost:         f.perHost,
		Delay:           f.delay,
		Jitter:          f.jitter,
		MaxCrawlDelay:   f.maxCrawlDelay,
		IgnoreRobots:    f.noRobots,
		FollowNofollow:  f.nofollow,
		Images:          f.images,
		PublicOnly:      f.publicOnly,
		UserAgent:       f.userAgent,
	}
	switch {
	case f.depth == 0: // the seeds only (the library's 0 is its default)
		cr.SeedsOnly = true
	case f.depth < 0:
		cr.MaxDepth = -1
	}
	if f.parallel < 1 || f.perHost < 1 {
		return nil, usageErrorf("-j and --per-host must be at least 1")
	}
	if f.maxPages < 0 {
		return nil, usageErrorf("--max-pages %d: must be 0 (no limit) or more", f.maxPages)
	}
	if f.maxPerHost < 0 {
		return nil, usageErrorf("--max-per-host %d: must be 0 (no limit) or more", f.maxPerHost)
	}
	if f.delay < 0 || f.jitter < 0 || f.maxCrawlDelay < 0 {
		return nil, usageErrorf("--delay, --jitter and --max-crawl-delay cannot be negative")
	}
	if f.maxCrawlDelay == 0 {
		cr.MaxCrawlDelay = -1 // Crawl-delay ignored
	}
	// A flag whose work nothing would show is refused, as --download
	// without the images it saves.
	switch {
	case f.download != "" && !f.images:
		return nil, usageErrorf("--download needs --images")
	case f.images && !f.json && f.download == "":
		return nil, usageErrorf("--images collects into the --json records, or for --download: give one")
	case len(f.fields) > 0 && !f.json:
		return nil, usageErrorf("--field collects into the --json records: give --json")
	case f.prefixSet && f.redis == "":
		return nil, usageErrorf("--redis-prefix names the keys of --redis: give --redis")
	}
	for _, pair := range []struct {
		flag string
		in   []string
		out  *[]*regexp.Regexp
	}{{"--allow", f.allow, &cr.Allow}, {"--deny", f.deny, &cr.Deny}} {
		for _, s := range pair.in {
			re, err := regexp.Compile(s)
			if err != nil {
				return nil, usageErrorf("%s %q: %v", pair.flag, s, err)
			}
			*pair.out = append(*pair.out, re)
		}
	}
	for _, s := range f.fields {
		name, sel, ok := strings.Cut(s, "=")
		if !ok || name == "" || sel == "" {
			return nil, usageErrorf("--field %q: want NAME=SELECTOR", s)
		}
		if cr.Fields == nil {
			cr.Fields = map[string]string{}
		}
		if _, dup := cr.Fields[name]; dup {
			return nil, usageErrorf("--field %q: %s given twice", s, name)
		}
		if err := crawl.CheckField(sel); err != nil {
			return nil, usageErrorf("--field %q: %v", s, err)
		}
		cr.Fields[name] = sel
	}
	return cr, nil
}

func (e *env) crawl(ctx context.Context, seeds []string, f *crawlFlags) (err error) {
	cr, err := f.crawler()
	if err != nil {
		return err
	}
	if f.download != "" {
		// Said before the crawl, not after it.
		if err := download.CheckDir(f.download); err != nil {
			return fmt.Errorf("--download: %w", err)
		}
	}
	if os.Getenv("GOGC") == "" {
		// The live heap of a crawl is a few MiB (the frontier, the pages
		// in flight), so at the default GOGC=100 most of its peak is the
		// 4 MiB minimum headroom. GOGC=50 lowers the peak RSS of the
		// 2,000-page bench/crawl.sh crawl by 1.5 MiB (27.1 to 25.6, seven
		// interleaved runs) for about 10% more CPU (0.71 to 0.78 s).
		defer debug.SetGCPercent(debug.SetGCPercent(50))
	}
	seeds = slices.Clone(seeds)
	// The seeds as the crawl fetches them ("127.0.0.1." is "127.0.0.1"),
	// their user:password kept: the origin -u and -b are for is the one
	// the requests go to. The crawl itself gets the seeds as given, and
	// takes a seed's user:password as its origin's login.
	fetched := make([]string, len(seeds))
	for i, s := range seeds {
		seeds[i] = withScheme(s)
		n, err := crawl.Normalize(seeds[i])
		if err != nil {
			return usageErrorf("%v", strings.TrimPrefix(err.Error(), "crawl: "))
		}
		if u, err := url.Parse(seeds[i]); err == nil {
			n.User = u.User
		}
		fetched[i] = n.String()
	}
	o := &fetch.Opener{}
	defer o.CloseIdleConnections()
	header := http.Header{}
	sess, err := e.applyNet(&f.net, o, fetched[0], header, f.quiet)
	if err != nil {
		return err
	}
	if cs := header.Values("Cookie"); len(cs) > 0 {
		// -b 'NAME=VALUE': to the seeds' origins, every path (robots.txt
		// included), as they are given, as grab get sends them; never into
		// the jar, so -c does not save them.
		var origins []string
		for _, s := range fetched {
			origins = append(origins, origin.Of(s))
		}
		o.Handlers = append(o.Handlers, &origin.Header{Origins: origins, Name: "Cookie", Value: strings.Join(cs, "; ")})
	}
	o.UserAgent = cmp.Or(f.userAgent, userAgent())
	cr.Opener = o

	var store crawl.Store
	persistent, resumed := false, false
	switch {
	case f.state != "":
		_, serr := os.Stat(f.state)
		resumed = serr == nil
		b, err := crawl.OpenBolt(f.state)
		if err != nil {
			return err
		}
		defer b.Close()
		store, persistent = b, true
	case f.redis != "":
		r, err := crawl.OpenRedis(ctx, f.redis, f.redisPrefix)
		if errors.Is(err, crawl.ErrBadRedisURL) {
			return usageErrorf("--redis: %v", strings.TrimPrefix(err.Error(), "crawl: "))
		}
		if err != nil {
			return err
		}
		defer r.Close()
		store, persistent = r, true
		if o.Jar != nil && !f.quiet {
			e.errorf("warning: with -b or -c the cookies stay in this process; without them they are shared through Redis")
		}
	}
	cr.Store = store

	out := bufio.NewWriterSize(e.stdout, 64<<10)
	defer out.Flush()
	var outErr error
	images := map[string]bool{}
	var imageList []string
	var imageLog *os.File // with --state, FILE.images
	if f.download != "" && f.state != "" {
		if imageLog, imageList, err = openImageLog(f.state+".images", resumed); err != nil {
			return err
		}
		defer imageLog.Close()
		for _, im := range imageList {
			images[im] = true
		}
	}
	var found []byte
	// A record that cannot be written stops the crawl, and its page stays
	// owed to a --state or --redis crawl resumed later.
	cr.Record = func(p crawl.Page) error {
		if outErr != nil {
			return outErr
		}
		found = found[:0]
		for _, im := range p.Images {
			if f.download != "" && !images[im] {
				images[im] = true
				imageList = append(imageList, im)
				found = append(append(found, im...), '\n')
			}
		}
		if imageLog != nil && len(found) > 0 {
			// Written before the store marks the page done, so a resumed
			// crawl downloads the images of the pages it will not fetch
			// again.
			if _, err := imageLog.Write(found); err != nil {
				outErr = fmt.Errorf("%s: %w", imageLog.Name(), err)
				return outErr
			}
		}
		switch {
		case p.Refused() && errors.Is(p.Err, crawl.ErrAlreadySeen):
			// Crawled from its own entry: nothing to say.
		case p.Refused():
			if !f.quiet {
				e.errorf("warning: %s: %s", printable(redact.String(p.URL)), printable(strings.TrimPrefix(p.Err.Error(), "crawl: ")))
			}
		case p.Err != nil:
			// The error's URLs are masked already (redact).
			if msg, shown := strings.TrimPrefix(p.Err.Error(), "crawl: "), redact.String(p.URL); strings.Contains(msg, shown) {
				e.errorf("%s", printable(msg)) // it names the URL ("GET URL: 404 Not Found")
			} else {
				e.errorf("%s: %s", printable(shown), printable(msg))
			}
		}
		switch {
		case f.json:
			b, err := p.MarshalJSON() // compact already: json.Marshal would check and copy it again
			if err != nil {
				outErr = err
				return outErr
			}
			out.Write(b)
			out.WriteByte('\n')
		case p.Err == nil:
			out.WriteString(p.URL)
			out.WriteByte('\n')
		}
		if persistent {
			// The record must be out before the store marks the page done.
			out.Flush()
		}
		if _, err := out.Write(nil); err != nil { // bufio keeps a write's error
			outErr = fmt.Errorf("writing records: %w", err)
		}
		return outErr
	}
	cr.OnWarning = func(msg string) {
		if !f.quiet {
			e.errorf("warning: %s", printable(msg))
		}
	}
	// -c saves the jar however the crawl ends (a stopped --state crawl
	// goes on later with the cookies it had), after the downloads.
	defer func() { err = sess.finishAfter(e, err) }()
	start := time.Now()
	st, err := cr.Run(ctx, seeds...)
	if ferr := out.Flush(); ferr != nil && outErr == nil {
		outErr = fmt.Errorf("writing records: %w", ferr)
	}
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return err
	}
	if outErr != nil {
		return outErr
	}
	if !f.quiet {
		e.errorf("crawled %d pages (%d failed, %d redirects not followed) in %.1fs; %d links followed, %d not",
			st.Pages, st.Errors, st.Refused, time.Since(start).Seconds(), st.Links, st.Skipped)
	}
	if f.download != "" && len(imageList) > 0 {
		if err := e.crawlDownload(ctx, f, o, cr, seeds, imageList); err != nil {
			return err
		}
	}
	if st.Errors > 0 {
		return errSilentFailure
	}
	return nil
}

// openImageLog opens the list of the images a --state crawl found, one URL
// a line, and returns the URLs it holds: none for a crawl not resumed,
// whose list starts empty. A last line a kill cut short is dropped.
func openImageLog(name string, resumed bool) (*os.File, []string, error) {
	flag := os.O_RDWR | os.O_CREATE
	if !resumed {
		flag |= os.O_TRUNC
	}
	fh, err := os.OpenFile(name, flag, 0o600) // as private as the state: signed URLs hold tokens
	if err != nil {
		return nil, nil, err
	}
	data, err := io.ReadAll(fh)
	whole := bytes.LastIndexByte(data, '\n') + 1
	if err == nil && whole < len(data) {
		err = fh.Truncate(int64(whole))
	}
	if err == nil {
		_, err = fh.Seek(int64(whole), io.SeekStart)
	}
	if err != nil {
		fh.Close()
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	var list []string
	for line := range strings.SplitSeq(string(data[:whole]), "\n") {
		if line != "" {
			list = append(list, line)
		}
	}
	return fh, list, nil
}

// seedPorts returns the ports the seeds name, in decimal: fmt.Sscan read
// ":034567" as octal (14711) and ":08080" as 0, so --public-only refused
// the downloads from such a seed's own port.
func seedPorts(seeds []string) []int {
	var ports []int
	for _, s := range seeds {
		if u, err := url.Parse(s); err == nil {
			if p, err := strconv.Atoi(u.Port()); err == nil {
				ports = append(ports, p)
			}
		}
	}
	return ports
}

// crawlDownload downloads the images the crawl found into f.download.
func (e *env) crawlDownload(ctx context.Context, f *crawlFlags, o *fetch.Opener, cr *crawl.Crawler, seeds []string, urls []string) error {
	slices.Sort(urls)
	dl := &fetch.Opener{
		Proxy: o.Proxy, ProxyTLSConfig: o.ProxyTLSConfig, Handlers: o.Handlers, Jar: o.Jar, UserAgent: o.UserAgent, Dial: o.Dial,
		ReadBufferSize: download.ReadBufferSize,
	}
	if f.publicOnly {
		dl.Dial = crawl.PublicOnlyDial(nil, nil, seedPorts(seeds)...)
	}
	defer dl.CloseIdleConnections()
	c := &download.Client{Opener: dl, Concurrency: cr.Parallelism, PerHost: cr.PerHost}
	res, err := c.Do(ctx, download.Into(f.download, urls...)...)
	n := 0
	for _, r := range res {
		if r.Err != nil {
			e.errorf("%s: %v", printable(r.URL), r.Err)
			continue
		}
		n++
	}
	if !f.quiet {
		e.errorf("downloaded %d of %d images into %s", n, len(urls), f.download)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		return errSilentFailure
	}
	return ctx.Err()
}
