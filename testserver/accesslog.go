package testserver

import (
	"bufio"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// accessLog wraps next so that every request is logged to out in the
// common log format:
//
//	127.0.0.1 - - [21/Nov/2026:12:00:00 +0000] "GET /hello HTTP/1.1" 200 11
//
// The request line is escaped as a Go string without its quotes, so a
// hostile request cannot forge log lines. A hijacked connection logs "-"
// for status and size.
func accessLog(out io.Writer, next http.Handler) http.Handler {
	var mu sync.Mutex
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lw := &logWriter{ResponseWriter: w}
		start := time.Now()
		defer func() {
			host, _, err := net.SplitHostPort(r.RemoteAddr)
			if err != nil {
				host = r.RemoteAddr
			}
			user := "-"
			if u, _, ok := r.BasicAuth(); ok && u != "" {
				user = escapeLog(u)
			}
			status, size := "-", "-"
			if !lw.hijacked {
				if lw.status == 0 {
					lw.status = http.StatusOK
				}
				status, size = strconv.Itoa(lw.status), strconv.FormatInt(lw.size, 10)
			}
			line := fmt.Sprintf("%s - %s [%s] \"%s\" %s %s\n", host, user, start.Format("02/Jan/2006:15:04:05 -0700"),
				escapeLog(r.Method+" "+r.RequestURI+" "+r.Proto), status, size)
			mu.Lock()
			io.WriteString(out, line)
			mu.Unlock()
		}()
		next.ServeHTTP(lw, r)
	})
}

func escapeLog(s string) string {
	q := strconv.Quote(s)
	return strings.ReplaceAll(q[1:len(q)-1], `\"`, `\x22`)
}

// logWriter records the status and size of a response. It passes Flush
// and Hijack through, and Unwrap for http.ResponseController.
type logWriter struct {
	http.ResponseWriter
	status   int
	size     int64
	hijacked bool
}

func (w *logWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *logWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.size += int64(n)
	return n, err
}

// ReadFrom passes a file's copy on to the ResponseWriter's ReadFrom, which
// sends it by sendfile(2): without it, a logged response is copied
// through a buffer.
func (w *logWriter) ReadFrom(r io.Reader) (int64, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := io.Copy(w.ResponseWriter, r) // by its ReadFrom when it has one
	w.size += n
	return n, err
}

func (w *logWriter) Flush() {
	http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *logWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil {
		w.hijacked = true
	}
	return c, rw, err
}

func (w *logWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// discardLog returns a logger for http.Server's own errors (TLS handshake
// failures, bad requests), which a library must not print.
func discardLog() *log.Logger { return log.New(io.Discard, "", 0) }
