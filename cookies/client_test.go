package cookies_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/grabhq/grab/cookies"
	"github.com/grabhq/grab/testserver"
)

// echo is what httpbin's /cookies answers: the cookies it received.
type echo struct {
	Cookies map[string]string `json:"cookies"`
}

// get fetches rawURL with client and decodes httpbin's /cookies answer
// (the redirect of /cookies/set and /cookies/delete ends there too).
func get(t *testing.T, client *http.Client, rawURL string, hdr ...string) echo {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "GET", rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i] == "Host" {
			req.Host = hdr[i+1]
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", rawURL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %v: %.200s", rawURL, resp.Status, err, b)
	}
	var e echo
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("GET %s: %v: %.200s", rawURL, err, b)
	}
	return e
}

func (e echo) String() string {
	var parts []string
	for k, v := range e.Cookies {
		parts = append(parts, k+"="+v)
	}
	return fmt.Sprint(parts)
}

func startServer(t *testing.T, opts ...testserver.Option) *httptest.Server {
	srv := httptest.NewServer(testserver.New(opts...))
	t.Cleanup(srv.Close)
	return srv
}

// TestClientRoundTrip drives a plain http.Client with a Jar against the
// test server: cookies set by a redirect come back on the next hop and
// on later requests, and deletion works.
func TestClientRoundTrip(t *testing.T) {
	srv := startServer(t)
	jar := new(cookies.Jar)
	client := &http.Client{Jar: jar}
	t.Cleanup(client.CloseIdleConnections)

	if got := get(t, client, srv.URL+"/cookies/set?a=1&b=x+y"); got.Cookies["a"] != "1" || got.Cookies["b"] != "x y" {
		t.Errorf("after /cookies/set the server saw %v, want a=1 and b=x y", got)
	}
	if got := get(t, client, srv.URL+"/cookies"); len(got.Cookies) != 2 {
		t.Errorf("/cookies saw %v", got)
	}
	if got := get(t, client, srv.URL+"/cookies/delete?a"); len(got.Cookies) != 1 || got.Cookies["b"] != "x y" {
		t.Errorf("after /cookies/delete?a the server saw %v, want only b", got)
	}
	all := jar.All()
	u, _ := url.Parse(srv.URL)
	if len(all) != 1 || all[0].Domain != u.Hostname() || !all[0].HostOnly || !all[0].HttpOnly || all[0].Path != "/" {
		t.Errorf("jar holds %+v", all)
	}

	// Attributes through /response-headers.
	q := url.Values{"Set-Cookie": {"p=1; Path=/cookies; Max-Age=60", "n=1; Path=/nowhere", "gone=1; Max-Age=0"}}
	resp, err := client.Get(srv.URL + "/response-headers?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := get(t, client, srv.URL+"/cookies"); got.Cookies["p"] != "1" || got.Cookies["n"] != "" || got.Cookies["gone"] != "" {
		t.Errorf("/cookies saw %v, want p and not n or gone", got)
	}
	// Another loopback name is another host.
	other := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	if got := get(t, client, other+"/cookies"); len(got.Cookies) != 0 {
		t.Errorf("localhost got %v, want no cookies", got)
	}
}

// exampleWorld serves https://example.com and http://example.com from
// two loopback test servers through a dialer that maps the name; the
// client trusts the test certificate (issued for example.com).
func exampleWorld(t *testing.T) *http.Client {
	t.Helper()
	h := testserver.New(testserver.WithRedirectHosts("example.com"))
	tlsSrv := httptest.NewTLSServer(h)
	t.Cleanup(tlsSrv.Close)
	plain := httptest.NewServer(h)
	t.Cleanup(plain.Close)
	tr := tlsSrv.Client().Transport.(*http.Transport).Clone()
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		switch addr {
		case "example.com:443", "www.example.com:443":
			addr = tlsSrv.Listener.Addr().String()
		case "example.com:80", "www.example.com:80":
			addr = plain.Listener.Addr().String()
		default:
			t.Errorf("dial to %s", addr)
			return nil, fmt.Errorf("test dialer: %s is not mapped", addr)
		}
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Jar: new(cookies.Jar)}
}

