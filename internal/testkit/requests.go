package testkit

import (
	"net/http"
	"net/url"
)

// IncompleteRequest is a request no RoundTripper can send, and the error
// net/http gives for it.
type IncompleteRequest struct {
	Req  *http.Request
	Want string
}

// IncompleteRequests returns a nil request, one without a URL and one of
// URL u without a Header, each with net/http's error.
func IncompleteRequests(u *url.URL) []IncompleteRequest {
	return []IncompleteRequest{
		{nil, "http: nil Request"},
		{&http.Request{Method: "GET", Header: http.Header{}}, "http: nil Request.URL"},
		{&http.Request{Method: "GET", URL: u}, "http: nil Request.Header"},
	}
}
