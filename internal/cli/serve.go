package cli

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/grabhq/grab/testserver"
)

const serveLong = `Serve the grab test server: the server side of Python's http.server,
SimpleHTTPRequestHandler, CGIHTTPRequestHandler and wsgiref, plus httpbin
endpoints, image galleries, a linked site, and (with --faults) hostile
endpoints for testing clients.

With DIR, its files are served at / with directory listings, HEAD, Range,
ETag and Last-Modified (python -m http.server DIR). --cgi-dir runs the
executable scripts of a directory under /cgi-bin/ on GET and POST.
--upload-dir lets PUT store a request body under that directory and DELETE
remove it. --proxy-addr also starts a forward proxy (absolute-form HTTP and
CONNECT) on its own address.

The server binds loopback addresses only, unless --public is given. It prints
the URLs it serves and its endpoints to stdout, logs requests to stderr in the
common log format (-q to stop), and stops on Ctrl-C.`

// serveFlags are grab serve's options.
type serveFlags struct {
	addr, cgiDir, uploadDir, proxyAddr string
	proxyUser                          string
	tls, public, faults, quiet         bool
	maxUpload                          int64
}

func newServe(e *env) *cobra.Command {
	var f serveFlags
	c := &cobra.Command{
		Use:   "serve [DIR]",
		Short: "Run the test server (http.server, CGI, uploads, httpbin, faults, proxy)",
		Long:  serveLong,
		Example: `  grab serve                          # /hello, /gallery/10.html, /get, /status/404 ...
  grab serve . --addr 127.0.0.1:8888  # python -m http.server 8888
  grab serve www --cgi-dir www/cgi-bin --upload-dir uploads
  grab serve --tls --proxy-addr 127.0.0.1:3128 --faults`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var dir string
			if len(args) == 1 {
				dir = args[0]
			}
			return e.serve(cmd, dir, f)
		},
	}
	fl := c.Flags()
	fl.StringVar(&f.addr, "addr", "127.0.0.1:8888", "address to listen on (port 0 picks a free one)")
	fl.StringVar(&f.cgiDir, "cgi-dir", "", "run the executable scripts of `DIR` under /cgi-bin/")
	fl.StringVar(&f.uploadDir, "upload-dir", "", "store PUT bodies under `DIR`; DELETE removes them")
	fl.Int64Var(&f.maxUpload, "max-upload", testserver.DefaultMaxUpload, "largest PUT body in bytes")
	fl.BoolVar(&f.tls, "tls", false, "serve HTTPS with a generated self-signed certificate")
	fl.StringVar(&f.proxyAddr, "proxy-addr", "", "also run a forward proxy on `ADDR`")
	fl.StringVar(&f.proxyUser, "proxy-user", "", "require proxy credentials `USER:PASSWORD`")
	fl.BoolVar(&f.faults, "faults", false, "serve the hostile endpoints under /fault/")
	fl.BoolVar(&f.public, "public", false, "allow binding a non-loopback address")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "do not log requests")
	return c
}

