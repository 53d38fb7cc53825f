package auth

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The examples of RFC 7616 (section 3.9) and RFC 2617 (section 3.5).
func TestDigestRFCVectors(t *testing.T) {
	tests := []struct {
		name, challenge, user, password, method, uri, cnonce string
		want                                                 []string // in the Authorization value
	}{
		{
			name:      "RFC 2617 MD5",
			challenge: `Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"`,
			user:      "Mufasa", password: "Circle Of Life", method: "GET", uri: "/dir/index.html", cnonce: "0a4f113b",
			want: []string{`response="6629fae49393a05397450978507c4ef1"`, `username="Mufasa"`, `qop=auth, nc=00000001`, `opaque="5ccc069c403ebaf9f0171e9517f40e41"`},
		},
		{
			name:      "RFC 7616 MD5",
			challenge: `Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=MD5, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`,
			user:      "Mufasa", password: "Circle of Life", method: "GET", uri: "/dir/index.html", cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
			want: []string{`response="8ca523f5e9506fed4657c9700eebdbec"`, `algorithm=MD5`},
		},
		{
			name:      "RFC 7616 SHA-256",
			challenge: `Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`,
			user:      "Mufasa", password: "Circle of Life", method: "GET", uri: "/dir/index.html", cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
			want: []string{`response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"`, `algorithm=SHA-256`},
		},
		{
			// The values printed in RFC 7616 section 3.9.2 are wrong (an
			// erratum); these were computed with Python's hashlib.
			name:      "RFC 7616 SHA-512-256 userhash",
			challenge: `Digest realm="api@example.org", qop="auth", algorithm=SHA-512-256, nonce="5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK", opaque="HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS", charset=UTF-8, userhash=true`,
			user:      "J\u00e4s\u00f8n Doe", password: "Secret, or not?", method: "GET", uri: "/doe.json", cnonce: "NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v",
			want: []string{`username="793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b"`, `userhash=true`, `response="3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5"`},
		},
		{
			name:      "RFC 7616 username*",
			challenge: `Digest realm="api@example.org", qop="auth", algorithm=SHA-512-256, nonce="5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK"`,
			user:      "J\u00e4s\u00f8n Doe", password: "Secret, or not?", method: "GET", uri: "/doe.json", cnonce: "NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v",
			want: []string{`Digest username*=UTF-8''J%C3%A4s%C3%B8n%20Doe, realm=`},
		},
		{
			name:      "quotes escaped, sess",
			challenge: `Digest realm="a\"b", algorithm=md5-sess, qop=auth, nonce="n"`,
			user:      `x"y\`, password: "p", method: "", uri: "/", cnonce: "c",
			want: []string{`username="x\"y\\"`, `realm="a\"b"`, `algorithm=MD5-sess`, `cnonce="c"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, _ := url.Parse("http://example.org" + tt.uri)
			ch, ok := pickDigest(ParseChallenges(tt.challenge), u)
			if !ok {
				t.Fatalf("pickDigest(%q) found none", tt.challenge)
			}
			req, _ := http.NewRequest(tt.method, u.String(), nil)
			got, err := ch.answer(tt.user, tt.password, req, tt.uri, 1, tt.cnonce)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("answer = %s\nwant it to contain %s", got, w)
				}
			}
		})
	}
}
