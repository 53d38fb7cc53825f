package parse_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/grabhq/grab/parse"
	"github.com/grabhq/grab/testserver"
)

// TestGallery checks Images against the test server's galleries, whose
// expected URLs the server computes beside each page.
func TestGallery(t *testing.T) {
	srv := httptest.NewServer(testserver.New())
	t.Cleanup(srv.Close)
	const n = 48
	tests := []struct {
		name, path string
		charset    string
		expected   func(string, int) ([]string, []string)
	}{
		{"plain", "/gallery/48.html", "", testserver.GalleryExpected},
		{"base", "/gallery/48-base.html", "", testserver.GalleryExpected},
		{"latin1", "/gallery/48-latin1.html", "windows-1252", testserver.GalleryLatin1Expected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), "GET", srv.URL+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, cs, err := parse.Decode(resp.Body, resp.Header.Get("Content-Type"))
			if err != nil {
				t.Fatal(err)
			}
			if tt.charset != "" && cs != tt.charset {
				t.Errorf("Decode charset = %q, want %q", cs, tt.charset)
			}
			imgs, err := parse.Images(body, srv.URL+tt.path, parse.Options{Kinds: parse.AllKinds &^ parse.KindIcon, Charset: cs})
			if err != nil {
				t.Fatal(err)
			}
			var got, gotCSS []string
			for _, im := range imgs {
				if im.Kind == parse.KindCSS {
					gotCSS = append(gotCSS, im.URL)
				} else {
					got = append(got, im.URL)
				}
			}
			want, wantCSS := tt.expected(srv.URL, n)
			if !slices.Equal(got, want) {
				diff(t, "images", got, want)
			}
			if !slices.Equal(gotCSS, wantCSS) {
				diff(t, "css", gotCSS, wantCSS)
			}
		})
	}
}

func diff(t *testing.T, what string, got, want []string) {
	t.Helper()
	t.Errorf("%s: got %d URLs, want %d", what, len(got), len(want))
	for i := 0; i < max(len(got), len(want)); i++ {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			t.Errorf("%s[%d] = %q, want %q", what, i, g, w)
		}
	}
}
