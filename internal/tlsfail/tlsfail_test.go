package tlsfail

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestPermanent sends https to a plain HTTP server, through net/http
// (which answers "server gave HTTP response to HTTPS client") and by a
// bare TLS handshake (a RecordHeaderError): both are permanent; a refused
// connection is not.
func TestPermanent(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") }))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	_, viaHTTP := (&http.Client{Transport: tr}).Get("https://" + host + "/")
	_, viaTLS := tls.Dial("tcp", host, &tls.Config{InsecureSkipVerify: true})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	_, refused := net.Dial("tcp", closed)
	for _, tt := range []struct {
		name string
		err  error
		want bool
	}{
		{"net/http to a plain server", viaHTTP, true},
		{"TLS handshake with a plain server", viaTLS, true},
		{"wrapped", fmt.Errorf("fetch: %w", viaHTTP), true},
		{"refused", refused, false},
		{"nil", nil, false},
		{"other", errors.New("EOF"), false},
	} {
		if got := Permanent(tt.err); got != tt.want {
			t.Errorf("%s: Permanent(%v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
}
