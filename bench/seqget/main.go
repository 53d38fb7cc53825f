// Command seqget sends N sequential GETs to a URL on one persistent
// connection and prints the rate, for bench/seqget.sh: -impl conn uses
// fetch/conn's Conn, transport an http.Client on conn.Transport, nethttp
// net/http's default client.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/grabhq/grab/fetch/conn"
)

func main() {
	impl := flag.String("impl", "conn", "conn, transport or nethttp")
	n := flag.Int("n", 2000, "requests")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: seqget [-impl conn|transport|nethttp] [-n N] URL")
		os.Exit(2)
	}
	u, err := url.Parse(flag.Arg(0))
	if err != nil || u.Hostname() != "127.0.0.1" {
		fmt.Fprintln(os.Stderr, "seqget: want a http://127.0.0.1:PORT/ URL")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	switch *impl {
	case "conn":
		err = viaConn(ctx, u, *n)
	case "transport":
		tr := &conn.Transport{}
		err = viaClient(ctx, &http.Client{Transport: tr}, u, *n)
	case "nethttp":
		err = viaClient(ctx, http.DefaultClient, u, *n)
	default:
		err = fmt.Errorf("unknown -impl %q", *impl)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "seqget:", err)
		os.Exit(1)
	}
	el := time.Since(start)
	fmt.Printf("%s %d %.6f %.0f\n", *impl, *n, el.Seconds(), float64(*n)/el.Seconds())
}

func viaConn(ctx context.Context, u *url.URL, n int) error {
	c, err := conn.Dial(ctx, u.Host)
	if err != nil {
		return err
	}
	defer c.Close()
	for range n {
		if err := c.Request("GET", u.RequestURI(), nil, conn.Header{}); err != nil {
			return err
		}
		r, err := c.GetResponse()
		if err != nil {
			return err
		}
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			return err
		}
		if r.StatusCode != 200 {
			return fmt.Errorf("HTTP %s", r.Status)
		}
	}
	return nil
}

func viaClient(ctx context.Context, client *http.Client, u *url.URL, n int) error {
	for range n {
		req, err := http.NewRequestWithContext(ctx, "GET", u.String(), nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if resp.StatusCode != 200 {
			return fmt.Errorf("HTTP %s", resp.Status)
		}
	}
	return nil
}
