// Command urlopen sends N GETs to a loopback URL from C workers and prints
// the rate, for bench/urlopen.sh. Each response must be a 200 whose body
// is read to its end (its Content-Length, when given, matched).
//
//	-impl urlopen          fetch.Urlopen with the default Opener (plain http
//	                       on fetch/conn: EngineAuto)
//	-impl urlopen-nethttp  fetch.Urlopen with an installed Opener on net/http
//	                       (EngineNetHTTP)
//	-impl opener           one fetch.Opener (zero value) shared by the workers
//	-impl opener-nethttp   one fetch.Opener{Engine: EngineNetHTTP} shared by them
//	-impl nethttp        net/http's http.DefaultClient
//	-impl nethttp-tuned  an http.Client on a clone of http.DefaultTransport
//	                     with MaxIdleConns 2C and MaxIdleConnsPerHost C
//
// It prints "impl n seconds rate", as bench/seqget does.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"

	"github.com/grabhq/grab/fetch"
)

const (
	maxRequests = 1_000_000
	maxWorkers  = 256
	timeLimit   = 5 * time.Minute
)

func main() {
	impl := flag.String("impl", "urlopen", "urlopen, urlopen-nethttp, opener, opener-nethttp, nethttp or nethttp-tuned")
	n := flag.Int("n", 2000, "requests")
	c := flag.Int("c", 1, "concurrent workers")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the requests to `file`")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: urlopen [-impl NAME] [-n N] [-c C] [-cpuprofile FILE] URL")
		os.Exit(2)
	}
	if err := run(*impl, *n, *c, *cpuprofile, flag.Arg(0)); err != nil {
		fmt.Fprintln(os.Stderr, "urlopen:", err)
		os.Exit(1)
	}
}

func run(impl string, n, c int, cpuprofile, rawurl string) error {
	if err := loopback(rawurl); err != nil {
		return err
	}
	if n < 1 || n > maxRequests {
		return fmt.Errorf("-n %d: want 1 to %d", n, maxRequests)
	}
	if c < 1 || c > maxWorkers {
		return fmt.Errorf("-c %d: want 1 to %d", c, maxWorkers)
	}
	get, err := getter(impl, c, rawurl)
	if err != nil {
		return err
	}
	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeLimit)
	defer cancel()
	start := time.Now()
	if err := loop(ctx, get, n, c); err != nil {
		return err
	}
	el := time.Since(start)
	fmt.Printf("%s %d %.6f %.0f\n", impl, n, el.Seconds(), float64(n)/el.Seconds())
	return nil
}

// loopback refuses a URL that is not http on a loopback IP address.
func loopback(rawurl string) error {
	u, err := url.Parse(rawurl)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(u.Hostname()); u.Scheme != "http" || ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("refusing %q: want http://127.0.0.1:PORT/...", rawurl)
	}
	return nil
}

// getter returns a function making one checked GET of rawurl with impl,
// safe for c concurrent workers.
func getter(impl string, c int, rawurl string) (func(context.Context) error, error) {
	switch impl {
	case "urlopen":
		return func(ctx context.Context) error {
			return viaFetch(fetch.Urlopen(ctx, rawurl, nil))
		}, nil
	case "urlopen-nethttp":
		fetch.InstallOpener(&fetch.Opener{Engine: fetch.EngineNetHTTP})
		return func(ctx context.Context) error {
			return viaFetch(fetch.Urlopen(ctx, rawurl, nil))
		}, nil
	case "opener":
		o := &fetch.Opener{}
		return func(ctx context.Context) error {
			return viaFetch(o.Open(ctx, rawurl))
		}, nil
	case "opener-nethttp":
		o := &fetch.Opener{Engine: fetch.EngineNetHTTP}
		return func(ctx context.Context) error {
			return viaFetch(o.Open(ctx, rawurl))
		}, nil
	case "nethttp":
		return func(ctx context.Context) error {
			return viaClient(ctx, http.DefaultClient, rawurl)
		}, nil
	case "nethttp-tuned":
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConns = 2 * c
		tr.MaxIdleConnsPerHost = c // the default, 2, would churn connections
		client := &http.Client{Transport: tr}
		return func(ctx context.Context) error {
			return viaClient(ctx, client, rawurl)
		}, nil
	}
	return nil, fmt.Errorf("unknown -impl %q", impl)
}

// loop makes n GETs from c workers; the first failure stops them all.
func loop(ctx context.Context, get func(context.Context) error, n, c int) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var next atomic.Int64
	errs := make([]error, c)
	var wg sync.WaitGroup
	for w := range c {
		wg.Go(func() {
			for next.Add(1) <= int64(n) && ctx.Err() == nil {
				if err := get(ctx); err != nil {
					errs[w] = err
					cancel()
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return ctx.Err()
}

func viaFetch(resp *fetch.Response, err error) error {
	if err != nil {
		return err
	}
	defer resp.Close()
	return check(resp.StatusCode, resp.Status, resp.ContentLength, resp)
}

func viaClient(ctx context.Context, client *http.Client, rawurl string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawurl, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return check(resp.StatusCode, resp.Status, resp.ContentLength, resp.Body)
}

// check reads body to its end and wants a 200 with a body as long as its
// Content-Length, when one was given.
func check(code int, status string, length int64, body io.Reader) error {
	got, err := io.Copy(io.Discard, body)
	switch {
	case err != nil:
		return err
	case code != http.StatusOK:
		return fmt.Errorf("HTTP %s", status)
	case length >= 0 && got != length:
		return fmt.Errorf("body of %d bytes, Content-Length %d", got, length)
	}
	return nil
}
