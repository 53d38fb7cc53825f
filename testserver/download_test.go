package testserver

import (
	"net/http"
	"testing"
)

// TestDownloadIfRange: /dl/ honours If-Range (a stale validator gets the
// whole body), unless mode=noifrange asks for a range of the version served
// now whatever the validator (HOSTILE.md L7's server).
func TestDownloadIfRange(t *testing.T) {
	srv := newFaultServer(t)
	get := func(query, ifRange string) *http.Response {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), "GET", srv.URL+"/dl/1000/f?"+query, nil)
		req.Header.Set("Range", "bytes=100-")
		req.Header.Set("If-Range", ifRange)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	etag := get("", `"stale"`).Header.Get("Etag")
	for _, tc := range []struct {
		query, ifRange string
		status         int
	}{
		{"", etag, http.StatusPartialContent},
		{"", `"stale"`, http.StatusOK},
		{"mode=noifrange&fail=0", `"stale"`, http.StatusPartialContent},
		{"mode=norange&fail=0", etag, http.StatusOK},
	} {
		if got := get(tc.query, tc.ifRange).StatusCode; got != tc.status {
			t.Errorf("?%s with If-Range %s: %d, want %d", tc.query, tc.ifRange, got, tc.status)
		}
	}
}
