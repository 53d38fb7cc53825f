package cli

import (
	"cmp"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/grabhq/grab/download"
	"github.com/grabhq/grab/fetch"
	"github.com/grabhq/grab/parse"
	"github.com/grabhq/grab/urlx"
)

const imagesLong = `List the images of a page: the textbook's parse_image.py, the way a browser
sees the page. TARGET is an http, https or file: URL (fetched with grab get's
client: redirects followed, the page decoded by its charset), a local file,
or - for stdin.

Without --json, the absolute URLs of the images are written to stdout sorted,
each once, one per line. With --json, each image is a JSON object on its own
line, in document order, with every field: url, raw (as written), tag, attr,
kind, descriptor (of a srcset candidate) and alt.

The kinds of image (--kinds, comma-separated; "all" for every kind):
  img     <img src>, <input type=image src>, <video poster>, SVG <image href>
  srcset  candidates of <img srcset>
  source  candidates of <source srcset> in <picture>
  lazy    data-src, data-srcset, data-original, data-lazy-src and the like
  meta    <meta property=og:image> and twitter:image
  css     url() in style attributes and <style> blocks (not fonts, @import),
          and the background attribute of <body>, <table> and its parts
  icon    <link rel=icon>, apple-touch-icon, mask-icon
  preload <link rel=preload as=image> href and imagesrcset
The default is img,srcset,source,lazy,meta.

Nothing in comments, <script>, <style>, <textarea>, <title>, <noscript> or
<template> counts. URLs are resolved against the page's first <base href>
and the page URL (after redirects), with Python's urljoin, and written as a
browser requests them; javascript: never appears, data: only with --data. A
local file or stdin has no page URL: give --page-url to resolve its relative
URLs, which are otherwise left out.

--download DIR saves the images instead (the textbook's download_image.py),
each URL once, -j at a time, as grab download does: NAME.part renamed only
when complete, resumed or checked with a conditional GET when run again,
progress on stderr (-q for none), and with --json a JSON line per file (url,
path, size, sha256, outcome, attempts, error) instead of the image list.
--download alone saves into DOWNLOAD; in "grab images URL --download DIR",
DIR is the directory. The -b 'NAME=VALUE' cookies go to the page's origin
only.

` + netFlagsHelp + `

Exit status:
  0    success (even when the page has no image)
  1    failure: no page, a status of 400 or more, a limit reached (the
       images found before it are still written), a download failed
  2    usage error
  130  interrupted (SIGINT, SIGTERM or SIGHUP)`

const imagesExample = `  grab images http://127.0.0.1:8888/gallery/12.html
  grab images --json --kinds all https://example.com/
  grab get https://example.com/ | grab images --page-url https://example.com/ -
  grab images --page-url https://example.com/docs/ saved.html
  grab images http://127.0.0.1:8888/gallery/12.html --download DOWNLOAD`

// imagesFlags holds the flags of grab images.
type imagesFlags struct {
	json      bool
	kinds     string
	pageURL   string
	data      bool
	best      bool
	userAgent string
	noAgent   bool // -A "": no User-Agent, as get's
	timeout   seconds
	insecure  bool
	net       netFlags

	download string // --download DIR
	jobs     int
	quiet    bool

	// set by opener on first use
	o      *fetch.Opener
	header http.Header
	sess   *session
}

