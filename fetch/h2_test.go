package fetch_test

import (
	"bytes"
	"compress/gzip"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/grabhq/grab/fetch"
)

// HOSTILE.md E8: the faults of E1-E6 and F1 over HTTP/2 (TLS, ALPN h2;
// fetch's transports speak no h2c) end in the same errors.
func TestHTTP2Faults(t *testing.T) {
	bomb := func() []byte {
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		zw.Write(make([]byte, 64<<20))
		zw.Close()
		return b.Bytes()
	}()
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("/short", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		w.Write(make([]byte, 500)) // and end the stream early
	})
	mux.HandleFunc("/reset", func(w http.ResponseWriter, r *http.Request) {
		w.Write(make([]byte, 500))
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // RST_STREAM mid-body
	})
	mux.HandleFunc("/bomb", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(bomb)
	})
	mux.HandleFunc("/huge-headers", func(w http.ResponseWriter, r *http.Request) {
		for i := range 2048 {
			w.Header().Set("X-Big-"+strings.Repeat("h", 8)+string(rune('a'+i%26))+strings.Repeat("x", i%7), strings.Repeat("v", 1024))
			w.Header().Add("X-Many", strings.Repeat("v", 1000))
		}
	})
	srv := httptest.NewUnstartedServer(mux)
	srv.EnableHTTP2 = true
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	o := &fetch.Opener{TLSConfig: &tls.Config{RootCAs: pool}, Limits: fetch.Limits{DecodedBytes: 8 << 20}}
	t.Cleanup(o.CloseIdleConnections)

	resp, body := read(t, o, srv.URL+"/ok")
	if resp.Proto != "HTTP/2.0" || body != "ok" || resp.LengthUnknown {
		t.Fatalf("not HTTP/2: %s %q LengthUnknown %v", resp.Proto, body, resp.LengthUnknown)
	}
	readAll := func(path string) error {
		resp, err := o.Open(t.Context(), srv.URL+path)
		if err != nil {
			return err
		}
		defer resp.Close()
		_, err = io.Copy(io.Discard, resp)
		return err
	}
	var te *fetch.TruncatedError
	if err := readAll("/short"); err == nil || (!errors.As(err, &te) && !strings.Contains(err.Error(), "Content-Length")) {
		t.Errorf("E1 over h2: %v", err)
	}
	if err := readAll("/reset"); err == nil {
		t.Error("G3 over h2: a reset stream read as success")
	}
	if err := readAll("/bomb"); !errors.Is(err, fetch.ErrDecodedTooLarge) {
		t.Errorf("F1 over h2: %v", err)
	}
	if err := readAll("/huge-headers"); err == nil || !strings.Contains(err.Error(), "header") {
		t.Errorf("E5 over h2: %v, want a header-size error", err)
	}
}

// HOSTILE.md E8: a server that sends a HEADERS frame and then CONTINUATION
// frames without end (CVE-2023-45288's shape) fails within the header
// budget, without hanging.
func TestHTTP2ContinuationFlood(t *testing.T) {
	for _, flood := range []int{0, 100000} {
		t.Run(fmt.Sprint(flood), func(t *testing.T) { continuationFlood(t, flood) })
	}
}

// continuationFlood serves one response whose head is a HEADERS frame and
// flood CONTINUATION frames of 4 KB (none: a normal, empty 200).
func continuationFlood(t *testing.T, flood int) {
	cert := httptest.NewUnstartedServer(nil)
	cert.StartTLS() // only for its certificate
	cfg := cert.TLS.Clone()
	cfg.NextProtos = []string{"h2"}
	pool := x509.NewCertPool()
	pool.AddCert(cert.Certificate())
	cert.Close()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		preface := make([]byte, len(http2.ClientPreface))
		if _, err := io.ReadFull(c, preface); err != nil {
			return
		}
		fr := http2.NewFramer(c, c)
		fr.WriteSettings()
		// Read until the client's HEADERS, answering its SETTINGS.
		var stream uint32
		for stream == 0 {
			f, err := fr.ReadFrame()
			if err != nil {
				return
			}
			switch f := f.(type) {
			case *http2.SettingsFrame:
				if !f.IsAck() {
					fr.WriteSettingsAck()
				}
			case *http2.HeadersFrame:
				stream = f.StreamID
			}
		}
		var block bytes.Buffer
		enc := hpack.NewEncoder(&block)
		enc.WriteField(hpack.HeaderField{Name: ":status", Value: "200"})
		if fr.WriteHeaders(http2.HeadersFrameParam{StreamID: stream, BlockFragment: block.Bytes(), EndHeaders: flood == 0, EndStream: flood == 0}) != nil {
			return
		}
		for i := 0; i < flood; i++ { // about 400 MiB at most; the client stops far sooner
			block.Reset()
			enc.WriteField(hpack.HeaderField{Name: "x-flood", Value: strings.Repeat("f", 4000)})
			if fr.WriteContinuation(stream, false, block.Bytes()) != nil {
				return
			}
		}
	}()
	o := &fetch.Opener{TLSConfig: &tls.Config{RootCAs: pool}}
	t.Cleanup(o.CloseIdleConnections)
	resp, err := o.Open(t.Context(), "https://"+ln.Addr().(*net.TCPAddr).String()+"/")
	switch {
	case flood == 0 && err != nil:
		t.Fatalf("the same server without the flood: %v", err)
	case flood == 0:
		resp.Close()
	case err == nil:
		resp.Close()
		t.Fatal("a CONTINUATION flood read as a response")
	}
}
