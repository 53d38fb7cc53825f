package testserver_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/grabhq/grab/testserver"
)

func TestChanging(t *testing.T) {
	c := new(testserver.Changing)
	c.Set("/e", "text/plain", []byte("one"), testserver.ETag)
	c.Set("/m", "text/plain", []byte("one"), testserver.LastModified)
	c.Set("/n", "text/plain", []byte("one"), 0)
	get := func(path string, h map[string]string) *http.Response {
		r := httptest.NewRequest("GET", path, nil)
		for k, v := range h {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		c.ServeHTTP(w, r)
		return w.Result()
	}
	e := get("/e", nil)
	etag := e.Header.Get("ETag")
	m := get("/m", nil)
	lm := m.Header.Get("Last-Modified")
	if etag == "" || e.Header.Get("Last-Modified") != "" || lm == "" || m.Header.Get("ETag") != "" {
		t.Fatalf("validators: /e %v, /m %v", e.Header, m.Header)
	}
	tests := []struct {
		name, path string
		h          map[string]string
		want       int
	}{
		{"etag matches", "/e", map[string]string{"If-None-Match": etag}, 304},
		{"etag in a list, weak", "/e", map[string]string{"If-None-Match": `"x", W/` + etag}, 304},
		{"etag differs", "/e", map[string]string{"If-None-Match": `"x"`}, 200},
		{"since matches", "/m", map[string]string{"If-Modified-Since": lm}, 304},
		{"If-None-Match wins", "/m", map[string]string{"If-Modified-Since": lm, "If-None-Match": `"x"`}, 200},
		{"no validators", "/n", map[string]string{"If-None-Match": "*"}, 200},
		{"missing", "/x", nil, 404},
	}
	for _, tt := range tests {
		if got := get(tt.path, tt.h).StatusCode; got != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, got, tt.want)
		}
	}
	c.Set("/e", "text/plain", []byte("two"), testserver.ETag)
	if got := get("/e", map[string]string{"If-None-Match": etag}); got.StatusCode != 200 || got.Header.Get("ETag") == etag {
		t.Errorf("after Set: %d %q, want 200 with a new ETag", got.StatusCode, got.Header.Get("ETag"))
	}
	c.Remove("/e")
	c.Fail("/m", 503)
	if a, b := get("/e", nil).StatusCode, get("/m", nil).StatusCode; a != 410 || b != 503 {
		t.Errorf("Remove, Fail: %d, %d; want 410, 503", a, b)
	}
	reqs := c.Requests()
	if n := len(reqs); n != 12 || reqs[2].IfNoneMatch != etag || reqs[2].Status != 304 {
		t.Errorf("log: %d requests, 3rd %+v", n, reqs[2])
	}
}