func newImages(e *env) *cobra.Command {
	var f imagesFlags
	c := &cobra.Command{
		Use:     "images TARGET",
		Short:   "List the images of a page: URL, file or - (parse_image.py)",
		Long:    imagesLong,
		Example: imagesExample,
		Args:    cobra.ArbitraryArgs, // one, or --download's DIR and the TARGET: downloadDirArg
		RunE: func(cmd *cobra.Command, args []string) error {
			f.net.given(cmd.Flags())
			f.noAgent = cmd.Flags().Changed("user-agent") && f.userAgent == ""
			target, err := e.downloadDirArg(cmd, args, &f.download)
			if err != nil {
				return err
			}
			// Flags whose work nothing would show are refused, as crawl's
			// --download without --images.
			if f.download == "" {
				for _, name := range []string{"jobs", "quiet"} {
					if fl := cmd.Flags().Lookup(name); fl.Changed {
						return usageErrorf("-%s/--%s applies to --download: give it, or leave -%s out", fl.Shorthand, name, fl.Shorthand)
					}
				}
			}
			return e.images(cmd.Context(), target, &f)
		},
	}
	fl := c.Flags()
	fl.BoolVar(&f.json, "json", false, "write each image as a JSON object with every field, in document order")
	fl.StringVar(&f.kinds, "kinds", "default", "the kinds of image, comma-separated `LIST`: img,srcset,source,lazy,meta,css,icon,preload, all, default")
	fl.StringVar(&f.pageURL, "page-url", "", "resolve relative URLs as if the page came from `URL` (for a file or stdin)")
	fl.BoolVar(&f.data, "data", false, "list data: URIs too")
	fl.BoolVar(&f.best, "best", false, "keep only the best candidate of each srcset (the widest, or the densest)")
	fl.StringVarP(&f.userAgent, "user-agent", "A", "", "User-Agent `NAME` (default \"grab/VERSION\"; \"\" sends none)")
	fl.VarP(&f.timeout, "timeout", "m", "give up fetching after `DURATION` in all (1m30s, or seconds: 2.5)")
	fl.BoolVarP(&f.insecure, "insecure", "k", false, "do not verify the server's TLS certificate")
	fl.StringVar(&f.download, "download", "", "download the images into `DIR` (alone: DOWNLOAD, as the textbook)")
	fl.Lookup("download").NoOptDefVal = defaultDownloadDir
	fl.IntVarP(&f.jobs, "jobs", "j", 8, "with --download, download `N` files at once")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "with --download, show no progress (failures are still reported)")
	f.net.register(fl)
	return c
}

// defaultDownloadDir is where --download saves without a DIR: the
// textbook's download_image.py saves into DOWNLOAD.
const defaultDownloadDir = "DOWNLOAD"

// downloadDirArg returns the target of grab images from its positional
// args. --download's DIR is optional, so in "grab images URL --download
// DIR" the flag parser sees DIR as a second argument: it is --download's
// when --download was given without "=".
func (e *env) downloadDirArg(cmd *cobra.Command, args []string, dir *string) (string, error) {
	bare := cmd.Flags().Changed("download") && *dir == defaultDownloadDir
	if n := len(args); n == 0 || n > 2 || n == 2 && !bare {
		return "", usageErrorf("want one TARGET (a URL, a file or -), got %d arguments", n)
	}
	// The flag parser keeps positional arguments in order; a bare
	// --download takes the first one after it, other flags between
	// ("--download -q DIR URL").
	at := -1
	for i, a := range e.args {
		if a == "--download" {
			at = i
		}
	}
	follows := func(a string) bool {
		if at < 0 {
			return false
		}
		for _, b := range e.args[at+1:] {
			if b == a {
				return true
			}
			if slices.Contains(args, b) {
				return false // another positional argument comes first
			}
		}
		return false
	}
	if len(args) == 1 {
		// "grab images --download out" reads out as the page; when there
		// is no such file, the page was more likely forgotten.
		a := args[0]
		if bare && localPage(a) && follows(a) {
			if _, err := os.Stat(a); errors.Is(err, fs.ErrNotExist) {
				return "", usageErrorf("%q after --download is no page to read (no such file): for a directory, give the page too, as in 'grab images --download %s URL'", a, a)
			}
		}
		return a, nil
	}
	if follows(args[0]) {
		*dir = args[0]
		return args[1], nil
	}
	*dir = args[1]
	return args[0], nil
}

// images runs grab images.
func (e *env) images(ctx context.Context, target string, f *imagesFlags) (err error) {
	if f.jobs < 1 { // given with --download alone
		return usageErrorf("-j %d: want 1 or more", f.jobs)
	}
	if d := time.Duration(f.timeout); d > 0 && f.download != "" {
		// "In all": the page and the images together, not each request
		// (an Opener's total timeout would restart with every attempt).
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, d, &fetch.TimeoutError{Phase: "total", Limit: d})
		defer cancel()
	}
	defer func() { err = f.done(e, err) }()
	imgs, err := e.pageImages(ctx, target, f)
	if err != nil && !errors.Is(err, parse.ErrTruncated) {
		return err
	}
	if f.download != "" {
		if _, derr := e.downloadImages(ctx, target, imgs, f); derr != nil {
			return derr
		}
		return err
	}
	if werr := writeImages(e.stdout, imgs, f.json); werr != nil {
		return werr
	}
	return err
}

