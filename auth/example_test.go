package auth_test

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/grabhq/grab/auth"
	"github.com/grabhq/grab/auth/netrc"
	"github.com/grabhq/grab/testserver"
)

// The textbook's example 2-4, urllib's HTTPBasicAuthHandler:
//
//	auth_handler = urllib.request.HTTPBasicAuthHandler()
//	auth_handler.add_password(realm='Fake Realm', uri=url, user='user', passwd='passwd')
//	opener = urllib.request.build_opener(auth_handler)
//	print(opener.open(url + '/basic-auth/user/passwd').read())
//
// A password manager and a Basic handler on a plain http.Client. The
// credentials are tied to a realm, so, as in urllib, they are sent once
// the server's 401 names it.
func ExampleBasic() {
	srv := httptest.NewServer(testserver.New())
	defer srv.Close()

	pw := new(auth.Passwords) // HTTPPasswordMgrWithDefaultRealm
	if err := pw.Add("Fake Realm", srv.URL, "user", "passwd"); err != nil {
		log.Fatal(err)
	}
	client := &http.Client{Transport: &auth.Basic{Passwords: pw}}

	resp, err := client.Get(srv.URL + "/basic-auth/user/passwd")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.Status)
	fmt.Println(strings.Contains(string(body), `"authenticated": true`))
	// Output:
	// 200 OK
	// true
}

// Fixed credentials for one origin, sent with the first request (as curl
// does); another origin gets nothing.
func ExampleBasic_preemptive() {
	srv := httptest.NewServer(testserver.New())
	defer srv.Close()

	client := &http.Client{Transport: &auth.Basic{URL: srv.URL, User: "user", Password: "passwd"}}
	resp, err := client.Get(srv.URL + "/hidden-basic-auth/user/passwd") // 404 without credentials
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	fmt.Println(resp.Status)
	// Output: 200 OK
}

// A refused password ends in an error wrapping ErrAuthFailed, after one
// retry, when ReturnError is set; otherwise the 401 is returned.
func ExampleBasic_refused() {
	srv := httptest.NewServer(testserver.New())
	defer srv.Close()

	client := &http.Client{Transport: &auth.Basic{URL: srv.URL, User: "user", Password: "wrong", Challenge: true, ReturnError: true}}
	_, err := client.Get(srv.URL + "/basic-auth/user/passwd")
	var ae *auth.Error
	if errors.As(err, &ae) {
		fmt.Println(ae)
	}
	fmt.Println(errors.Is(err, auth.ErrAuthFailed), strings.Contains(err.Error(), "wrong"))
	// Output:
	// auth: basic credentials for realm "Fake Realm" refused after 2 attempts
	// true false
}

// urllib's HTTPDigestAuthHandler: SHA-256 against go-httpbin. The second
// request reuses the session: one exchange, nonce count 2.
func ExampleDigest() {
	srv := httptest.NewServer(testserver.New())
	defer srv.Close()

	client := &http.Client{Transport: &auth.Digest{URL: srv.URL, User: "user", Password: "passwd"}}
	for range 2 {
		resp, err := client.Get(srv.URL + "/digest-auth/auth/user/passwd/SHA-256")
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
		fmt.Println(resp.Status)
	}
	// Output:
	// 200 OK
	// 200 OK
}

func ExampleBearer() {
	srv := httptest.NewServer(testserver.New())
	defer srv.Close()

	client := &http.Client{Transport: &auth.Bearer{URL: srv.URL, Token: "abc123"}}
	resp, err := client.Get(srv.URL + "/bearer")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.Status, strings.Contains(string(body), `"token": "abc123"`))
	// Output: 200 OK true
}

// urllib's ProxyBasicAuthHandler, for a plain-http target through an
// authenticating proxy. The handler asks the transport's Proxy function
// which proxy a request uses, and answers only that proxy's 407.
func ExampleProxyBasic() {
	origin := httptest.NewServer(testserver.New())
	defer origin.Close()
	proxy, err := testserver.StartProxy(testserver.ProxyOptions{User: "pu", Password: "ppw"})
	if err != nil {
		log.Fatal(err)
	}
	defer proxy.Close()

	tr := &http.Transport{Proxy: http.ProxyURL(proxy.URL())}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: &auth.ProxyBasic{URL: proxy.URL().String(), User: "pu", Password: "ppw", Base: tr}}
	resp, err := client.Get(origin.URL + "/get")
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	recs := proxy.Records()
	fmt.Println(resp.Status, len(recs), recs[0].Authorized)
	// Output: 200 OK 1 true
}

// A netrc file as the password manager: the entry for each request's own
// host.
func ExampleBasic_netrc() {
	srv := httptest.NewServer(testserver.New())
	defer srv.Close()
	u, _ := url.Parse(srv.URL)

	f, err := netrc.Parse(strings.NewReader("machine " + u.Hostname() + " login user password passwd\n"))
	if err != nil {
		log.Fatal(err)
	}
	client := &http.Client{Transport: &auth.Basic{Passwords: f}}
	resp, err := client.Get(srv.URL + "/basic-auth/user/passwd")
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	fmt.Println(resp.Status)
	// Output: 200 OK
}

func ExamplePasswords() {
	pw := new(auth.Passwords)
	pw.Add("", "https://api.example.com/", "any", "pw0")             // default realm
	pw.Add("admin", "https://api.example.com/admin/", "root", "pw1") // realm "admin" under /admin/
	for _, q := range []struct{ realm, url string }{
		{"admin", "https://api.example.com/admin/users"},
		{"other", "https://api.example.com/admin/users"},
		{"admin", "https://api.example.com/administrator"},
		{"", "http://api.example.com/"}, // http: not for an https URI
	} {
		u, _ := url.Parse(q.url)
		user, _, ok := pw.FindUserPassword(q.realm, u)
		fmt.Printf("%s %s: %q %v\n", q.realm, q.url, user, ok)
	}
	// Output:
	// admin https://api.example.com/admin/users: "root" true
	// other https://api.example.com/admin/users: "any" true
	// admin https://api.example.com/administrator: "any" true
	//  http://api.example.com/: "" false
}
