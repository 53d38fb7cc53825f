package proxy_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/grabhq/grab/proxy"
	"github.com/grabhq/grab/testserver"
)

// The textbook's example 2-6, a proxy with Basic credentials:
//
//	proxy_handler = urllib.request.ProxyHandler({'http': 'http://www.example.com:3128/'})
//	proxy_auth_handler = urllib.request.ProxyBasicAuthHandler()
//	proxy_auth_handler.add_password('realm', 'host', 'username', 'password')
//	opener = urllib.request.build_opener(proxy_handler, proxy_auth_handler)
//	opener.open('http://www.example.com/login.html')
//
// Here the proxy and the origin are test servers on loopback.
func Example() {
	p, err := testserver.StartProxy(testserver.ProxyOptions{User: "username", Password: "password"})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	origin := httptest.NewServer(testserver.New())
	defer origin.Close()

	// ProxyHandler({'http': ...}) and add_password.
	sel, err := proxy.New(map[string]string{"http": p.URL().String()}, "")
	if err != nil {
		log.Fatal(err)
	}
	sel.SetCredentials("username", "password")

	// build_opener(...).open(...)
	tr := &http.Transport{Proxy: sel.Proxy, OnProxyConnectResponse: proxy.CheckConnect}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	resp, err := client.Get(origin.URL + "/hello")
	if err != nil {
		log.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Status, string(body))

	r := p.Records()[0]
	fmt.Println("the proxy got:", r.Method, r.Target == origin.URL+"/hello", r.Authorized)
	// Output:
	// 200 OK Hello World
	// the proxy got: GET true true
}

// FromEnvironment reads the proxy variables at the call; in a CGI script
// (REQUEST_METHOD set) it ignores HTTP_PROXY, which a client can set with
// a "Proxy:" header.
func ExampleFromEnvironment() {
	env := map[string]string{
		"HTTPS_PROXY":    "http://user:secret@proxy.internal:3128",
		"NO_PROXY":       ".corp.example,10.0.0.0/8",
		"REQUEST_METHOD": "GET",
		"HTTP_PROXY":     "http://attacker.example:8080",
	}
	sel, err := proxy.FromEnvironment(func(k string) string { return env[k] })
	if err != nil {
		log.Fatal(err)
	}
	for _, raw := range []string{
		"https://www.example.com/",
		"https://wiki.corp.example/",
		"https://10.1.2.3/",
		"http://www.example.com/",
		"https://127.0.0.1:8443/",
	} {
		u, _ := url.Parse(raw)
		p, _ := sel.ProxyFor(u)
		if p == nil {
			fmt.Println(raw, "direct")
		} else {
			fmt.Println(raw, "via", proxy.Redact(p))
		}
	}
	// Output:
	// https://www.example.com/ via http://user:xxxxx@proxy.internal:3128
	// https://wiki.corp.example/ direct
	// https://10.1.2.3/ direct
	// http://www.example.com/ direct
	// https://127.0.0.1:8443/ direct
}

// Credentials for one proxy stay with it: the https proxy never gets the
// http proxy's.
func ExampleSelector_SetProxyCredentials() {
	sel, err := proxy.New(map[string]string{
		"http":  "http://p1.internal:3128",
		"https": "http://p2.internal:3128",
	}, "")
	if err != nil {
		log.Fatal(err)
	}
	if err := sel.SetProxyCredentials("p1.internal:3128", "alice", "secret"); err != nil {
		log.Fatal(err)
	}
	for _, raw := range []string{"http://example.com/", "https://example.com/"} {
		u, _ := url.Parse(raw)
		p, _ := sel.ProxyFor(u)
		fmt.Println(raw, "via", proxy.Redact(p))
	}
	fmt.Println(sel)
	// Output:
	// http://example.com/ via http://alice:xxxxx@p1.internal:3128
	// https://example.com/ via http://p2.internal:3128
	// proxy.Selector{HTTP: "http://alice:xxxxx@p1.internal:3128", HTTPS: "http://p2.internal:3128", All: "", NoProxy: "", DirectLoopback: false}
}

func ExampleRedact() {
	u, _ := url.Parse("socks5h://alice:secret@proxy.internal:1080")
	fmt.Println(proxy.Redact(u))
	// Output: socks5h://alice:xxxxx@proxy.internal:1080
}

// Dial opens a tunnel through a proxy; the caller speaks to the target
// over it (here plain HTTP/1.1; for https, tls.Client first).
func ExampleDial() {
	p, err := testserver.StartProxy(testserver.ProxyOptions{User: "username", Password: "password"})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	origin := httptest.NewServer(testserver.New())
	defer origin.Close()
	target := strings.TrimPrefix(origin.URL, "http://")

	pu := p.URL()
	pu.User = url.UserPassword("username", "password")
	c, err := proxy.Dial(context.Background(), pu, target, nil, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "GET /hello HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", target)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.Status, string(body))
	fmt.Println("the proxy got:", p.Records()[0].Method)
	// Output:
	// 200 OK Hello World
	// the proxy got: CONNECT
}