// downloadImages saves the http(s) images of imgs into --download's
// directory: each URL once, in sorted order, the page's literal -b
// cookies sent to the page's origin only. It returns the results of
// downloadAll.
func (e *env) downloadImages(ctx context.Context, target string, imgs []parse.Image, f *imagesFlags) ([]download.Result, error) {
	o, header, err := e.imagesOpener(target, f)
	if err != nil {
		return nil, err
	}
	var urls []string
	for _, im := range imgs {
		if strings.HasPrefix(im.URL, "http://") || strings.HasPrefix(im.URL, "https://") {
			urls = append(urls, im.URL)
		}
	}
	slices.Sort(urls)
	urls = slices.Compact(urls)
	if len(urls) == 0 {
		if !f.quiet {
			e.errorf("no image to download")
		}
		return nil, nil
	}
	reqs := download.Into(f.download, urls...)
	originCookies(reqs, f.credTarget(target), header.Values("Cookie"))
	return e.downloadAll(ctx, &download.Client{Opener: o, Concurrency: f.jobs}, reqs, f.json, f.quiet)
}

// credTarget returns the URL whose origin -u and -b are for: target when
// it is an http or https URL, else (a file, a file: URL, stdin) the one
// --page-url gives.
func (f *imagesFlags) credTarget(target string) string {
	scheme, _, _ := strings.Cut(target, ":")
	if s := strings.ToLower(scheme); (s == "http" || s == "https") && strings.Contains(target, "://") {
		return target
	}
	return f.pageURL
}

// imagesOpener returns the Opener grab images fetches with, made from the
// flags on first use; target's origin (credTarget's) is the one -u and -b
// are for. The header holds the literal -b cookies.
func (e *env) imagesOpener(target string, f *imagesFlags) (*fetch.Opener, http.Header, error) {
	if f.o != nil {
		return f.o, f.header, nil
	}
	target = f.credTarget(target)
	o := &fetch.Opener{
		UserAgent:      cmp.Or(f.userAgent, userAgent()),
		ReadBufferSize: download.ReadBufferSize,
	}
	if f.noAgent {
		o.Header = http.Header{"User-Agent": {""}} // fetch sends a field given empty as none
	}
	if f.download == "" {
		// With --download, -m is the images' deadline too (images).
		o.Timeouts.Total = time.Duration(f.timeout)
	}
	if f.insecure {
		o.TLSConfig = &tls.Config{InsecureSkipVerify: true}
	}
	header := http.Header{}
	sess, err := e.applyNet(&f.net, o, target, header, false)
	if err != nil {
		return nil, nil, err
	}
	f.o, f.header, f.sess = o, header, sess
	return o, header, nil
}

// done closes the Opener's connections and saves the -c jar, for a
// command ending with err (see session.finishAfter).
func (f *imagesFlags) done(e *env, err error) error {
	if f.o == nil {
		return err
	}
	f.o.CloseIdleConnections()
	return f.sess.finishAfter(e, err)
}