func (e *env) serve(cmd *cobra.Command, dir string, f serveFlags) error {
	switch {
	case f.proxyUser != "" && f.proxyAddr == "":
		return usageErrorf("--proxy-user needs --proxy-addr")
	case cmd.Flags().Changed("max-upload") && f.uploadDir == "":
		return usageErrorf("--max-upload needs --upload-dir")
	case f.maxUpload < 1:
		return usageErrorf("--max-upload %d: want 1 byte or more", f.maxUpload)
	}
	for _, d := range []struct{ flag, path string }{{"DIR", dir}, {"--cgi-dir", f.cgiDir}, {"--upload-dir", f.uploadDir}} {
		if d.path == "" {
			continue
		}
		fi, err := os.Stat(d.path)
		if err != nil {
			return fmt.Errorf("serve: %s: %w", d.flag, err)
		}
		if !fi.IsDir() {
			return fmt.Errorf("serve: %s %q is not a directory", d.flag, d.path)
		}
	}
	var opts []testserver.Option
	if dir != "" {
		opts = append(opts, testserver.WithRoot(dir))
	}
	if f.cgiDir != "" {
		opts = append(opts, testserver.WithCGIDir(f.cgiDir))
	}
	if f.uploadDir != "" {
		opts = append(opts, testserver.WithUploadDir(f.uploadDir), testserver.WithMaxUpload(f.maxUpload))
	}
	if f.faults {
		opts = append(opts, testserver.WithFaults())
	}
	if !f.quiet {
		opts = append(opts, testserver.WithAccessLog(e.stderr))
	}
	if host, _, err := net.SplitHostPort(f.addr); err == nil && host != "" {
		// /redirect-to may always send clients back here (127.0.0.2 is
		// loopback too, but not on httpbin's own list).
		opts = append(opts, testserver.WithRedirectHosts(host))
	}
	srv := &testserver.Server{Handler: testserver.New(opts...), Addr: f.addr, TLS: f.tls, AllowPublic: f.public}
	if err := srv.Start(); err != nil {
		if errors.Is(err, testserver.ErrNotLoopback) {
			return fmt.Errorf("serve: --addr %s is not a loopback address; add --public to bind it (the test server is for trusted networks)", f.addr)
		}
		return fmt.Errorf("serve: %w", err)
	}
	defer srv.Close()
	var proxy *testserver.Proxy
	if f.proxyAddr != "" {
		po := testserver.ProxyOptions{Addr: f.proxyAddr, AllowPublic: f.public}
		if f.proxyUser != "" {
			u, p, ok := strings.Cut(f.proxyUser, ":")
			if !ok {
				return usageErrorf("--proxy-user wants USER:PASSWORD")
			}
			po.User, po.Password = u, p
		}
		var err error
		if proxy, err = testserver.StartProxy(po); err != nil {
			if errors.Is(err, testserver.ErrNotLoopback) {
				return fmt.Errorf("serve: --proxy-addr %s is not a loopback address; add --public to listen on it", f.proxyAddr)
			}
			return fmt.Errorf("serve: --proxy-addr: %w", err)
		}
		defer proxy.Close()
	}

	base := srv.URL()
	out := e.stdout
	fmt.Fprintf(out, "Serving HTTP on %s (%s/)\n", hostOf(base), base)
	if dir != "" {
		fmt.Fprintf(out, "  files of %s at %s/\n", dir, base)
	}
	if f.cgiDir != "" {
		fmt.Fprintf(out, "  CGI scripts of %s at %s/cgi-bin/NAME\n", f.cgiDir, base)
	}
	if f.uploadDir != "" {
		fmt.Fprintf(out, "  PUT and DELETE into %s at %s/NAME\n", f.uploadDir, base)
	}
	if proxy != nil {
		fmt.Fprintf(out, "  forward proxy at %s\n", proxy.URL())
	}
	fmt.Fprintf(out, "Endpoints: %s/hello  %s/wsgi/  %s/gallery/10.html  %s/img/64x64/1.png  %s/site/20/page/0.html  %s/robots.txt\n",
		base, base, base, base, base, base)
	fmt.Fprintf(out, "httpbin:   %s/get  /post  /anything  /status/{code}  /redirect/{n}  /basic-auth/{u}/{p}  /cookies  /delay/{s}  /bytes/{n}  /gzip ...\n", base)
	if f.faults {
		fmt.Fprintf(out, "faults:    %s/fault/... (drop, stall, lie, cut, gzip-bomb, redirect-loop, flaky, raw/{name})\n", base)
	}
	if dir == "" {
		fmt.Fprintf(out, "The full list: %s/\n", base)
	}
	fmt.Fprintln(out, "Press Ctrl-C to stop.")

	<-cmd.Context().Done()
	done := make(chan struct{})
	go func() {
		srv.Close()
		if proxy != nil {
			proxy.Close()
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
	}
	// Stopping on Ctrl-C is how serve ends: Run reports "interrupted" and
	// exits 130, as any interrupted command does.
	return cmd.Context().Err()
}

func hostOf(base string) string {
	h := strings.TrimPrefix(strings.TrimPrefix(base, "https://"), "http://")
	if host, port, err := net.SplitHostPort(h); err == nil {
		return host + " port " + port
	}
	return h
}
