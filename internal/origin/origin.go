// Package origin names the origin of a URL the one way grab compares
// origins in: which requests credentials and literal cookies given for a
// URL go with.
package origin

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/grabhq/grab/urlx"
)

// Of returns "scheme://host[:port]/" for raw: the scheme and host
// lower-cased, the host in its IDNA ASCII form, a default port (80 for
// http, 443 for https) dropped, so that two spellings of one origin give
// one string. Text that is not a URL with a host, or whose host or port is
// invalid, is returned as it is (fetch reports what is wrong with it).
func Of(raw string) string {
	sr, err := urlx.Split(raw)
	if err != nil || sr.Netloc == "" {
		return raw
	}
	host, err := sr.ASCIIHostname()
	port, hasPort, perr := sr.Port()
	if err != nil || perr != nil {
		return raw
	}
	scheme := strings.ToLower(sr.Scheme)
	if strings.Contains(host, ":") {
		// A zone's '%' escaped, as in a URL ("[fe80::1%25lo]"): the
		// origin is parsed as one again (auth's URL prefixes).
		host = "[" + strings.Replace(host, "%", "%25", 1) + "]"
	}
	if hasPort && !(scheme == "http" && port == 80 || scheme == "https" && port == 443) {
		host += ":" + strconv.Itoa(port)
	}
	return scheme + "://" + host + "/"
}

// Header is a fetch Handler (it has fetch.Handler's Wrap) that adds a
// header field to the requests for some origins only, as literal cookies
// given for a job's targets or a crawl's seeds. A Cookie field joins the
// one a jar made, after it; another field is set only when the request
// has none.
type Header struct {
	Origins     []string // as Of gives them
	Name, Value string
}

// Wrap returns next with the field added.
func (h *Header) Wrap(next http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		have := r.Header.Get(h.Name)
		if (have == "" || http.CanonicalHeaderKey(h.Name) == "Cookie") && slices.Contains(h.Origins, Of(r.URL.String())) {
			r = r.Clone(r.Context())
			if have != "" {
				r.Header.Set(h.Name, have+"; "+h.Value)
			} else {
				r.Header.Set(h.Name, h.Value)
			}
		}
		return next.RoundTrip(r)
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