// pageImages fetches or reads target as grab images does and returns its
// images: the list grab images prints, and what a downloader fetches. With
// an error matching parse.ErrTruncated, the images found before the limit
// come back too.
func (e *env) pageImages(ctx context.Context, target string, f *imagesFlags) ([]parse.Image, error) {
	kinds, err := parse.ParseKinds(f.kinds)
	if err != nil {
		return nil, usageErrorf("--kinds: %v", strings.TrimPrefix(err.Error(), "parse: "))
	}
	if f.pageURL != "" {
		r, err := urlx.Split(f.pageURL)
		if err == nil {
			_, _, err = r.Port()
		}
		switch {
		case err != nil:
			return nil, usageErrorf("--page-url: %v", err)
		case r.Scheme == "":
			return nil, usageErrorf("--page-url %q: want an absolute URL, such as https://example.com/page.html", f.pageURL)
		}
	}
	// A zone no reference resolves against: said before the page is
	// fetched, not found after (the rest of CheckPageURL is above).
	page, flag := f.pageURL, "--page-url: "
	if page == "" && fetchedPage(target) {
		page, flag = target, ""
	}
	if err := parse.CheckPageURL(page); errors.Is(err, parse.ErrZone) {
		return nil, usageErrorf("%s%v", flag, strings.TrimPrefix(err.Error(), "parse: "))
	}
	body, contentType, pageURL, closeBody, err := e.openPage(ctx, target, f)
	if err != nil {
		return nil, err
	}
	defer closeBody()
	if f.pageURL != "" {
		pageURL = f.pageURL
	} else if pageURL == "" {
		e.errorf("warning: %s has no URL: relative image URLs are left out (give --page-url)", printable(displayTarget(target)))
	}
	r, cs, err := parse.Decode(body, contentType)
	if err != nil {
		return nil, err
	}
	imgs, err := parse.Images(r, pageURL, parse.Options{Kinds: kinds, KeepData: f.data, BestCandidate: f.best, Charset: cs})
	if err != nil {
		err = safeError{err}
	}
	return imgs, err
}

// fetchedPage reports whether openPage opens target through fetch: an
// http, https or file: URL.
func fetchedPage(target string) bool {
	scheme, _, ok := strings.Cut(target, ":")
	if !ok {
		return false // a file named "http"
	}
	switch strings.ToLower(scheme) {
	case "http", "https", "file":
		return true
	}
	return false
}

// localPage reports whether openPage reads target as a local file: not
// "-" (stdin), not a URL it fetches, nor one it refuses.
func localPage(target string) bool {
	return target != "-" && !fetchedPage(target) && !strings.Contains(target, "://")
}

// openPage opens target: an http, https or file: URL through fetch, "-"
// for stdin, or a local file. It returns the body, its Content-Type (""
// when unknown), the page's URL ("" for stdin and local files) and what to
// call when done with the body.
func (e *env) openPage(ctx context.Context, target string, f *imagesFlags) (io.Reader, string, string, func(), error) {
	nop := func() {}
	if target == "-" {
		return e.stdin, "", "", nop, nil
	}
	if !fetchedPage(target) {
		if strings.Contains(target, "://") { // a URL of another scheme (localPage)
			return nil, "", "", nil, usageErrorf("%q: want an http, https or file: URL, a file, or -", printable(target))
		}
		file, err := openInput(target)
		if err != nil {
			return nil, "", "", nil, err
		}
		return file, "", "", func() { file.Close() }, nil
	}
	o, header, err := e.imagesOpener(target, f)
	if err != nil {
		return nil, "", "", nil, err
	}
	resp, err := o.Open(ctx, &fetch.Request{URL: target, Header: header})
	if err != nil {
		return nil, "", "", nil, safeError{err}
	}
	done := func() { resp.Close() }
	pageURL := resp.URL
	if !strings.HasPrefix(strings.ToLower(pageURL), "http") {
		pageURL = "" // a file: page has no http(s) base
	}
	return resp, resp.Header.Get("Content-Type"), pageURL, done, nil
}

// displayTarget names a target in messages.
func displayTarget(target string) string {
	if target == "-" {
		return "stdin"
	}
	return target
}

// writeImages writes the images: sorted unique URLs, or JSON lines.
func writeImages(w io.Writer, imgs []parse.Image, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		for _, im := range imgs {
			if err := enc.Encode(im); err != nil {
				return err
			}
		}
		return nil
	}
	urls := make([]string, 0, len(imgs))
	for _, im := range imgs {
		urls = append(urls, im.URL)
	}
	slices.Sort(urls)
	urls = slices.Compact(urls)
	var b strings.Builder
	for _, u := range urls {
		b.WriteString(printable(u))
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	if err != nil {
		return fmt.Errorf("writing the list: %w", err)
	}
	return nil
}
