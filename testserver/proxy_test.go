package testserver

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// proxyOrigin is the upstream of the proxy tests: it remembers the headers
// of every request and answers "hello " and the path.
type proxyOrigin struct {
	mu      sync.Mutex
	headers []http.Header
}

func (o *proxyOrigin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	o.headers = append(o.headers, r.Header.Clone())
	o.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "hello %s", r.URL.Path)
}

// seen returns the headers of the requests the origin received.
func (o *proxyOrigin) seen() []http.Header {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]http.Header(nil), o.headers...)
}

func startTestOrigin(t *testing.T, tlsOn bool) (*httptest.Server, *proxyOrigin) {
	t.Helper()
	o := new(proxyOrigin)
	var srv *httptest.Server
	if tlsOn {
		srv = httptest.NewTLSServer(o)
	} else {
		srv = httptest.NewServer(o)
	}
	t.Cleanup(srv.Close)
	return srv, o
}

func startTestProxy(t *testing.T, opts ProxyOptions) *Proxy {
	t.Helper()
	p, err := StartProxy(opts)
	if err != nil {
		t.Fatalf("StartProxy(%+v): %v", opts, err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("Proxy.Close: %v", err)
		}
	})
	return p
}

// proxyClient returns a client that goes through p, with user as proxy
// credentials (nil for none) and tlsFrom's TLS configuration (nil for a
// plain http origin).
func proxyClient(t *testing.T, p *Proxy, user *url.Userinfo, tlsFrom *httptest.Server) *http.Client {
	t.Helper()
	u := p.URL()
	u.User = user
	tr := &http.Transport{Proxy: http.ProxyURL(u)} // set explicitly: ProxyFromEnvironment skips loopback
	if tlsFrom != nil {
		tr.TLSClientConfig = tlsFrom.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// proxyGet fetches target with c and returns the response, its body read.
func proxyGet(t *testing.T, c *http.Client, target string, h http.Header) (*http.Response, string, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, target, nil)
	if err != nil {
		t.Fatalf("NewRequest(%q): %v", target, err)
	}
	for k, vv := range h {
		req.Header[k] = vv
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, string(b), err
}

// proxyRaw sends the raw request text to addr and returns the response.
func proxyRaw(t *testing.T, addr, request string) *http.Response {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, request); err != nil {
		t.Fatalf("write request: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// onlyRecord returns p's single record, failing unless there is exactly one.
func onlyRecord(t *testing.T, p *Proxy) ProxyRecord {
	t.Helper()
	recs := p.Records()
	if len(recs) != 1 {
		t.Fatalf("Records() has %d records, want 1: %+v", len(recs), recs)
	}
	return recs[0]
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestProxyForwardHTTP(t *testing.T) {
	tests := []struct {
		name string
		opts ProxyOptions
		user *url.Userinfo
	}{
		{"open", ProxyOptions{}, nil},
		{"authenticated", ProxyOptions{User: "alice", Password: "s3cret"}, url.UserPassword("alice", "s3cret")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, origin := startTestOrigin(t, false)
			p := startTestProxy(t, tt.opts)
			c := proxyClient(t, p, tt.user, nil)

			target := srv.URL + "/path?q=1"
			resp, body, err := proxyGet(t, c, target, http.Header{
				"Authorization": {"Bearer origin-token"},
				"Cookie":        {"session=abc"},
				"X-Custom":      {"kept"},
				"Connection":    {"X-Hop"},
				"X-Hop":         {"dropped"},
			})
			if err != nil {
				t.Fatalf("GET %s through proxy: %v", target, err)
			}
			if resp.StatusCode != http.StatusOK || body != "hello /path" {
				t.Errorf("GET %s = %d %q, want 200 %q", target, resp.StatusCode, body, "hello /path")
			}

			rec := onlyRecord(t, p)
			if rec.Method != http.MethodGet || rec.Target != target || rec.Status != http.StatusOK || !rec.Authorized || rec.Err != "" {
				t.Errorf("record = %+v, want GET %s, status 200, authorized, no error", rec, target)
			}
			for _, k := range []string{"Authorization", "Cookie", "X-Custom", "X-Hop"} {
				if rec.Header.Get(k) == "" {
					t.Errorf("record header lacks %s: %v", k, rec.Header)
				}
			}
			if got := rec.Header.Get("Proxy-Authorization") != ""; got != (tt.user != nil) {
				t.Errorf("record has Proxy-Authorization = %v, want %v", got, tt.user != nil)
			}

			seen := origin.seen()
			if len(seen) != 1 {
				t.Fatalf("origin saw %d requests, want 1", len(seen))
			}
			for _, k := range []string{"Authorization", "Cookie", "X-Custom"} {
				if seen[0].Get(k) == "" {
					t.Errorf("origin did not receive %s: %v", k, seen[0])
				}
			}
			for _, k := range []string{"Proxy-Authorization", "Proxy-Connection", "X-Hop"} {
				if v := seen[0].Get(k); v != "" {
					t.Errorf("origin received %s: %q, want it removed by the proxy", k, v)
				}
			}
		})
	}
}

// TestProxyNoUserAgent: a request without User-Agent reaches the origin
// without one (not with Go's), and one with it keeps it.
func TestProxyNoUserAgent(t *testing.T) {
	srv, origin := startTestOrigin(t, false)
	p := startTestProxy(t, ProxyOptions{})
	host := strings.TrimPrefix(srv.URL, "http://")
	for _, ua := range []string{"", "User-Agent: mine/1\r\n"} {
		resp := proxyRaw(t, p.Addr(), "GET "+srv.URL+"/ua HTTP/1.1\r\nHost: "+host+"\r\n"+ua+"Connection: close\r\n\r\n")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	seen := origin.seen()
	if len(seen) != 2 || seen[0].Get("User-Agent") != "" || seen[1].Get("User-Agent") != "mine/1" {
		t.Errorf("origin saw User-Agent %q and %q, want none and mine/1", seen[0].Get("User-Agent"), seen[1].Get("User-Agent"))
	}
}

func TestProxyHTTPSTunnel(t *testing.T) {
	srv, origin := startTestOrigin(t, true)
	p := startTestProxy(t, ProxyOptions{User: "alice", Password: "s3cret"})
	c := proxyClient(t, p, url.UserPassword("alice", "s3cret"), srv)

	resp, body, err := proxyGet(t, c, srv.URL+"/secret", http.Header{
		"Authorization": {"Bearer origin-token"},
		"Cookie":        {"session=abc"},
	})
	if err != nil {
		t.Fatalf("GET %s through proxy: %v", srv.URL, err)
	}
	if resp.StatusCode != http.StatusOK || body != "hello /secret" {
		t.Errorf("GET /secret = %d %q, want 200 %q", resp.StatusCode, body, "hello /secret")
	}

	rec := onlyRecord(t, p)
	want := srv.Listener.Addr().String()
	if rec.Method != http.MethodConnect || rec.Target != want || rec.Status != http.StatusOK || !rec.Authorized {
		t.Errorf("record = %+v, want CONNECT %s, status 200, authorized", rec, want)
	}
	if rec.Header.Get("Proxy-Authorization") == "" {
		t.Errorf("CONNECT record lacks Proxy-Authorization: %v", rec.Header)
	}
	for _, k := range []string{"Authorization", "Cookie"} {
		if v := rec.Header.Get(k); v != "" {
			t.Errorf("proxy saw %s: %q through a TLS tunnel", k, v)
		}
	}
	seen := origin.seen()
	if len(seen) != 1 || seen[0].Get("Authorization") == "" || seen[0].Get("Proxy-Authorization") != "" {
		t.Errorf("origin saw %v, want one request with Authorization and without Proxy-Authorization", seen)
	}
}

func TestProxyAuth(t *testing.T) {
	srv, _ := startTestOrigin(t, false)
	p := startTestProxy(t, ProxyOptions{User: "alice", Password: "s3cret"})
	tests := []struct {
		name   string
		user   *url.Userinfo
		header string // Proxy-Authorization set by hand
		want   int
	}{
		{"no credentials", nil, "", http.StatusProxyAuthRequired},
		{"right credentials", url.UserPassword("alice", "s3cret"), "", http.StatusOK},
		{"wrong password", url.UserPassword("alice", "guess"), "", http.StatusProxyAuthRequired},
		{"wrong user", url.UserPassword("bob", "s3cret"), "", http.StatusProxyAuthRequired},
		{"password prefix", url.UserPassword("alice", "s3cre"), "", http.StatusProxyAuthRequired},
		{"not basic", nil, "Bearer s3cret", http.StatusProxyAuthRequired},
		{"bad base64", nil, "Basic !!!", http.StatusProxyAuthRequired},
		{"no colon", nil, "Basic YWxpY2U=", http.StatusProxyAuthRequired},
		{"lowercase scheme", nil, "basic YWxpY2U6czNjcmV0", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p.Reset()
			c := proxyClient(t, p, tt.user, nil)
			h := http.Header{}
			if tt.header != "" {
				h.Set("Proxy-Authorization", tt.header)
			}
			resp, _, err := proxyGet(t, c, srv.URL+"/", h)
			if err != nil {
				t.Fatalf("GET through proxy: %v", err)
			}
			if resp.StatusCode != tt.want {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.want)
			}
			const challenge = `Basic realm="grab-test-proxy"`
			if got := resp.Header.Get("Proxy-Authenticate"); (tt.want == http.StatusProxyAuthRequired) != (got == challenge) {
				t.Errorf("Proxy-Authenticate = %q with status %d", got, resp.StatusCode)
			}
			rec := onlyRecord(t, p)
			if rec.Status != tt.want || rec.Authorized != (tt.want == http.StatusOK) {
				t.Errorf("record = %+v, want status %d, authorized %v", rec, tt.want, tt.want == http.StatusOK)
			}
		})
	}

	t.Run("CONNECT without credentials", func(t *testing.T) {
		tlsSrv, origin := startTestOrigin(t, true)
		p.Reset()
		c := proxyClient(t, p, nil, tlsSrv)
		if _, _, err := proxyGet(t, c, tlsSrv.URL+"/", nil); err == nil {
			t.Fatal("GET https through proxy without credentials succeeded, want error")
		}
		rec := onlyRecord(t, p)
		if rec.Method != http.MethodConnect || rec.Status != http.StatusProxyAuthRequired || rec.Authorized {
			t.Errorf("record = %+v, want CONNECT answered 407, not authorized", rec)
		}
		if n := len(origin.seen()); n != 0 {
			t.Errorf("origin saw %d requests, want 0", n)
		}
	})
}

func TestProxyRefusals(t *testing.T) {
	srv, origin := startTestOrigin(t, false)
	tlsSrv, tlsOrigin := startTestOrigin(t, true)
	var asked sync.Map // hosts AllowTargets was asked about
	deny := func(host string) bool { asked.Store(host, true); return false }
	dead := closedPort(t)

	tests := []struct {
		name    string
		opts    ProxyOptions
		tls     bool   // fetch tlsSrv (through CONNECT) rather than srv
		target  string // "" for the origin's URL
		want    int
		wantErr bool // whether the record carries an upstream error
	}{
		{"denied http", ProxyOptions{AllowTargets: deny}, false, "", http.StatusForbidden, false},
		{"denied CONNECT", ProxyOptions{AllowTargets: deny}, true, "", http.StatusForbidden, false},
		{"default policy refuses non-loopback", ProxyOptions{}, false, "http://203.0.113.7/", http.StatusForbidden, false},
		{"default policy refuses a name", ProxyOptions{}, false, "http://example.invalid/", http.StatusForbidden, false},
		{"default policy refuses non-loopback CONNECT", ProxyOptions{}, true, "https://203.0.113.7/", http.StatusForbidden, false},
		{"unreachable http", ProxyOptions{}, false, "http://" + dead + "/", http.StatusBadGateway, true},
		{"unreachable CONNECT", ProxyOptions{}, true, "https://" + dead + "/", http.StatusBadGateway, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := startTestProxy(t, tt.opts)
			target := tt.target
			var c *http.Client
			if tt.tls {
				c = proxyClient(t, p, nil, tlsSrv)
				if target == "" {
					target = tlsSrv.URL + "/"
				}
			} else {
				c = proxyClient(t, p, nil, nil)
				if target == "" {
					target = srv.URL + "/"
				}
			}
			resp, _, err := proxyGet(t, c, target, nil)
			switch {
			case tt.tls && err == nil:
				t.Errorf("GET %s through proxy succeeded, want a CONNECT error", target)
			case !tt.tls && err != nil:
				t.Fatalf("GET %s through proxy: %v", target, err)
			case !tt.tls && resp.StatusCode != tt.want:
				t.Errorf("GET %s status = %d, want %d", target, resp.StatusCode, tt.want)
			}
			rec := onlyRecord(t, p)
			if rec.Status != tt.want || (rec.Err != "") != tt.wantErr {
				t.Errorf("record = %+v, want status %d, upstream error %v", rec, tt.want, tt.wantErr)
			}
		})
	}
	if _, ok := asked.Load("127.0.0.1"); !ok {
		t.Error(`AllowTargets was not asked about "127.0.0.1"`)
	}
	if n := len(origin.seen()) + len(tlsOrigin.seen()); n != 0 {
		t.Errorf("origins saw %d requests, want 0", n)
	}
}

func TestProxyBadRequests(t *testing.T) {
	p := startTestProxy(t, ProxyOptions{})
	tests := []struct {
		name, request string
		want          int
		recorded      bool
	}{
		{"origin-form", "GET /x HTTP/1.1\r\nHost: example.com\r\n\r\n", http.StatusBadRequest, true},
		{"asterisk-form", "OPTIONS * HTTP/1.1\r\nHost: example.com\r\n\r\n", http.StatusBadRequest, true},
		{"https absolute-form", "GET https://127.0.0.1:1/ HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n", http.StatusBadRequest, true},
		{"CONNECT without port", "CONNECT 127.0.0.1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", http.StatusBadRequest, true},
		{"header too large", "GET http://127.0.0.1:1/ HTTP/1.1\r\nHost: 127.0.0.1:1\r\nX-Big: " +
			strings.Repeat("a", 2*ProxyMaxHeaderBytes) + "\r\n\r\n", http.StatusRequestHeaderFieldsTooLarge, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p.Reset()
			resp := proxyRaw(t, p.Addr(), tt.request)
			if resp.StatusCode != tt.want {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.want)
			}
			recs := p.Records()
			switch {
			case !tt.recorded && len(recs) != 0:
				t.Errorf("Records() = %+v, want none", recs)
			case tt.recorded && (len(recs) != 1 || recs[0].Status != tt.want):
				t.Errorf("Records() = %+v, want one with status %d", recs, tt.want)
			}
		})
	}
	t.Run("record of origin-form", func(t *testing.T) {
		p.Reset()
		proxyRaw(t, p.Addr(), "GET /x?y=1 HTTP/1.1\r\nHost: example.com\r\nCookie: a=b\r\n\r\n")
		rec := onlyRecord(t, p)
		if rec.Method != http.MethodGet || rec.Target != "/x?y=1" || rec.Header.Get("Cookie") != "a=b" || !rec.Authorized {
			t.Errorf("record = %+v, want GET /x?y=1 with the Cookie header, authorized", rec)
		}
	})
}

