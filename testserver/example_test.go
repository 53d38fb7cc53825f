package testserver_test

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/grabhq/grab/testserver"
)

func body(resp *http.Response, err error) string {
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		log.Fatal(err)
	}
	return string(b)
}

// The textbook's myhttpserver.py answers every GET with "Hello World".
func ExampleNew() {
	srv := httptest.NewServer(testserver.New())
	defer srv.Close()
	fmt.Println(body(http.Get(srv.URL + "/hello")))
	resp, err := http.Get(srv.URL + "/status/404") // an httpbin endpoint
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	fmt.Println(resp.Status)
	// Output:
	// Hello World
	// 404 Not Found
}

// The textbook's mywsgiserver.py, as a mounted http.Handler.
func ExampleMount() {
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, "This is a sample WSGI Application.")
	})
	srv := httptest.NewServer(testserver.New(testserver.Mount("/app/", app)))
	defer srv.Close()
	fmt.Println(body(http.Get(srv.URL + "/app/")))
	// Output: This is a sample WSGI Application.
}

func ExampleSampleApp() {
	srv := httptest.NewServer(testserver.New())
	defer srv.Close()
	fmt.Println(body(http.Get(srv.URL + "/wsgi/")))
	// Output: This is a sample WSGI Application.
}

// python -m http.server: a directory's files and listing.
func ExampleWithRoot() {
	dir, err := os.MkdirTemp("", "www")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.WriteFile(filepath.Join(dir, "index.txt"), []byte("hi there"), 0o644)
	srv := httptest.NewServer(testserver.New(testserver.WithRoot(dir)))
	defer srv.Close()
	fmt.Println(body(http.Get(srv.URL + "/index.txt")))
	fmt.Println(strings.Contains(body(http.Get(srv.URL+"/")), `<a href="./index.txt">index.txt</a>`))
	// Output:
	// hi there
	// true
}

// The textbook's PUT example: the body is stored under the upload
// directory.
func ExampleWithUploadDir() {
	dir, err := os.MkdirTemp("", "uploads")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	srv := httptest.NewServer(testserver.New(testserver.WithUploadDir(dir)))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodPut, srv.URL+"/file", strings.NewReader("***filecontents***"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	stored, _ := os.ReadFile(filepath.Join(dir, "file"))
	fmt.Println(resp.Status, string(stored))
	// Output: 201 Created ***filecontents***
}

// The textbook's cgi_client.py posting to cgi-bin/script.py.
func ExampleWithCGIDir() {
	dir, err := os.MkdirTemp("", "cgi-bin")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	script := "#!/bin/sh\nprintf 'Content-type: text/plain\\n\\n'\necho 'Welcome, CGI Scripts'\ncat\n"
	os.WriteFile(filepath.Join(dir, "script"), []byte(script), 0o755)
	srv := httptest.NewServer(testserver.New(testserver.WithCGIDir(dir)))
	defer srv.Close()
	fmt.Print(body(http.Post(srv.URL+"/cgi-bin/script", "application/x-www-form-urlencoded",
		strings.NewReader("language=python&framework=django\n"))))
	// Output:
	// Welcome, CGI Scripts
	// language=python&framework=django
}

func ExampleServer() {
	s := &testserver.Server{TLS: true}
	if err := s.Start(); err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	fmt.Println(strings.HasPrefix(s.URL(), "https://127.0.0.1:"))
	fmt.Println(body(s.Client().Get(s.URL() + "/hello")))
	// Output:
	// true
	// Hello World
}

func ExampleWithAccessLog() {
	var log strings.Builder
	srv := httptest.NewServer(testserver.New(testserver.WithAccessLog(&log)))
	body(http.Get(srv.URL + "/hello"))
	srv.Close()
	line := log.String()
	fmt.Println(line[strings.Index(line, `"`):])
	// Output: "GET /hello HTTP/1.1" 200 11
}