// TestClientSecureRedirect is HOSTILE.md B2: after a redirect from
// https://example.com to http://example.com, the jar's Secure cookies
// stay behind while the others follow.
func TestClientSecureRedirect(t *testing.T) {
	client := exampleWorld(t)
	if got := get(t, client, "https://example.com/cookies/set?s=secret"); got.Cookies["s"] != "secret" {
		t.Fatalf("https /cookies saw %v", got)
	}
	get(t, client, "https://example.com/cookies/set?p=plain&attr[Secure]=false")
	jar := client.Jar.(*cookies.Jar)
	if got := dump(jar); got != "p=plain example.com/ host-only,httponly,session\ns=secret example.com/ host-only,secure,httponly,session\n" {
		t.Fatalf("jar:\n%s", got)
	}
	got := get(t, client, "https://example.com/redirect-to?url="+url.QueryEscape("http://example.com/cookies"))
	if got.Cookies["s"] != "" || got.Cookies["p"] != "plain" {
		t.Errorf("http://example.com after the redirect saw %v, want p only", got)
	}
	if got := get(t, client, "http://example.com/cookies"); got.Cookies["s"] != "" {
		t.Errorf("http://example.com saw %v", got)
	}
	// And http cannot overwrite the Secure cookie (D4).
	get(t, client, "http://example.com/cookies/set?s=forged")
	if got := get(t, client, "https://example.com/cookies"); got.Cookies["s"] != "secret" {
		t.Errorf("https after an http overwrite saw %v, want s=secret", got)
	}
}

// TestClientNoLeftover is HOSTILE.md D12: a Cookie and a Host header
// given on one request of a reused client are not kept for the next.
// (net/http files the cookies of a request with a Host override under
// that host, so request 1's cookie j belongs to override.test.)
func TestClientNoLeftover(t *testing.T) {
	srv := startServer(t)
	jar := new(cookies.Jar)
	client := &http.Client{Jar: jar}
	t.Cleanup(client.CloseIdleConnections)
	got := get(t, client, srv.URL+"/cookies/set?j=1", "Cookie", "custom=canary", "Host", "override.test")
	if got.Cookies["custom"] != "canary" {
		t.Errorf("request 1 saw %v, want the custom cookie", got)
	}
	if got := get(t, client, srv.URL+"/cookies"); len(got.Cookies) != 0 {
		t.Errorf("request 2 saw %v, want no cookies", got)
	}
	if got := get(t, client, srv.URL+"/cookies", "Host", "override.test"); len(got.Cookies) != 1 || got.Cookies["j"] != "1" {
		t.Errorf("request 3 (Host override.test) saw %v, want j=1 only", got)
	}
	if d := dump(jar); strings.Contains(d, "canary") || d != "j=1 override.test/ host-only,httponly,session\n" {
		t.Errorf("jar:\n%s", d)
	}
}

// TestClientFlood is HOSTILE.md D7 over HTTP: a response with 200
// Set-Cookie headers of 4 KB each. The jar keeps 50, sends at most 8 KiB
// of them (so the server, which refuses headers over 64 KiB, still
// answers), and other hosts are untouched.
func TestClientFlood(t *testing.T) {
	flood := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i := range 200 {
			w.Header().Add("Set-Cookie", fmt.Sprintf("f%d=%s; Path=/", i, strings.Repeat("v", 4000)))
		}
	})
	srv := startServer(t, testserver.Mount("/flood", flood))
	jar := new(cookies.Jar)
	client := &http.Client{Jar: jar}
	t.Cleanup(client.CloseIdleConnections)
	other := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	get(t, client, other+"/cookies/set?mine=1")

	resp, err := client.Get(srv.URL + "/flood")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if n := jar.Len(); n != cookies.DefaultMaxPerResponse+1 {
		t.Errorf("jar holds %d cookies, want %d", n, cookies.DefaultMaxPerResponse+1)
	}
	got := get(t, client, srv.URL+"/cookies")
	if len(got.Cookies) != 2 {
		t.Errorf("server saw %d cookies after the flood, want 2 (8 KiB)", len(got.Cookies))
	}
	if got := get(t, client, other+"/cookies"); len(got.Cookies) != 1 || got.Cookies["mine"] != "1" {
		t.Errorf("the other host saw %v, want mine=1", got)
	}
}
