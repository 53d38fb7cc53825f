package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/grabhq/grab/download"
	"github.com/grabhq/grab/parse"
	"github.com/grabhq/grab/testserver"
)

const demoLong = `Run grab's main job end to end, offline: the textbook's download_image.py.

grab demo starts the test server in this process on a free loopback port,
fetches its image gallery page, extracts the images as a browser sees them
(img, srcset, picture sources, lazy-loading attributes, og:image), downloads
them concurrently into DIR (-d, default DOWNLOAD) with progress on stderr,
prints a summary on stdout, and stops the server.

It is "grab images PAGE --download DIR" against a server it brings along:
run it twice and the second run finds every file current (conditional GETs,
nothing downloaded again).

Exit status:
  0    every image is saved (or current)
  1    failure
  2    usage error
  130  interrupted (SIGINT, SIGTERM or SIGHUP): partial files are kept for a rerun`

// demoFlags are grab demo's options.
type demoFlags struct {
	dir     string
	gallery int
	jobs    int
	quiet   bool
}

func newDemo(e *env) *cobra.Command {
	var f demoFlags
	c := &cobra.Command{
		Use:   "demo",
		Short: "Fetch a gallery page from a built-in server and download its images",
		Long:  demoLong,
		Example: `  grab demo
  grab demo -d /tmp/pictures -j 16 --gallery 200`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.demo(cmd.Context(), &f)
		},
	}
	fl := c.Flags()
	fl.StringVarP(&f.dir, "dir", "d", defaultDownloadDir, "save the images into `DIR`")
	fl.IntVar(&f.gallery, "gallery", 24, fmt.Sprintf("the gallery page /gallery/`N`.html, 0 to %d: N items of one to three images each, and the page's own (24: 49 images)", testserver.MaxGalleryImages))
	fl.IntVarP(&f.jobs, "jobs", "j", 8, "download `N` files at once")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "show no progress (the summary is still printed)")
	return c
}

// demo runs grab demo.
func (e *env) demo(ctx context.Context, f *demoFlags) error {
	switch {
	case f.gallery < 0 || f.gallery > testserver.MaxGalleryImages:
		return usageErrorf("--gallery %d: want 0 to %d", f.gallery, testserver.MaxGalleryImages)
	case f.jobs < 1:
		return usageErrorf("-j %d: want 1 or more", f.jobs)
	case f.dir == "":
		return usageErrorf("-d: want a directory")
	}
	srv := &testserver.Server{}
	if err := srv.Start(); err != nil {
		return fmt.Errorf("starting the test server: %w", err)
	}
	defer srv.Close()
	page := fmt.Sprintf("%s/gallery/%d.html", srv.URL(), f.gallery)
	if !f.quiet {
		e.errorf("test server on %s (in this process, loopback only)", srv.URL())
	}

	im := &imagesFlags{kinds: "default", download: f.dir, jobs: f.jobs, quiet: f.quiet}
	defer im.done(e, nil) // no -c here
	imgs, err := e.pageImages(ctx, page, im)
	if err != nil {
		return err
	}
	results, err := e.downloadImages(ctx, page, imgs, im)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil && !errors.Is(err, errSilentFailure) {
		return err // nothing downloaded (-d names a file): no summary
	}

	kinds := map[parse.Kind]int{}
	for _, img := range imgs {
		kinds[img.Kind]++
	}
	var found []string
	for _, k := range []parse.Kind{parse.KindImg, parse.KindSrcset, parse.KindSource, parse.KindLazy, parse.KindMeta} {
		if kinds[k] > 0 {
			found = append(found, fmt.Sprintf("%d %s", kinds[k], k))
		}
	}
	counts := map[download.Outcome]int{}
	var bytes int64
	for _, r := range results {
		counts[r.Outcome]++
		bytes += r.Size
	}
	abs, aerr := filepath.Abs(f.dir)
	if aerr != nil {
		abs = f.dir
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "page\t%s\n", page)
	fmt.Fprintf(tw, "images\t%d found (%s)\n", len(imgs), cmp.Or(strings.Join(found, ", "), "none"))
	fmt.Fprintf(tw, "files\t%s\n", cmp.Or(outcomeSummary(counts), "none"))
	fmt.Fprintf(tw, "saved\t%s in %s\n", humanBytes(float64(bytes)), printable(abs))
	if werr := tw.Flush(); werr != nil {
		return werr
	}
	return err
}
