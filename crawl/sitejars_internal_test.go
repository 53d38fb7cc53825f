package crawl

import (
	"errors"
	"net/http"
	"net/url"
	"testing"
)

// fakeJars is a jarStore in memory whose reads can fail.
type fakeJars struct {
	m       map[string][]byte
	readErr error
}

func (f *fakeJars) jar(site string) ([]byte, error) { return f.m[site], f.readErr }

func (f *fakeJars) setJar(site string, data []byte) error {
	f.m[site] = data
	return nil
}

// A Store that cannot be read keeps its cookies: the jar a failed read
// leaves empty is never written over them.
func TestSiteJarsReadFailure(t *testing.T) {
	s := &fakeJars{m: map[string][]byte{}}
	var warned []string
	j := &siteJars{s: s, warn: func(m string) { warned = append(warned, m) }}
	u := &url.URL{Scheme: "http", Host: "www.example.com", Path: "/"}
	j.SetCookies(u, []*http.Cookie{{Name: "session", Value: "1"}})
	before := string(s.m["example.com"])
	if before == "" {
		t.Fatal("no jar stored for example.com")
	}
	s.readErr = errors.New("connection reset")
	j.SetCookies(u, []*http.Cookie{{Name: "other", Value: "2"}})
	if got := string(s.m["example.com"]); got != before {
		t.Errorf("jar after a failed read = %s, want it kept: %s", got, before)
	}
	if len(warned) != 1 {
		t.Errorf("warnings = %q, want one", warned)
	}
	s.readErr = nil
	s.m["example.com"] = []byte("[not json")
	j.SetCookies(u, []*http.Cookie{{Name: "third", Value: "3"}})
	if cs := j.Cookies(u); len(cs) != 1 || cs[0].Name != "third" {
		t.Errorf("cookies after a jar with a bad line = %v, want the new one", cs)
	}
}
