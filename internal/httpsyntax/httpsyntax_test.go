package httpsyntax

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/grabhq/grab/internal/testkit"
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
	tests := append(testkit.IncompleteRequests(u), testkit.IncompleteRequest{Req: &http.Request{URL: u, Header: http.Header{}}})
	for _, tt := range tests {
		body := &closeCount{}
		if tt.Req != nil {
			tt.Req.Body = body
		}
		err := CheckRequest(tt.Req)
		if got := fmt.Sprint(err); err == nil && tt.Want != "" || err != nil && got != tt.Want {
			t.Errorf("CheckRequest(%+v) = %v, want %q", tt.Req, err, tt.Want)
		}
		if tt.Req != nil && (body.closed == 1) != (tt.Want != "") {
			t.Errorf("CheckRequest(%+v) closed the body %d times", tt.Req, body.closed)
		}
	}
}

type closeCount struct{ closed int }

func (c *closeCount) Read([]byte) (int, error) { return 0, io.EOF }
func (c *closeCount) Close() error             { c.closed++; return nil }

func TestStatus(t *testing.T) {
	long := "500 " + strings.Repeat("x", 300)
	utf := "500 " + strings.Repeat("é", 150)  // 2 bytes each: byte 200 is inside none
	odd := "500 x" + strings.Repeat("é", 150) // byte 200 is the second of a pair
	tests := []struct{ in, want string }{
		{"404 Not Found", "404 Not Found"},
		{long[:200], long[:200]},
		{long, long[:200] + "..."},
		{utf, utf[:200] + "..."},
		{odd, odd[:199] + "..."},
	}
	for _, tt := range tests {
		if got := Status(tt.in); got != tt.want || !utf8.ValidString(got) {
			t.Errorf("Status(%d bytes) = %q, want %q", len(tt.in), got, tt.want)
		}
	}
}
