package fetch_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/grabhq/grab/fetch"
	"github.com/grabhq/grab/urlx"
)

// FuzzOpenURL checks HOSTILE.md K1, K3 and A1 on any input: Open either
// refuses the URL before dialing, or dials exactly the host urlx reports
// for it (its IDNA form), never a host cut from a control character.
func FuzzOpenURL(f *testing.F) {
	for _, s := range []string{
		"http://example.com/", "https://user:pw@example.com:8443/p?q#f", "http://１２７.０.０.１/",
		"http://straße.de/", "http://[::1]:80/", "http://a\r\nb/", "http://evil.com\\@good.com/",
		"http://good.com#@evil.com/", "http://a@b@c/", "HTTP://EXAMPLE.COM./", "http://xn--zz/",
		"data:,x", "file:///etc/hostname", "ftp://x/", " http://x/", "http://x:99999/",
		"http://%41.com/", "http://[fe80::1%25eth0]/",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		var mu sync.Mutex
		var dialed []string
		o := &fetch.Opener{Engine: fetch.EngineConn, DisableFile: true, Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			mu.Lock()
			dialed = append(dialed, addr)
			mu.Unlock()
			return nil, errors.New("fuzz: no network")
		}}
		resp, err := o.Open(t.Context(), raw)
		if err == nil {
			resp.Close()
		}
		if len(dialed) == 0 {
			return
		}
		if urlx.Validate(raw) != nil {
			t.Fatalf("Open(%q) dialed %v for an invalid URL", raw, dialed)
		}
		sr, err := urlx.Split(raw)
		if err != nil {
			t.Fatalf("Open(%q) dialed %v, urlx.Split: %v", raw, dialed, err)
		}
		want, err := sr.ASCIIHostname()
		if err != nil {
			t.Fatalf("Open(%q) dialed %v, ASCIIHostname: %v", raw, dialed, err)
		}
		host, _, _ := net.SplitHostPort(dialed[0])
		if !strings.EqualFold(strings.TrimSuffix(host, "."), strings.TrimSuffix(want, ".")) {
			t.Fatalf("Open(%q) dialed %s, urlx says host %q", raw, dialed[0], want)
		}
	})
}

// FuzzDetectCharset: any bytes and Content-Type choose a charset without
// panicking, and decode to valid UTF-8.
func FuzzDetectCharset(f *testing.F) {
	f.Add([]byte(`<meta charset="euc-kr">`), "text/html")
	f.Add([]byte("\xff\xfeh\x00i\x00"), "")
	f.Add([]byte(`<meta http-equiv=content-type content="charset='`), "text/html; charset=")
	f.Fuzz(func(t *testing.T, head []byte, ctype string) {
		cs := fetch.DetectCharset(head, ctype)
		s, _ := cs.Decode(head)
		if cs.Name == "" || !utf8.ValidString(s) {
			t.Fatalf("DetectCharset(%q, %q) = %+v, decoded %q", head, ctype, cs, s)
		}
	})
}
