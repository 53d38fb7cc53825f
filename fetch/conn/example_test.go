package conn_test

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"context"

	"github.com/grabhq/grab/fetch/conn"
	"github.com/grabhq/grab/testserver"
)

// Two requests on one connection, as the textbook's example 2-8: the
// first finds /hello, the second does not.
func ExampleDial() {
	srv := httptest.NewServer(testserver.New())
	defer srv.Close()

	c, err := conn.Dial(context.Background(), srv.Listener.Addr().String())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	for _, path := range []string{"/hello", "/parrot.spam"} {
		if err := c.Request("GET", path, nil, conn.Header{}); err != nil {
			log.Fatal(err)
		}
		resp, err := c.GetResponse()
		if err != nil {
			log.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body) // read it all before the next request
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(resp.StatusCode, resp.Reason, len(body))
	}
	// Output:
	// 200 OK 11
	// 404 Not Found 19
}

// The stepwise form sends the head, pauses, then sends the body; the
// server sees the pause.
func ExampleConn_EndHeaders() {
	headIn := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now() // the head has arrived, without the body
		close(headIn)
		body, _ := io.ReadAll(r.Body)
		paused := "no pause"
		if time.Since(start) >= 200*time.Millisecond {
			paused = "a pause of at least 200ms"
		}
		fmt.Fprintf(w, "got %q after %s", body, paused)
	}))
	defer srv.Close()

	c, err := conn.Dial(context.Background(), srv.Listener.Addr().String())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	c.PutRequest("POST", "/upload")
	c.PutHeader("Content-Type", "text/plain")
	c.PutHeader("Content-Length", "5")
	if err := c.EndHeaders(); err != nil { // the head goes out now
		log.Fatal(err)
	}
	<-headIn                           // the server has the head alone
	time.Sleep(200 * time.Millisecond) // the pause between head and body
	if err := c.Send([]byte("hello")); err != nil {
		log.Fatal(err)
	}
	resp, err := c.GetResponse()
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(string(body))
	// Output: got "hello" after a pause of at least 200ms
}

// HEAD has no body, as the textbook's example 2-9 shows.
func ExampleConn_GetResponse() {
	srv := httptest.NewServer(testserver.New())
	defer srv.Close()
	c, err := conn.Dial(context.Background(), srv.Listener.Addr().String())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if err := c.Request("HEAD", "/hello", nil, conn.Header{}); err != nil {
		log.Fatal(err)
	}
	resp, err := c.GetResponse()
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.Status, resp.Header.Get("Content-Length"), len(body))
	// Output: 200 OK 11 0
}

// PUT of a file to the test server's upload directory (example 2-11).
func ExampleConn_Request() {
	dir, err := os.MkdirTemp("", "uploads")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	srv := httptest.NewServer(testserver.New(testserver.WithUploadDir(dir)))
	defer srv.Close()
	c, err := conn.Dial(context.Background(), srv.Listener.Addr().String())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	err = c.Request("PUT", "/file", strings.NewReader("***filecontents***"), conn.NewHeader("Content-Type", "text/plain"))
	if err != nil {
		log.Fatal(err)
	}
	resp, err := c.GetResponse()
	if err != nil {
		log.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	fmt.Println(resp.Status)
	// A request that would inject a header is refused before anything is sent.
	err = c.Request("GET", "/x\r\nX-Injected: 1", nil, conn.Header{})
	fmt.Println(err)
	// Output:
	// 201 Created
	// conn: invalid request: request target "/x\r\nX-Injected: 1" has "\r" at byte 2
}

// An http.Client on the low-level layer.
func ExampleTransport() {
	srv := httptest.NewServer(testserver.New())
	defer srv.Close()
	tr := &conn.Transport{}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	resp, err := client.Get(srv.URL + "/hello")
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.Status, string(body))
	// Output: 200 OK Hello World
}
