package crawl

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/grabhq/grab/fetch"
)

// TestOpenerKeepsSettings: the crawl's Opener carries every setting of
// the one it is given (--proxy-insecure's ProxyTLSConfig was dropped), but
// those the crawl sets itself. A field fetch.Opener gains fails here
// until the sample sets it and opener copies it or says why not.
func TestOpenerKeepsSettings(t *testing.T) {
	jar, _ := cookiejar.New(nil)
	sample := &fetch.Opener{
		Transport:          http.DefaultTransport,
		Engine:             fetch.EngineConn,
		TLSConfig:          &tls.Config{},
		ProxyTLSConfig:     &tls.Config{InsecureSkipVerify: true},
		Proxy:              func(*http.Request) (*url.URL, error) { return nil, nil },
		Dial:               func(context.Context, string, string) (net.Conn, error) { return nil, nil },
		Handlers:           []fetch.Handler{nopHandler{}},
		Jar:                jar,
		Header:             http.Header{"X": {"y"}},
		UserAgent:          "ua",
		Redirects:          fetch.Redirects{Max: 3},
		Timeouts:           fetch.Timeouts{Total: time.Second},
		Limits:             fetch.Limits{BodyBytes: 1},
		DisableCompression: true,
		DisableFile:        true,
		AllowErrorStatus:   true,
		ReadBufferSize:     1,
		Trace:              true,
	}
	notCopied := map[string]bool{
		"Jar":              true, // colly's client keeps the cookies
		"DisableFile":      true, // set: always
		"AllowErrorStatus": true, // set: always
		"ReadBufferSize":   true, // pages, not downloads: the default
	}
	got := reflect.ValueOf(opener(sample, nil)).Elem()
	want := reflect.ValueOf(sample).Elem()
	for i := range want.NumField() {
		f := want.Type().Field(i)
		if !f.IsExported() || notCopied[f.Name] {
			continue
		}
		if want.Field(i).IsZero() {
			t.Errorf("the sample Opener leaves %s zero: set it", f.Name)
		} else if got.Field(i).IsZero() {
			t.Errorf("opener drops %s", f.Name)
		}
	}
}

type nopHandler struct{}

func (nopHandler) Wrap(next http.RoundTripper) http.RoundTripper { return next }
