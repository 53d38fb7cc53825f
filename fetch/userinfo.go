package fetch

import (
	"encoding/base64"
	"net/http"
	"net/url"
)

// withUserinfo is the outermost RoundTripper of an Opener with handlers.
// On every hop within the first request's origin it puts the first URL's
// userinfo back on the request the handlers see, so that a password
// manager can look up the login it names (curl's -n with
// "http://alice@host/"); userinfoBasic, below the handlers, takes it off
// and sends it as Basic credentials when none of them has set
// Authorization (so a handler's credentials, curl's -u, win over the
// URL's). Without handlers, openHTTP puts the URL's credentials in the
// header itself.
type withUserinfo struct{ next http.RoundTripper }

func (w withUserinfo) RoundTrip(req *http.Request) (*http.Response, error) {
	if st := stateOf(req.Context()); st != nil && st.user != nil && !st.stripped {
		req = withURLUser(req, st.user)
	}
	return w.next.RoundTrip(req)
}

// userinfoBasic is the handler, after the credential handlers (the default
// Order 500) and before the proxy handlers and the CLI's log, that turns
// the userinfo withUserinfo put on a request into Basic credentials.
type userinfoBasic struct{ next http.RoundTripper }

func (userinfoBasic) Order() int { return 550 }

func (userinfoBasic) Wrap(next http.RoundTripper) http.RoundTripper { return userinfoBasic{next} }

func (b userinfoBasic) RoundTrip(req *http.Request) (*http.Response, error) {
	if ui := req.URL.User; ui != nil {
		has := req.Header.Get("Authorization") != ""
		req = withURLUser(req, nil)
		if !has {
			req.Header = req.Header.Clone()
			req.Header.Set("Authorization", basicAuth(ui))
		}
	}
	return b.next.RoundTrip(req)
}

// withURLUser returns a shallow copy of req whose URL has userinfo ui.
func withURLUser(req *http.Request, ui *url.Userinfo) *http.Request {
	r := req.WithContext(req.Context())
	u := *req.URL
	u.User, r.URL = ui, &u
	return r
}

// basicAuth is the Authorization value of userinfo ui, as curl sends it
// ("user:" when it has no password).
func basicAuth(ui *url.Userinfo) string {
	pw, _ := ui.Password()
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(ui.Username()+":"+pw))
}
