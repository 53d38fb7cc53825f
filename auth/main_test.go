package auth_test

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/grabhq/grab/auth"
	"github.com/grabhq/grab/internal/testkit"
	"github.com/grabhq/grab/testserver"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// world is a test's servers, recorder and guard dialer.
type world struct {
	t     *testing.T
	rec   *testkit.Recorder
	g     *testkit.Guard
	urls  map[string]string // name -> base URL
	certs *x509.CertPool
}

func newWorld(t *testing.T) *world {
	return &world{t: t, rec: &testkit.Recorder{}, g: testkit.NewGuard(t), urls: map[string]string{}, certs: x509.NewCertPool()}
}

// serve starts h as server name (HTTPS when tls is set), recorded, and
// returns its base URL.
func (w *world) serve(name string, tls bool, h http.Handler) string {
	h = w.rec.Wrap(name, h)
	var srv *httptest.Server
	if tls {
		srv = httptest.NewUnstartedServer(h)
		srv.Config.ErrorLog = log.New(io.Discard, "", 0)
		srv.StartTLS()
		w.certs.AddCert(srv.Certificate())
	} else {
		srv = httptest.NewServer(h)
	}
	w.t.Cleanup(srv.Close)
	w.urls[name] = srv.URL
	return srv.URL
}

// httpbin starts the test server (go-httpbin and more) as server name,
// with mux's extra routes mounted.
func (w *world) httpbin(name string, tls bool, opts ...testserver.Option) string {
	opts = append([]testserver.Option{testserver.WithRedirectHosts("a.example.com", "b.example.com", "c.example.com")}, opts...)
	return w.serve(name, tls, testserver.New(opts...))
}

// alias makes host:port dial the server called name.
func (w *world) alias(hostport, name string) {
	u, _ := url.Parse(w.urls[name])
	w.g.Alias(hostport, u.Host)
}

// transport returns a transport that dials through the guard and trusts
// the world's certificates, closed when the test ends.
func (w *world) transport() *http.Transport {
	t := &http.Transport{DialContext: w.g.DialContext, TLSClientConfig: &tls.Config{RootCAs: w.certs}}
	w.t.Cleanup(t.CloseIdleConnections)
	return t
}

// get sends GET target through rt and returns status and body.
func get(t *testing.T, rt http.RoundTripper, target string) (int, string) {
	t.Helper()
	return do(t, &http.Client{Transport: rt}, http.MethodGet, target, "")
}

// do sends one request with client and returns status and body.
func do(t *testing.T, c *http.Client, method, target, body string) (int, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, target, r)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, target, err)
	}
	return resp.StatusCode, string(b)
}

// basicGate answers 200 "ok" to Basic credentials user:password and 401
// with WWW-Authenticate challenge to anything else.
func basicGate(user, password, challenge string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); ok && u == user && p == password {
			io.WriteString(w, "ok")
			return
		}
		w.Header().Set("WWW-Authenticate", challenge)
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, "who are you?")
	})
}

// digestServer is an origin (or, with proxy, a forward proxy answering
// for itself) that demands Digest credentials. It is written apart from
// the package's code, so the two check each other.
type digestServer struct {
	realm, user, password string
	algorithm             string // the challenge's algorithm parameter; "" omits it
	qop                   string // the challenge's qop parameter; "" omits it
	opaque                string // "" omits it
	userhash              bool
	proxy                 bool
	// mode: "" answers good credentials; "stale" answers them 401
	// stale=true forever; "always" answers everything 401 with a new
	// nonce; "samestale" answers stale=true with the same nonce.
	mode string
	// nonceUses, if > 0, makes a nonce stale after that many uses.
	nonceUses int
	// extra is appended to every challenge.
	extra string
	// nextNonce sends a new nonce in Authentication-Info with every
	// success.
	nextNonce bool
	// nonce, if not "", is the nonce of every challenge (a server that
	// makes nonces from the time hands one to every 401 for a while).
	nonce string
	// anyOrder accepts every nc not accepted before with its nonce, in any
	// order, instead of only one above the last.
	anyOrder bool

	mu     sync.Mutex
	nonces map[string]int // issued nonce -> last nc accepted
	used   map[string]bool
	ncs    []string // nc of every accepted answer, in order
	cnonce map[string]bool
}

func (d *digestServer) challenge(w http.ResponseWriter, stale bool, nonce string) {
	if nonce == "" {
		nonce = d.nonce
	}
	if nonce == "" {
		var b [12]byte
		rand.Read(b[:])
		nonce = base64.StdEncoding.EncodeToString(b[:])
	}
	d.mu.Lock()
	if d.nonces == nil {
		d.nonces = map[string]int{}
	}
	if _, ok := d.nonces[nonce]; !ok {
		d.nonces[nonce] = 0
	}
	d.mu.Unlock()
	v := fmt.Sprintf(`Digest realm=%q, nonce=%q`, d.realm, nonce)
	if d.algorithm != "" {
		v += ", algorithm=" + d.algorithm
	}
	if d.qop != "" {
		v += fmt.Sprintf(", qop=%q", d.qop)
	}
	if d.opaque != "" {
		v += fmt.Sprintf(", opaque=%q", d.opaque)
	}
	if d.userhash {
		v += ", userhash=true"
	}
	if stale {
		v += ", stale=true"
	}
	v += d.extra
	status, field := http.StatusUnauthorized, "WWW-Authenticate"
	if d.proxy {
		status, field = http.StatusProxyAuthRequired, "Proxy-Authenticate"
	}
	w.Header().Add(field, v)
	w.WriteHeader(status)
	io.WriteString(w, "digest needed")
}