func TestProxyStreaming(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Sum")
		io.WriteString(w, "first")
		http.NewResponseController(w).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
			return
		case <-time.After(10 * time.Second):
			return
		}
		io.WriteString(w, "second")
		w.Header().Set("X-Sum", "done")
	}))
	t.Cleanup(srv.Close)
	p := startTestProxy(t, ProxyOptions{})
	c := proxyClient(t, p, nil, nil)

	resp, err := c.Get(srv.URL + "/")
	if err != nil {
		t.Fatalf("GET through proxy: %v", err)
	}
	defer resp.Body.Close()
	first := make([]byte, len("first"))
	if _, err := io.ReadFull(resp.Body, first); err != nil || string(first) != "first" {
		t.Fatalf("first chunk = %q, %v; want %q before the origin finished", first, err, "first")
	}
	close(release)
	rest, err := io.ReadAll(resp.Body)
	if err != nil || string(rest) != "second" {
		t.Errorf("rest of body = %q, %v; want %q", rest, err, "second")
	}
	if got := resp.Trailer.Get("X-Sum"); got != "done" {
		t.Errorf("trailer X-Sum = %q, want %q", got, "done")
	}
}

func TestProxyTruncatedUpstream(t *testing.T) {
	tests := []struct {
		name          string
		contentLength string // "" for a chunked body
	}{
		{"content-length", "100"},
		{"chunked", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.contentLength != "" {
					w.Header().Set("Content-Length", tt.contentLength)
				}
				io.WriteString(w, strings.Repeat("x", 50))
				rc := http.NewResponseController(w)
				rc.Flush()
				if conn, _, err := rc.Hijack(); err == nil {
					conn.Close() // cut the body short
				}
			}))
			t.Cleanup(srv.Close)
			p := startTestProxy(t, ProxyOptions{})
			c := proxyClient(t, p, nil, nil)

			_, body, err := proxyGet(t, c, srv.URL+"/", nil)
			if err == nil {
				t.Errorf("GET of a truncated body through proxy = %d bytes, no error; want an error", len(body))
			}
			rec := onlyRecord(t, p)
			if rec.Status != http.StatusOK || rec.Err == "" {
				t.Errorf("record = %+v, want status 200 and an upstream error", rec)
			}
		})
	}
}

