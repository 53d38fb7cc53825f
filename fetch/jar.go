package fetch

import (
	"net/http"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// jarHandler is an Opener's Jar among its handlers: inside Retry, auth's
// handlers and userinfo's, whose repeated exchanges keep cookies, and
// outside a handler of a higher Order (grab's -v log and -H edits, 1000),
// which sees the Cookie field the jar made.
type jarHandler struct{ jar http.CookieJar }

func (jarHandler) Order() int { return 700 }

func (h jarHandler) Wrap(next http.RoundTripper) http.RoundTripper {
	return &jarTransport{jar: h.jar, next: next}
}

// jarTransport keeps an Opener's cookies at every exchange: a cookie set
// on a 401 an auth handler answers, or on a 503 the Retry handler tries
// again, is kept and sent with the next try, as curl and urllib's
// HTTPCookieProcessor keep it (net/http's client, which held the Jar
// before, saw only the last answer of a handler's exchanges). The jar's
// cookies come first, then the request's own Cookie field as given, after
// a redirect too, as curl sends them (a server that reads the first of
// two cookies of a name gets the one a redirect just set).
type jarTransport struct {
	jar  http.CookieJar
	next http.RoundTripper
}

func (t *jarTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if pairs := cookiePairs(t.jar.Cookies(req.URL)); pairs != "" {
		req = req.Clone(req.Context())
		if given := req.Header.Get("Cookie"); given != "" {
			pairs += "; " + given
		}
		req.Header.Set("Cookie", pairs)
	}
	resp, err := t.next.RoundTrip(req)
	if err == nil {
		if cs := setCookies(resp.Header["Set-Cookie"]); len(cs) > 0 {
			t.jar.SetCookies(req.URL, cs)
		}
	}
	return resp, err
}

// maxSetCookies is how many Set-Cookie fields of a response are read.
const maxSetCookies = 3000

// setCookies returns the cookies of a response's Set-Cookie fields, the
// first maxSetCookies of them (net/http's Response.Cookies returns none
// past that many; a cookies.Jar keeps the first 50), skipping a field it
// cannot read, as Response.Cookies does.
func setCookies(fields []string) []*http.Cookie {
	fields = fields[:min(len(fields), maxSetCookies)]
	var cs []*http.Cookie
	for _, f := range fields {
		if c, err := http.ParseSetCookie(f); err == nil {
			cs = append(cs, c)
		}
	}
	return cs
}

// cookiePairs returns the Cookie field's value for cs: each value as it
// came, in double quotes when it came in them (Cookie.Quoted), a space or
// a comma in it unquoted, as curl and browsers send it (net/http's
// AddCookie quotes such a value). A cookie whose name is not a token, or
// whose value holds a control character or a ';', is left out: it would
// break the field.
func cookiePairs(cs []*http.Cookie) string {
	var b strings.Builder
	for _, c := range cs {
		if !httpguts.ValidHeaderFieldName(c.Name) || strings.ContainsFunc(c.Value, badCookieRune) {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		b.WriteString(c.Name)
		b.WriteByte('=')
		if c.Quoted {
			b.WriteByte('"')
			b.WriteString(c.Value)
			b.WriteByte('"')
		} else {
			b.WriteString(c.Value)
		}
	}
	return b.String()
}

func badCookieRune(r rune) bool { return r < ' ' || r == 0x7f || r == ';' }
