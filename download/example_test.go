package download_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/grabhq/grab/download"
	"github.com/grabhq/grab/fetch"
	"github.com/grabhq/grab/testserver"
)

func ExampleSafeName() {
	for _, s := range []string{"../../.bashrc", `a\..\..\win.ini`, "-rf", "report\u202efdp.exe", "CON.txt"} {
		fmt.Printf("%q\n", download.SafeName(s, true))
	}
	// Output:
	// "_bashrc"
	// "win.ini"
	// "_rf"
	// "reportfdp.exe"
	// "_CON.txt"
}

func ExampleNameFromURL() {
	fmt.Println(download.NameFromURL("http://example.com/img/cat%20photo.png?size=large", false))
	fmt.Println(download.NameFromURL("http://example.com/d/..%2F..%2Fevil", false))
	fmt.Println(download.NameFromURL("http://example.com/", false))
	// Output:
	// cat photo.png
	// evil
	// index.html
}

func ExampleClient_Do() {
	srv := httptest.NewServer(testserver.New())
	defer srv.Close()
	dir, err := os.MkdirTemp("", "download-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	o := new(fetch.Opener)
	defer o.CloseIdleConnections()

	c := &download.Client{Opener: o, Concurrency: 4}
	urls := []string{srv.URL + "/img/32x32/1.png", srv.URL + "/img/32x32/2.png", srv.URL + "/status/404"}
	res, err := c.Do(context.Background(), download.Into(dir, urls...)...)
	for _, r := range res {
		fmt.Println(r.Outcome, filepath.Base(r.Path), r.Size > 0)
	}
	fmt.Println(err != nil)
	// Output:
	// downloaded 1.png true
	// downloaded 2.png true
	// failed 404 false
	// true
}
