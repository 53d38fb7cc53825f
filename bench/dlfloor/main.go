// Command dlfloor is the least a Go program does to download a list of
// plain-http URLs of one host into a directory: J workers, each with one
// keep-alive connection, a request written by hand, the head read for
// Content-Length, the body copied into NAME created exclusively. No
// redirects, retries, temporary names, fsync, dates, names checked or
// errors recovered: it is the floor bench/download.sh measures grab
// against, not a downloader.
//
// Usage: dlfloor -j J -d DIR -i LIST
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
)

func main() {
	j := flag.Int("j", 16, "workers")
	dir := flag.String("d", ".", "directory")
	list := flag.String("i", "", "file of URLs, one a line")
	flag.Parse()
	b, err := os.ReadFile(*list)
	if err != nil {
		fail(err)
	}
	urls := strings.Fields(string(b))
	jobs := make(chan string)
	var wg sync.WaitGroup
	for range max(*j, 1) {
		wg.Go(func() {
			var w worker
			defer w.close()
			for u := range jobs {
				if err := w.get(u, *dir); err != nil {
					fail(fmt.Errorf("%s: %w", u, err))
				}
			}
		})
	}
	for _, u := range urls {
		jobs <- u
	}
	close(jobs)
	wg.Wait()
}

type worker struct {
	c   net.Conn
	br  *bufio.Reader
	buf []byte
}

func (w *worker) get(u, dir string) error {
	hostPath, ok := strings.CutPrefix(u, "http://")
	if !ok {
		return fmt.Errorf("not a plain http URL")
	}
	host, p, _ := strings.Cut(hostPath, "/")
	if w.c == nil {
		c, err := net.Dial("tcp", host)
		if err != nil {
			return err
		}
		w.c, w.br, w.buf = c, bufio.NewReaderSize(c, 128<<10), make([]byte, 128<<10)
	}
	if _, err := fmt.Fprintf(w.c, "GET /%s HTTP/1.1\r\nHost: %s\r\n\r\n", p, host); err != nil {
		return err
	}
	status, err := w.br.ReadSlice('\n')
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(status, []byte("HTTP/1.1 200 ")) {
		return fmt.Errorf("status %q", bytes.TrimSpace(status))
	}
	n := int64(-1)
	for {
		line, err := w.br.ReadSlice('\n')
		if err != nil {
			return err
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			break
		}
		if k, v, ok := bytes.Cut(line, []byte(":")); ok && strings.EqualFold(string(k), "Content-Length") {
			if n, err = strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64); err != nil {
				return err
			}
		}
	}
	if n < 0 {
		return fmt.Errorf("no Content-Length")
	}
	f, err := os.OpenFile(path.Join(dir, path.Base(p)), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
	if err != nil {
		return err
	}
	// Hiding f's ReadFrom makes CopyBuffer use w.buf, not a new buffer.
	if _, err := io.CopyBuffer(struct{ io.Writer }{f}, io.LimitReader(w.br, n), w.buf); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func (w *worker) close() {
	if w.c != nil {
		w.c.Close()
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "dlfloor:", err)
	os.Exit(1)
}