// hexHash is the test's own H().
func hexHash(alg, s string) string {
	switch strings.TrimSuffix(strings.ToUpper(alg), "-SESS") {
	case "SHA-256":
		x := sha256.Sum256([]byte(s))
		return hex.EncodeToString(x[:])
	case "SHA-512-256":
		x := sha512.Sum512_256([]byte(s))
		return hex.EncodeToString(x[:])
	}
	x := md5.Sum([]byte(s))
	return hex.EncodeToString(x[:])
}

func (d *digestServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	field := "Authorization"
	if d.proxy {
		field = "Proxy-Authorization"
	}
	value := r.Header.Get(field)
	if d.mode == "always" || !strings.HasPrefix(value, "Digest ") {
		d.challenge(w, false, "")
		return
	}
	chs := auth.ParseChallenges(value)
	if len(chs) != 1 {
		d.challenge(w, false, "")
		return
	}
	p := chs[0].Params
	body, _ := io.ReadAll(r.Body)
	alg := d.algorithm
	user := d.user
	if d.userhash {
		user = hexHash(alg, d.user+":"+d.realm)
	}
	d.mu.Lock()
	last, issued := d.nonces[p["nonce"]]
	d.mu.Unlock()
	expiredNonce := last < 0 // nonceUses reached: stale
	last = max(last, 0)
	nc, ncErr := strconv.ParseUint(p["nc"], 16, 32)
	ok := issued && p["username"] == user && p["realm"] == d.realm && p["uri"] == r.RequestURI &&
		p["opaque"] == d.opaque && strings.EqualFold(p["algorithm"], d.algorithm) &&
		(d.userhash == (p["userhash"] == "true"))
	ha1 := hexHash(alg, d.user+":"+d.realm+":"+d.password)
	if strings.HasSuffix(strings.ToUpper(alg), "-SESS") {
		ha1 = hexHash(alg, ha1+":"+p["nonce"]+":"+p["cnonce"])
	}
	ha2 := hexHash(alg, r.Method+":"+r.RequestURI)
	if p["qop"] == "auth-int" {
		ha2 = hexHash(alg, r.Method+":"+r.RequestURI+":"+hexHash(alg, string(body)))
	}
	var want string
	if d.qop == "" {
		ok = ok && p["qop"] == "" && p["nc"] == ""
		want = hexHash(alg, ha1+":"+p["nonce"]+":"+ha2)
	} else {
		ok = ok && p["qop"] != "" && strings.Contains(d.qop, p["qop"]) && ncErr == nil && len(p["nc"]) == 8 && (d.anyOrder || int(nc) > last) && len(p["cnonce"]) >= 16
		want = hexHash(alg, strings.Join([]string{ha1, p["nonce"], p["nc"], p["cnonce"], p["qop"], ha2}, ":"))
	}
	if !ok || p["response"] != want {
		d.challenge(w, false, "")
		return
	}
	switch {
	case expiredNonce:
		d.challenge(w, true, "")
		return
	case d.mode == "stale":
		d.challenge(w, true, "")
		return
	case d.mode == "samestale":
		d.challenge(w, true, p["nonce"])
		return
	}
	d.mu.Lock()
	if d.used == nil {
		d.used = map[string]bool{}
	}
	pair := p["nonce"] + " " + p["nc"]
	if d.qop != "" && d.used[pair] {
		d.mu.Unlock()
		d.challenge(w, false, "") // a replay
		return
	}
	d.used[pair] = true
	d.nonces[p["nonce"]] = max(d.nonces[p["nonce"]], int(nc))
	if d.cnonce == nil {
		d.cnonce = map[string]bool{}
	}
	d.cnonce[p["cnonce"]] = true
	d.ncs = append(d.ncs, p["nc"])
	if d.nonceUses > 0 && int(nc) >= d.nonceUses {
		d.nonces[p["nonce"]] = -1
	}
	d.mu.Unlock()
	if d.nextNonce {
		var b [12]byte
		rand.Read(b[:])
		next := hex.EncodeToString(b[:])
		d.mu.Lock()
		d.nonces[next] = 0
		d.mu.Unlock()
		info := "Authentication-Info"
		if d.proxy {
			info = "Proxy-Authentication-Info"
		}
		w.Header().Set(info, fmt.Sprintf(`rspauth="x", nextnonce="%s", qop=auth`, next))
	}
	fmt.Fprintf(w, "ok %s %s %s", d.user, r.Method, body)
}

// accepted returns the nc values of the accepted answers.
func (d *digestServer) accepted() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.ncs...)
}
