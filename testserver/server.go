package testserver

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// Server limits (HOSTILE.md R10, R12): what one slow or greedy client can
// hold.
const (
	maxConns          = 1024
	maxHeaderBytes    = 64 << 10
	readHeaderTimeout = 10 * time.Second
	idleTimeout       = 60 * time.Second
	shutdownGrace     = 5 * time.Second
)

// Server runs a handler on a loopback address until Close, like
// httptest.Server but usable outside tests (grab serve uses it). Set the
// fields, then call Start. The zero value serves [New]() over plain HTTP on
// an unused port of 127.0.0.1.
type Server struct {
	// Handler is what is served; nil means New().
	Handler http.Handler
	// Addr is the address to listen on; "" means "127.0.0.1:0" (a free
	// port). A non-loopback address is refused unless AllowPublic is set.
	Addr        string
	AllowPublic bool
	// TLS serves HTTPS with a certificate generated at Start for
	// 127.0.0.1, ::1 and localhost; Client trusts it.
	TLS bool
	// WriteTimeout bounds a response that makes no progress, so a client
	// that never reads is dropped (HOSTILE.md R10): each write has that
	// long, and a file sent by sendfile that long a 256 KiB piece; a long
	// transfer that moves goes on. 0 means 5 minutes.
	WriteTimeout time.Duration

	mu     sync.Mutex
	srv    *http.Server
	ln     net.Listener
	cert   *x509.Certificate
	client *http.Client
	done   chan struct{}
	stop   context.CancelFunc // cancels every request's context, at Close
	active tracker            // handlers running, hijacked ones included
}

// Start listens and serves in the background.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return errors.New("testserver: server already started")
	}
	addr := s.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	if !s.AllowPublic {
		if err := checkLoopback(addr); err != nil {
			return err
		}
	}
	h := s.Handler
	if h == nil {
		h = New()
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("testserver: %w", err)
	}
	wt := s.WriteTimeout
	if wt == 0 {
		wt = 5 * time.Minute
	}
	base, stop := context.WithCancel(context.Background())
	s.stop = stop
	s.srv = &http.Server{
		Handler:           s.active.wrap(progressDeadline(h, wt)),
		BaseContext:       func(net.Listener) context.Context { return base },
		ReadHeaderTimeout: readHeaderTimeout,
		WriteTimeout:      wt,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          discardLog(),
	}
	ln = newLimitListener(ln.(*net.TCPListener), maxConns) // what Listen("tcp") makes
	pool := x509.NewCertPool()
	tr := &http.Transport{Proxy: nil, ForceAttemptHTTP2: true}
	if s.TLS {
		cert, leaf, err := selfSigned()
		if err != nil {
			stop()
			ln.Close()
			return err
		}
		s.cert = leaf
		pool.AddCert(leaf)
		s.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2", "http/1.1"}, MinVersion: tls.VersionTLS12}
		ln = tls.NewListener(ln, s.srv.TLSConfig)
		tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	}
	s.ln = ln
	s.client = &http.Client{Transport: tr}
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		s.srv.Serve(ln) // returns http.ErrServerClosed after Close
	}()
	return nil
}

// ErrNotLoopback reports a listen address that is not a loopback address,
// given to a Server or a Proxy without AllowPublic.
var ErrNotLoopback = errors.New("not a loopback address")

// checkLoopback refuses a listen address whose host is not loopback.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("testserver: invalid address %q: %w", addr, err)
	}
	if !loopbackHost(host) {
		return fmt.Errorf("testserver: address %q: %w; set AllowPublic to bind it", addr, ErrNotLoopback)
	}
	return nil
}

// URL returns the server's base URL, such as "http://127.0.0.1:41234",
// without a trailing slash.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return ""
	}
	scheme := "http"
	if s.TLS {
		scheme = "https"
	}
	return (&url.URL{Scheme: scheme, Host: s.ln.Addr().String()}).String()
}

// Client returns an HTTP client for the server: it trusts the generated
// certificate and uses no proxy.
func (s *Server) Client() *http.Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.client
}

// Certificate returns the generated certificate, or nil without TLS.
func (s *Server) Certificate() *x509.Certificate {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cert
}