// waitClose closes p and fails unless Close returns within a few seconds.
func waitClose(t *testing.T, p *Proxy) {
	t.Helper()
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- p.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("Close took %v, want it prompt", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return within 5s")
	}
}

func TestProxyClose(t *testing.T) {
	t.Run("open tunnel", func(t *testing.T) {
		srv, _ := startTestOrigin(t, false)
		p := startTestProxy(t, ProxyOptions{})
		conn, err := net.DialTimeout("tcp", p.Addr(), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		host := srv.Listener.Addr().String()
		fmt.Fprintf(conn, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\nGET /inside HTTP/1.1\r\nHost: %s\r\n\r\n", host, host, host)
		br := bufio.NewReader(conn)
		resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("CONNECT answer = %v, %v; want 200", resp, err)
		}
		// The request sent right after CONNECT went through the tunnel.
		resp, err = http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("response through tunnel: %v", err)
		}
		b, err := io.ReadAll(io.LimitReader(resp.Body, int64(len("hello /inside"))))
		if err != nil || string(b) != "hello /inside" {
			t.Fatalf("body through tunnel = %q, %v; want %q", b, err, "hello /inside")
		}

		waitClose(t, p)
		conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		if n, err := br.Read(make([]byte, 1)); err == nil || isTimeout(err) {
			t.Errorf("read from tunnel after Close = %d, %v; want the connection closed", n, err)
		}
		if len(p.Records()) != 1 {
			t.Errorf("Records() after Close = %+v, want the CONNECT", p.Records())
		}
	})

	t.Run("request in flight", func(t *testing.T) {
		started := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			close(started)
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		}))
		t.Cleanup(srv.Close)
		p := startTestProxy(t, ProxyOptions{})
		c := proxyClient(t, p, nil, nil)
		type result struct {
			resp *http.Response
			err  error
		}
		got := make(chan result, 1)
		go func() {
			resp, _, err := proxyGet(t, c, srv.URL+"/", nil)
			got <- result{resp, err}
		}()
		select {
		case <-started:
		case <-time.After(5 * time.Second):
			t.Fatal("origin never received the request")
		}
		waitClose(t, p)
		select {
		case r := <-got:
			if r.err == nil && r.resp.StatusCode != http.StatusBadGateway {
				t.Errorf("request cut by Close = %d, want an error or 502", r.resp.StatusCode)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("request did not end after Close")
		}
	})

	t.Run("twice", func(t *testing.T) {
		p := startTestProxy(t, ProxyOptions{})
		waitClose(t, p)
		if err := p.Close(); err != nil {
			t.Errorf("second Close = %v, want nil", err)
		}
		if _, err := net.DialTimeout("tcp", p.Addr(), time.Second); err == nil {
			t.Errorf("dial %s after Close succeeded", p.Addr())
		}
	})
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

