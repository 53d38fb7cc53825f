// Package testkit holds the test harness grab's client packages share
// (HOSTILE.md §5.3 and §5.4): a dialer that refuses every address but
// loopback and counts connections, a recorder of what test servers
// received, and unique canary secrets to look for in it.
package testkit

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// Guard is a test's dialer: it maps the fake host names of a test to
// loopback servers, dials loopback addresses only (any other fails the
// test), and counts the connections made to each address asked for.
type Guard struct {
	t     testing.TB
	mu    sync.Mutex
	hosts map[string]string // "evil.example.com:80" -> "127.0.0.1:port"
	dials map[string]int
}

// NewGuard returns a Guard reporting to t.
func NewGuard(t testing.TB) *Guard {
	return &Guard{t: t, hosts: map[string]string{}, dials: map[string]int{}}
}

// Alias makes a dial to hostport (compared without case) reach target.
func (g *Guard) Alias(hostport, target string) {
	g.mu.Lock()
	g.hosts[strings.ToLower(hostport)] = target
	g.mu.Unlock()
}

// DialContext dials addr, or the loopback server it is an alias of.
func (g *Guard) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	g.mu.Lock()
	g.dials[addr]++
	target, mapped := g.hosts[strings.ToLower(addr)]
	g.mu.Unlock()
	if !mapped {
		target = addr
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			g.t.Errorf("guard: dial to non-loopback %s", addr)
			return nil, fmt.Errorf("guard: %s is not loopback", addr)
		}
	}
	var d net.Dialer
	return d.DialContext(ctx, network, target)
}

// Dials returns the connections asked for to addr.
func (g *Guard) Dials(addr string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.dials[addr]
}

// Total returns the connections asked for in all.
func (g *Guard) Total() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := 0
	for _, c := range g.dials {
		n += c
	}
	return n
}

// Seen is one request a recorded server received.
type Seen struct {
	Server string // the name the test gave the server
	Method string
	Host   string
	URI    string
	Header http.Header
	Body   string // at most 1 MiB
}

// Text returns the request as a canary scan reads it: the request line,
// Host, every field (Basic credentials also decoded) and the body.
func (s Seen) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\nHost: %s\n", s.Method, s.URI, s.Host)
	for k, vs := range s.Header {
		for _, v := range vs {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
			if scheme, cred, ok := strings.Cut(v, " "); ok && strings.EqualFold(scheme, "Basic") {
				dec, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
				fmt.Fprintf(&b, "%s (decoded): %s\n", k, dec)
			}
		}
	}
	b.WriteString(s.Body)
	return b.String()
}

// Recorder keeps every request the servers it wraps received.
type Recorder struct {
	mu   sync.Mutex
	reqs []Seen
}

// Wrap returns h recording each request as received by server name.
func (r *Recorder) Wrap(name string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(req.Body, 1<<20))
		req.Body = io.NopCloser(bytes.NewReader(body))
		r.mu.Lock()
		r.reqs = append(r.reqs, Seen{name, req.Method, req.Host, req.RequestURI, req.Header.Clone(), string(body)})
		r.mu.Unlock()
		h.ServeHTTP(w, req)
	})
}

// All returns the requests received so far.
func (r *Recorder) All() []Seen {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Seen(nil), r.reqs...)
}

// At returns the requests server name received.
func (r *Recorder) At(name string) []Seen {
	var out []Seen
	for _, s := range r.All() {
		if s.Server == name {
			out = append(out, s)
		}
	}
	return out
}

// Reset forgets the requests received so far.
func (r *Recorder) Reset() {
	r.mu.Lock()
	r.reqs = nil
	r.mu.Unlock()
}

// Leaks returns where one of the secrets reached a server other than the
// allowed ones, anywhere in the request.
func (r *Recorder) Leaks(secrets []string, allowed ...string) []string {
	var out []string
	for _, s := range r.All() {
		ok := false
		for _, a := range allowed {
			ok = ok || s.Server == a
		}
		if ok {
			continue
		}
		text := s.Text()
		for _, secret := range secrets {
			if strings.Contains(text, secret) {
				out = append(out, fmt.Sprintf("%s got %q in %s %s", s.Server, secret, s.Method, s.URI))
			}
		}
	}
	return out
}

// Canary returns a unique secret for one test, starting with what.
func Canary(what string) string {
	var b [8]byte
	rand.Read(b[:])
	return what + "-" + hex.EncodeToString(b[:])
}

// ReadHead reads one HTTP head from br, up to and including its empty
// line, at most 1 MiB, as a raw test server reads a request.
func ReadHead(br *bufio.Reader) (string, error) {
	var b strings.Builder
	for {
		line, err := br.ReadString('\n')
		b.WriteString(line)
		if err != nil {
			return b.String(), err
		}
		if line == "\r\n" || line == "\n" {
			return b.String(), nil
		}
		if b.Len() > 1<<20 {
			return b.String(), errors.New("testkit: head over 1 MiB")
		}
	}
}

// SyncBuffer is a buffer that one goroutine may write while another reads
// it: a command's stderr or a logger's sink in a test.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
