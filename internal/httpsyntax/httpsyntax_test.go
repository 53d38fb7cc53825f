package httpsyntax

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"
)

func TestQuoted(t *testing.T) {
	tests := []struct {
		in   string
		want string
		next int
	}{
		{`"abc" rest`, "abc", 5},
		{`"a\"b"`, `a"b`, 6},
		{`"a\\b"x`, `a\b`, 6},
		{`"open`, "open", 5},
		{`"trail\`, `trail\`, 7},
		{`""`, "", 2},
		{`"`, "", 1},
	}
	for _, tt := range tests {
		got, next := Quoted(tt.in, 0)
		if got != tt.want || next != tt.next {
			t.Errorf("Quoted(%q) = %q, %d; want %q, %d", tt.in, got, next, tt.want, tt.next)
		}
	}
}

func TestCheckRequest(t *testing.T) {
	u := &url.URL{Scheme: "http", Host: "127.0.0.1"}
	tests := []struct {
		req  *http.Request
		want string
	}{
		{nil, "http: nil Request"},
		{&http.Request{Header: http.Header{}}, "http: nil Request.URL"},
		{&http.Request{URL: u}, "http: nil Request.Header"},
		{&http.Request{URL: u, Header: http.Header{}}, ""},
	}
	for _, tt := range tests {
		body := &closeCount{}
		if tt.req != nil {
			tt.req.Body = body
		}
		err := CheckRequest(tt.req)
		if got := fmt.Sprint(err); err == nil && tt.want != "" || err != nil && got != tt.want {
			t.Errorf("CheckRequest(%+v) = %v, want %q", tt.req, err, tt.want)
		}
		if tt.req != nil && (body.closed == 1) != (tt.want != "") {
			t.Errorf("CheckRequest(%+v) closed the body %d times", tt.req, body.closed)
		}
	}
}

type closeCount struct{ closed int }

func (c *closeCount) Read([]byte) (int, error) { return 0, io.EOF }
func (c *closeCount) Close() error             { c.closed++; return nil }