// Close stops the server: it stops accepting, lets requests in flight
// finish for up to five seconds, then closes every connection and cancels
// every request's context, which ends the connections fault endpoints took
// over (net/http's Shutdown does not track them), and returns when the
// serving goroutine and the handlers have ended (a handler that ignores
// its context is waited for five seconds more).
func (s *Server) Close() error {
	s.mu.Lock()
	srv, done, client, stop := s.srv, s.done, s.client, s.stop
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	err := srv.Shutdown(ctx)
	if err != nil {
		err = srv.Close()
	}
	<-done
	stop()
	s.active.wait(shutdownGrace)
	if client != nil {
		client.CloseIdleConnections()
	}
	return err
}

// selfSigned makes an ECDSA P-256 certificate for the loopback names,
// valid from an hour ago for a day.
func selfSigned() (tls.Certificate, *x509.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("testserver: generating key: %w", err)
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{"grab test server"}, CommonName: "localhost"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("testserver: creating certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("testserver: parsing certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, leaf, nil
}

// tracker counts the handlers running, for Close to wait for them. Once
// it waits, a handler that starts (one srv.Close did not stop in time) is
// answered 503 instead, so no Add races with the Wait. (Proxy.begin gates
// its handlers alike, in a WaitGroup that counts its tunnels too.)
type tracker struct {
	mu      sync.RWMutex
	closing bool
	wg      sync.WaitGroup
}

func (t *tracker) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.mu.RLock()
		if t.closing {
			t.mu.RUnlock()
			http.Error(w, "server closing", http.StatusServiceUnavailable)
			return
		}
		t.wg.Add(1)
		t.mu.RUnlock()
		defer t.wg.Done()
		h.ServeHTTP(w, r)
	})
}

// wait waits for the handlers running to return, for at most d (a handler
// that ignores its context is left running, with the goroutine waiting
// for it).
func (t *tracker) wait(d time.Duration) {
	t.mu.Lock()
	t.closing = true
	t.mu.Unlock()
	ended := make(chan struct{})
	go func() {
		t.wg.Wait()
		close(ended)
	}()
	select {
	case <-ended:
	case <-time.After(d):
	}
}

// progressChunk is how much of a file a write deadline covers.
const progressChunk = 256 << 10

// progressDeadline gives each write of h's responses the write deadline
// wt ahead, so that http.Server's WriteTimeout, set once a request, ends a
// response that stalls, not one that takes long (a 1 GiB file to a client
// reading 200 KB/s).
func progressDeadline(h http.Handler, wt time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(&progressWriter{ResponseWriter: w, rc: http.NewResponseController(w), wt: wt}, r)
	})
}

// progressWriter is progressDeadline's ResponseWriter.
type progressWriter struct {
	http.ResponseWriter
	rc *http.ResponseController
	wt time.Duration
}

func (w *progressWriter) extend() { w.rc.SetWriteDeadline(time.Now().Add(w.wt)) }

func (w *progressWriter) Write(p []byte) (int, error) {
	w.extend()
	return w.ResponseWriter.Write(p)
}

// ReadFrom sends r in pieces of progressChunk bytes, each with its
// deadline, through the ResponseWriter's own ReadFrom: sendfile for a
// file. net's sendfile looks through one io.LimitedReader, and
// http.ServeContent hands its file in one, so that one is unwrapped and
// its own limit kept, not wrapped in a second.
func (w *progressWriter) ReadFrom(r io.Reader) (int64, error) {
	src, left := r, int64(math.MaxInt64)
	lr, limited := r.(*io.LimitedReader)
	if limited {
		src, left = lr.R, lr.N
	}
	var n int64
	var err error
	for left > 0 {
		w.extend()
		want := min(progressChunk, left)
		var k int64
		k, err = io.Copy(w.ResponseWriter, &io.LimitedReader{R: src, N: want})
		n, left = n+k, left-k
		if err != nil || k < want {
			break
		}
	}
	if limited {
		lr.N = left
	}
	return n, err
}

func (w *progressWriter) Flush() { w.rc.Flush() }

func (w *progressWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
