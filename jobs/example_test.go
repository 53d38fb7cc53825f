package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/grabhq/grab/jobs"
	"github.com/grabhq/grab/testserver"
)

func ExampleParse() {
	_, err := jobs.Parse([]byte(`
name: prices
schedule: "0 6 * * *"
targets:
  urls: [https://shop.example.com/]
extract:
  image: true
auth:
  bearer: s3cret
`), "prices.yaml")
	var ve *jobs.ValidationError
	if errors.As(err, &ve) {
		for _, p := range ve.Problems {
			fmt.Println(p)
		}
	}
	// Output:
	// line 7: extract.image: unknown key "image"; did you mean "images"?
	// line 9: auth.bearer: a secret may not be written in the job file: use {env: NAME} or {file: PATH}
}

func ExampleRunner_Run() {
	site := new(testserver.Changing)
	site.Set("/news.html", "text/html", []byte(`<a href="/a">a</a> <a href="/b">b</a>`), testserver.ETag)
	srv := httptest.NewServer(site)
	defer srv.Close()

	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	job := fmt.Sprintf("name: news\ntargets: {urls: [%s/news.html]}\nextract: {links: true}\n", srv.URL)
	os.WriteFile(filepath.Join(dir, "news.yaml"), []byte(job), 0o644)
	j, err := jobs.Load(filepath.Join(dir, "news.yaml"))
	if err != nil {
		log.Fatal(err)
	}

	r := new(jobs.Runner)
	for range 2 {
		rep, err := r.Run(context.Background(), j)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s %s: %+v\n", rep.Run.ID(), rep.Run.Status, rep.Run.Counts)
		// The next version of the page drops a link and adds one.
		site.Set("/news.html", "text/html", []byte(`<a href="/b">b</a> <a href="/c">c</a>`), testserver.ETag)
	}
	// Output:
	// run-000001 ok: {New:3 Changed:0 Unchanged:0 Gone:0 Failed:0}
	// run-000002 ok: {New:1 Changed:1 Unchanged:1 Gone:1 Failed:0}
}