func TestProxyMaxRecords(t *testing.T) {
	srv, _ := startTestOrigin(t, false)
	p := startTestProxy(t, ProxyOptions{MaxRecords: 3})
	c := proxyClient(t, p, nil, nil)
	for i := range 5 {
		if _, _, err := proxyGet(t, c, fmt.Sprintf("%s/%d", srv.URL, i), nil); err != nil {
			t.Fatalf("GET /%d: %v", i, err)
		}
	}
	recs := p.Records()
	var got []string
	for _, r := range recs {
		got = append(got, strings.TrimPrefix(r.Target, srv.URL))
	}
	if want := "/2 /3 /4"; strings.Join(got, " ") != want {
		t.Errorf("Records() targets = %v, want %s", got, want)
	}
	recs[0].Header.Set("X-Changed", "1")
	if p.Records()[0].Header.Get("X-Changed") != "" {
		t.Error("changing a returned record's Header changed the proxy's record")
	}
	p.Reset()
	if n := len(p.Records()); n != 0 {
		t.Errorf("len(Records()) after Reset = %d, want 0", n)
	}
	if _, _, err := proxyGet(t, c, srv.URL+"/5", nil); err != nil {
		t.Fatal(err)
	}
	if recs := p.Records(); len(recs) != 1 || !strings.HasSuffix(recs[0].Target, "/5") {
		t.Errorf("Records() after Reset and one request = %+v, want /5", recs)
	}
}

