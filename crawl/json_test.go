package crawl_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/grabhq/grab/crawl"
	"github.com/grabhq/grab/fetch"
)

// reflectJSON is Page.MarshalJSON as encoding/json writes it: the
// reference the hand-written encoder must match byte for byte.
func reflectJSON(p crawl.Page) ([]byte, error) {
	type rec struct {
		URL         string              `json:"url"`
		FinalURL    string              `json:"final_url,omitempty"`
		Status      int                 `json:"status,omitempty"`
		ContentType string              `json:"content_type,omitempty"`
		Depth       int                 `json:"depth"`
		Parent      string              `json:"parent,omitempty"`
		Title       string              `json:"title,omitempty"`
		Links       []string            `json:"links,omitempty"`
		Images      []string            `json:"images,omitempty"`
		Fields      map[string][]string `json:"fields,omitempty"`
		Size        int                 `json:"size"`
		Truncated   bool                `json:"truncated,omitempty"`
		Fetched     *time.Time          `json:"fetched,omitempty"`
		TTFB        float64             `json:"ttfb_ms,omitempty"`
		Elapsed     float64             `json:"elapsed_ms,omitempty"`
		Error       string              `json:"error,omitempty"`
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	r := rec{URL: p.URL, FinalURL: p.FinalURL, Status: p.Status, ContentType: p.ContentType, Depth: p.Depth,
		Parent: p.Parent, Title: p.Title, Links: p.Links, Images: p.Images, Fields: p.Fields, Size: p.Size,
		Truncated: p.Truncated, TTFB: ms(p.TTFB), Elapsed: ms(p.Elapsed)}
	if !p.Fetched.IsZero() {
		t := p.Fetched.UTC()
		r.Fetched = &t
	}
	if p.Err != nil {
		r.Error = p.Err.Error()
	}
	return json.Marshal(r)
}

func TestPageJSON(t *testing.T) {
	at := time.Date(2026, 11, 21, 15, 4, 5, 123456789, time.FixedZone("x", 3600))
	tests := []struct {
		name string
		p    crawl.Page
	}{
		{"zero", crawl.Page{}},
		{"seed", crawl.Page{URL: "http://h/", Status: 200, ContentType: "text/html", Size: 12, Fetched: at, TTFB: 1500 * time.Microsecond, Elapsed: 2 * time.Second}},
		{"full", crawl.Page{
			URL: "http://h/a?b=<c>&d", FinalURL: "http://h/\u2028x", Status: 404, ContentType: "text/html; charset=\"x\"",
			Depth: 3, Parent: "http://h/", Title: "Caf\u00e9 \"quoted\" \\ \t\n\r\b\f\x01\x7f \xff\xfe \u2029 \U0001F600",
			Links: []string{"http://h/1", "http://h/2"}, Images: []string{"http://h/i.png"},
			Fields: map[string][]string{"z": {"1"}, "a": {}, "m": nil, "<k>": {"v", ""}},
			Size:   -1, Truncated: true, Fetched: at, TTFB: time.Microsecond, Elapsed: 1e15,
			Err: &fetch.HTTPError{Method: "GET", URL: "http://h/a", Status: "404 Not Found", StatusCode: 404},
		}},
		{"empty slices", crawl.Page{URL: "u", Links: []string{}, Images: []string{}, Fields: map[string][]string{}}},
		{"negative durations", crawl.Page{URL: "u", TTFB: -time.Millisecond, Elapsed: -1}},
		{"error", crawl.Page{URL: "u", Err: errors.New("crawl: disallowed by robots.txt")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkPageJSON(t, tt.p)
		})
	}
}

func checkPageJSON(t *testing.T, p crawl.Page) {
	t.Helper()
	got, err := p.MarshalJSON()
	want, werr := reflectJSON(p)
	if (err != nil) != (werr != nil) {
		t.Fatalf("MarshalJSON error = %v, encoding/json's = %v", err, werr)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("MarshalJSON =\n%s\nwant (encoding/json)\n%s", got, want)
	}
	if err == nil && !json.Valid(got) {
		t.Errorf("MarshalJSON = %s: not valid JSON", got)
	}
}

func FuzzPageJSON(f *testing.F) {
	f.Add("http://h/", "t\u2028<&>", "l\xff", "k", 200, int64(1500))
	f.Fuzz(func(t *testing.T, u, title, link, key string, status int, d int64) {
		p := crawl.Page{URL: u, FinalURL: link, Title: title, Status: status, Depth: status / 3,
			Links: []string{link, u}, Fields: map[string][]string{key: {title}}, Size: len(title),
			Fetched: time.Unix(0, d), TTFB: time.Duration(d), Elapsed: time.Duration(d) * 1000}
		if title != "" {
			p.Err = errors.New(title)
		}
		checkPageJSON(t, p)
	})
}
