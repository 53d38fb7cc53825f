package fetch_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/grabhq/grab/fetch"
	"github.com/grabhq/grab/testserver"
)

// The textbook's first client (1.2.4 and 2-1): open a URL, read the page.
func ExampleUrlopen() {
	srv := httptest.NewServer(testserver.New())
	defer srv.Close()
	o := new(fetch.Opener) // the installed Opener; Urlopen uses a default one otherwise
	fetch.InstallOpener(o)
	defer fetch.InstallOpener(nil)
	defer o.CloseIdleConnections()

	resp, err := fetch.Urlopen(context.Background(), srv.URL+"/hello", nil)
	if err != nil {
		log.Fatal(err)
	}
	text, err := resp.Text()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Status, text)
	// Output: 200 OK Hello World
}

// The textbook's 2-2: data makes a POST, url-encoded as a form.
func ExampleUrlopen_post() {
	srv := httptest.NewServer(testserver.New())
	defer srv.Close()
	o := new(fetch.Opener)
	fetch.InstallOpener(o)
	defer fetch.InstallOpener(nil)
	defer o.CloseIdleConnections()

	resp, err := fetch.Urlopen(context.Background(), srv.URL+"/post", []byte("query=python"))
	if err != nil {
		log.Fatal(err)
	}
	body, _ := resp.Text()
	fmt.Println(resp.Method, strings.Contains(body, `"query": [`) && strings.Contains(body, `"python"`))
	// Output: POST true
}

// The textbook's 2-3: a Request with a header and data.
func ExampleRequest() {
	srv := httptest.NewServer(testserver.New())
	defer srv.Close()
	o := new(fetch.Opener)
	defer o.CloseIdleConnections()

	req := fetch.NewRequest(srv.URL+"/anything", nil)
	req.AddHeader("Content-Type", "text/plain")
	req.SetData([]byte("hello"))
	resp, err := o.Open(context.Background(), req)
	if err != nil {
		log.Fatal(err)
	}
	body, _ := resp.Text()
	fmt.Println(req.GetMethod(), strings.Contains(body, `"data": "hello"`))
	// Output: POST true
}

// A final status outside 2xx is an *HTTPError; branch with errors.As.
func ExampleHTTPError() {
	srv := httptest.NewServer(testserver.New())
	defer srv.Close()
	o := new(fetch.Opener)
	defer o.CloseIdleConnections()

	_, err := o.Open(context.Background(), srv.URL+"/status/404")
	var he *fetch.HTTPError
	if errors.As(err, &he) && he.StatusCode == http.StatusNotFound {
		fmt.Println("not found:", he.Status)
	}
	// Output: not found: 404 Not Found
}

// Redirects are followed (at most 10) and listed in History.
func ExampleResponse_history() {
	srv := httptest.NewServer(testserver.New())
	defer srv.Close()
	o := new(fetch.Opener)
	defer o.CloseIdleConnections()

	resp, err := o.Open(context.Background(), srv.URL+"/redirect/2")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Close()
	for _, h := range resp.History {
		fmt.Println(h.StatusCode, strings.TrimPrefix(h.URL, srv.URL), "->", h.Location)
	}
	fmt.Println(strings.TrimPrefix(resp.URL, srv.URL))
	// Output:
	// 302 /redirect/2 -> /relative-redirect/1
	// 302 /relative-redirect/1 -> /get
	// /get
}

// BuildOpener takes the pieces in any order, as build_opener does.
func ExampleBuildOpener() {
	srv := httptest.NewServer(testserver.New())
	defer srv.Close()
	o, err := fetch.BuildOpener(
		fetch.Redirects{Max: 1},
		http.Header{"X-Client": {"textbook"}},
		&fetch.Retry{Attempts: 2},
		fetch.Timeouts{Total: -1},
	)
	if err != nil {
		log.Fatal(err)
	}
	defer o.CloseIdleConnections()
	_, err = o.Open(context.Background(), srv.URL+"/redirect/2")
	fmt.Println(errors.Is(err, fetch.ErrTooManyRedirects))
	// Output: true
}

// Retrieve is urlretrieve: the file appears only when complete.
func ExampleOpener_Retrieve() {
	srv := httptest.NewServer(testserver.New())
	defer srv.Close()
	dir, err := os.MkdirTemp("", "retrieve")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	o := new(fetch.Opener)
	defer o.CloseIdleConnections()

	name, hdr, err := o.Retrieve(context.Background(), srv.URL+"/hello", filepath.Join(dir, "hello.txt"), nil)
	if err != nil {
		log.Fatal(err)
	}
	b, _ := os.ReadFile(name)
	fmt.Println(string(b), hdr.Get("Content-Type"))
	// Output: Hello World text/plain; charset=utf-8
}

// data: URLs open without a server.
func ExampleOpener_Open_data() {
	resp, err := new(fetch.Opener).Open(context.Background(), "data:,A%20brief%20note")
	if err != nil {
		log.Fatal(err)
	}
	text, _ := resp.Text()
	fmt.Println(text, "|", resp.Header.Get("Content-Type"))
	// Output: A brief note | text/plain;charset=US-ASCII
}

// DetectCharset chooses a page's encoding the way a browser does.
func ExampleDetectCharset() {
	page := []byte("<html><head><meta charset=\"euc-kr\"></head><body>\xbe\xc8\xb3\xe7</body></html>")
	cs := fetch.DetectCharset(page, "text/html")
	text, _ := cs.Decode(page)
	fmt.Println(cs.Name, cs.Source, text[strings.Index(text, "<body>")+6:strings.Index(text, "</body>")])
	// Output: euc-kr meta 안녕
}