func TestStartProxyOptions(t *testing.T) {
	tests := []struct {
		name    string
		opts    ProxyOptions
		wantErr bool
	}{
		{"zero value", ProxyOptions{}, false},
		{"loopback", ProxyOptions{Addr: "127.0.0.1:0"}, false},
		{"localhost", ProxyOptions{Addr: "localhost:0"}, false},
		{"unspecified", ProxyOptions{Addr: "0.0.0.0:0"}, true},
		{"all interfaces", ProxyOptions{Addr: ":0"}, true},
		{"public", ProxyOptions{Addr: "192.0.2.1:0"}, true},
		{"public name", ProxyOptions{Addr: "example.com:0"}, true},
		{"no port", ProxyOptions{Addr: "127.0.0.1"}, true},
		{"negative MaxRecords", ProxyOptions{MaxRecords: -1}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := StartProxy(tt.opts)
			if tt.wantErr {
				if err == nil {
					p.Close()
					t.Fatalf("StartProxy(%+v) succeeded, want error", tt.opts)
				}
				return
			}
			if err != nil {
				t.Fatalf("StartProxy(%+v): %v", tt.opts, err)
			}
			t.Cleanup(func() { p.Close() })
			u := p.URL()
			if u.Scheme != "http" || u.Host != p.Addr() {
				t.Errorf("URL() = %v, want http://%s", u, p.Addr())
			}
			if err := proxyCheckLoopback(p.Addr()); err != nil {
				t.Errorf("Addr() = %s: %v", p.Addr(), err)
			}
		})
	}
}

func TestProxyLoopbackHost(t *testing.T) {
	tests := []struct {
		host string
		want bool
	}{
		{"127.0.0.1", true},
		{"127.1.2.3", true},
		{"::1", true},
		{"::ffff:127.0.0.1", true},
		{"localhost", true},
		{"LOCALHOST.", true},
		{"10.0.0.1", false},
		{"0.0.0.0", false},
		{"::", false},
		{"localhost.example.com", false},
		{"127.0.0.1.example.com", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			if got := loopbackHost(tt.host); got != tt.want {
				t.Errorf("loopbackHost(%q) = %v, want %v", tt.host, got, tt.want)
			}
			if tt.host == "localhost" || tt.host == "LOCALHOST." || tt.host == "" {
				return // names are checked again once resolved
			}
			err := proxyCheckLoopback(net.JoinHostPort(tt.host, "80"))
			if (err == nil) != tt.want {
				t.Errorf("proxyCheckLoopback(%q) = %v, want ok %v", tt.host, err, tt.want)
			}
		})
	}
}
