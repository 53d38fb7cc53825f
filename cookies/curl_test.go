package cookies_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/grabhq/grab/cookies"
)

// curl runs curl with args (after -q, which skips ~/.curlrc, and
// --noproxy '*') for at most 10 seconds and returns its stdout.
func curl(t *testing.T, args ...string) string {
	t.Helper()
	bin, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl is not installed (apt-get install curl): skipping the curl interop test")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"-q", "--noproxy", "*", "-s", "-S"}, args...)...)
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("curl %s: %v: %s", strings.Join(args, " "), err, stderr)
	}
	return string(out)
}

// TestCurlWritesGrabReads: a jar curl wrote (-c) loads without error and
// its cookies are sent by an http.Client using the Jar.
func TestCurlWritesGrabReads(t *testing.T) {
	srv := startServer(t)
	u, _ := url.Parse(srv.URL)
	dir := t.TempDir()
	file := filepath.Join(dir, "curl.txt")
	curl(t, "-o", os.DevNull, "-c", file, srv.URL+"/cookies/set?a=1&b=two")
	// A domain cookie, with curl resolving www.example.com to the server.
	q := url.Values{"Set-Cookie": {"d=1; Domain=example.com; Path=/", "x=1; Max-Age=3600; Path=/"}}
	curl(t, "-o", os.DevNull, "--resolve", "www.example.com:"+u.Port()+":127.0.0.1", "-c", file+"2",
		"http://www.example.com:"+u.Port()+"/response-headers?"+q.Encode())
	written, _ := os.ReadFile(file)
	t.Logf("curl wrote:\n%s", written)

	jar := new(cookies.Jar)
	if err := jar.Load(file); err != nil {
		t.Fatalf("Load(curl's jar): %v", err)
	}
	if err := jar.Load(file + "2"); err != nil {
		t.Fatalf("Load(curl's second jar): %v", err)
	}
	client := &http.Client{Jar: jar}
	t.Cleanup(client.CloseIdleConnections)
	if got := get(t, client, srv.URL+"/cookies"); len(got.Cookies) != 2 || got.Cookies["a"] != "1" || got.Cookies["b"] != "two" {
		t.Errorf("the server saw %v, want a=1 and b=two from curl's jar", got)
	}
	var names []string
	for _, c := range jar.For(mustURL(t, "http://other.example.com/")) {
		names = append(names, c.Name)
	}
	if strings.Join(names, ",") != "d" {
		t.Errorf("other.example.com gets %v, want the domain cookie d", names)
	}
	all := jar.All()
	if len(all) != 4 || !all[0].HttpOnly || !all[0].HostOnly || all[0].Domain != "127.0.0.1" {
		t.Errorf("loaded %+v", all)
	}
}

// TestGrabWritesCurlReads: a jar Save wrote is read by curl (-b), which
// sends the right cookies to the right hosts.
func TestGrabWritesCurlReads(t *testing.T) {
	srv := startServer(t)
	u, _ := url.Parse(srv.URL)
	jar := new(cookies.Jar)
	client := &http.Client{Jar: jar}
	t.Cleanup(client.CloseIdleConnections)
	get(t, client, srv.URL+"/cookies/set?g=2")
	www := mustURL(t, "http://www.example.com/")
	for _, c := range []*http.Cookie{
		{Name: "dom", Value: "3", Domain: "example.com"},
		{Name: "persist", Value: "4", MaxAge: 3600},
		{Name: "deep", Value: "5", Path: "/elsewhere"},
	} {
		if err := jar.Set(www, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := jar.Set(mustURL(t, "https://www.example.com/"), &http.Cookie{Name: "sec", Value: "6", Secure: true}); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "grab.txt")
	if err := jar.Save(file, &cookies.SaveOptions{Session: true}); err != nil {
		t.Fatal(err)
	}
	written, _ := os.ReadFile(file)
	t.Logf("grab wrote:\n%s", written)

	var e echo
	if err := json.Unmarshal([]byte(curl(t, "-b", file, srv.URL+"/cookies")), &e); err != nil {
		t.Fatal(err)
	}
	if len(e.Cookies) != 1 || e.Cookies["g"] != "2" {
		t.Errorf("curl -b sent %v to %s, want g=2", e, srv.URL)
	}
	out := curl(t, "--resolve", "www.example.com:"+u.Port()+":127.0.0.1", "-b", file, "http://www.example.com:"+u.Port()+"/cookies")
	e = echo{}
	if err := json.Unmarshal([]byte(out), &e); err != nil {
		t.Fatal(err)
	}
	if len(e.Cookies) != 2 || e.Cookies["dom"] != "3" || e.Cookies["persist"] != "4" {
		t.Errorf("curl -b sent %v to www.example.com over http, want dom=3 and persist=4 (not sec, not deep)", e)
	}
}
