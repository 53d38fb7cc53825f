package parse_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grabhq/grab/parse"
)

// contentTypes are the Content-Type headers the golden pages are read
// with. The EUC-KR page declares its charset in a <meta> at byte 1340,
// past the 1024 bytes of the prescan: read from its bytes alone it decodes
// as UTF-8 (with U+FFFD), so it is read as its server sent it, with the
// charset in the header.
var contentTypes = map[string]string{"euc-kr": "text/html; charset=EUC-KR"}

var update = flag.Bool("update", false, "rewrite the golden files of testdata/pages")

// TestGoldenPages runs Images (every kind, data: URIs kept) and Links on
// real pages collected from documentation installed on the development
// machine (testdata/pages/SOURCES), decoded by Decode from their bytes
// and the Content-Type in contentTypes ("" for most), and compares with
// the golden files beside them. go test -update rewrites them; review the
// diff.
func TestGoldenPages(t *testing.T) {
	pages, err := filepath.Glob("testdata/pages/*.html")
	if err != nil || len(pages) == 0 {
		t.Fatalf("no pages in testdata/pages: %v", err)
	}
	for _, p := range pages {
		name := strings.TrimSuffix(filepath.Base(p), ".html")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			pageURL := "https://docs.example.org/pages/" + name + ".html"
			var out bytes.Buffer
			r, cs, err := parse.Decode(bytes.NewReader(raw), contentTypes[name])
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&out, "# charset %s\n# images\n", cs)
			imgs, err := parse.Images(r, pageURL, parse.Options{Kinds: parse.AllKinds, KeepData: true, Charset: cs})
			if err != nil {
				t.Fatal(err)
			}
			enc := json.NewEncoder(&out)
			enc.SetEscapeHTML(false)
			for _, im := range imgs {
				enc.Encode(im)
			}
			out.WriteString("# links\n")
			r, _, _ = parse.Decode(bytes.NewReader(raw), contentTypes[name])
			links, err := parse.Links(r, pageURL, parse.Options{Charset: cs})
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range links {
				enc.Encode(l)
			}
			golden := strings.TrimSuffix(p, ".html") + ".golden"
			if *update {
				if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got := out.String(); got != string(want) {
				gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
				for i := 0; i < max(len(gl), len(wl)); i++ {
					var g, w string
					if i < len(gl) {
						g = gl[i]
					}
					if i < len(wl) {
						w = wl[i]
					}
					if g != w {
						t.Fatalf("%s line %d:\n got %s\nwant %s", golden, i+1, g, w)
					}
				}
			}
		})
	}
}
