package testserver

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mccutchen/go-httpbin/v2/httpbin"
)

// Defaults for the limits; each has an option.
const (
	// DefaultMaxDelay caps every delay the server is asked for: fault
	// pauses are cut to it, and httpbin's /delay and /drip refuse a longer
	// one with 400 (go-httpbin's rule; httpbin.org waits its 10 s and
	// answers), so a test never waits longer.
	DefaultMaxDelay = 10 * time.Second
	// DefaultMaxUpload caps the body of a PUT to the upload directory.
	DefaultMaxUpload = 32 << 20
	// DefaultMaxBody caps the request bodies httpbin reads.
	DefaultMaxBody = 1 << 20
	// DefaultCGITimeout bounds a CGI script's run.
	DefaultCGITimeout = 30 * time.Second
)

// An Option configures the handler [New] returns.
type Option func(*config)

type config struct {
	root       string        // files served at "/", "" for none
	cgiDir     string        // CGI scripts, run under /cgi-bin/
	uploadDir  string        // PUT and DELETE write here, "" for none
	maxUpload  int64         // PUT body cap
	maxDelay   time.Duration // cap on every delay
	cgiTimeout time.Duration
	faults     bool      // the hostile /fault/ endpoints
	accessLog  io.Writer // common log format, nil for none
	mounts     []mount
	redirectTo []string // hosts httpbin's /redirect-to may name
}

type mount struct {
	pattern string
	h       http.Handler
}

// WithRoot serves the files under dir at "/", with directory listings,
// HEAD, Range, ETag and Last-Modified, as Python's SimpleHTTPRequestHandler
// does (python -m http.server), with the type by extension, else
// application/octet-stream (no guess from the content). Paths are resolved
// through os.Root, so nothing outside dir is ever served. dir is held open
// between requests and opened again when its path names another directory
// (removed, made again, renamed over).
func WithRoot(dir string) Option { return func(c *config) { c.root = dir } }

// WithCGIDir runs the executable files in dir as CGI scripts under
// /cgi-bin/, on GET and POST, as Python's CGIHTTPRequestHandler does.
func WithCGIDir(dir string) Option { return func(c *config) { c.cgiDir = dir } }

// WithUploadDir lets PUT write a request body to the file of the same path
// under dir, and DELETE remove it (the textbook's PUT /file example), for
// the paths no other route serves: a PUT to /wsgi/, a mount or httpbin's
// paths of any method (/put, /delete, /anything, /status, /redirect-to,
// /delay, /response-headers) goes to that route. A body cut short is answered 400, one the
// server cannot write 500; a failed upload leaves no file or directory.
func WithUploadDir(dir string) Option { return func(c *config) { c.uploadDir = dir } }

// WithMaxUpload caps the size of a PUT body; 0 means [DefaultMaxUpload].
func WithMaxUpload(n int64) Option { return func(c *config) { c.maxUpload = n } }

// WithMaxDelay caps every delay (see [DefaultMaxDelay]); 0 means
// [DefaultMaxDelay].
func WithMaxDelay(d time.Duration) Option { return func(c *config) { c.maxDelay = d } }

// WithCGITimeout bounds each CGI script's run; 0 means [DefaultCGITimeout].
func WithCGITimeout(d time.Duration) Option { return func(c *config) { c.cgiTimeout = d } }

// WithFaults turns on the hostile endpoints under /fault/ (dropped and
// stalled connections, lying lengths, bombs, loops, raw bytes). They are off
// by default so that a server started by hand never hands them out.
func WithFaults() Option { return func(c *config) { c.faults = true } }

// WithAccessLog writes one line per request to w in the common log format.
func WithAccessLog(w io.Writer) Option { return func(c *config) { c.accessLog = w } }

// WithRedirectHosts lets httpbin's /redirect-to send clients to these hosts
// as well as to loopback ones.
func WithRedirectHosts(hosts ...string) Option {
	return func(c *config) { c.redirectTo = append(c.redirectTo, hosts...) }
}

// Mount serves h at pattern (a net/http ServeMux pattern such as "/app/"
// or "GET /app/{id}"), before any route of the server's own: a request a
// mount's pattern matches is the mount's ("/" takes them all). Two mounts
// whose patterns conflict panic in New, as in a ServeMux. It is grab's
// counterpart of a WSGI application: where
// Python hands wsgiref.make_server a callable taking environ and
// start_response, Go hands the server an http.Handler taking the request
// and a ResponseWriter. [SampleApp] is the textbook's sample application.
func Mount(pattern string, h http.Handler) Option {
	return func(c *config) { c.mounts = append(c.mounts, mount{pattern, h}) }
}

// SampleApp is the textbook's WSGI sample application (mywsgiserver.py):
// it answers every request with "This is a sample WSGI Application." as
// text/plain.
func SampleApp() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "This is a sample WSGI Application.")
	})
}

// handler is what New returns: our routes first, then files, then httpbin.
type handler struct {
	cfg    config
	mux    *http.ServeMux
	mounts *http.ServeMux // Mount's, asked first; nil for none
	bin    http.Handler
	binPUT *http.ServeMux // the routes of bin that answer PUT or DELETE (with an upload directory)
	routes []string       // for the index page
	files  liveRoot       // cfg.root, open

	dirMu sync.Mutex // upload directories made and removed (see put)

	mu    sync.Mutex
	state map[string]int // per-key counters for endpoints that change between requests
}

// New returns the test server's handler. Without options it serves /hello,
// the galleries and images, the linked site, the sample WSGI application at
// /wsgi/ and the httpbin endpoints (/get, /post, /status/{code}, ...); the
// options add files, CGI, uploads, faults and mounts.
func New(opts ...Option) http.Handler {
	h := &handler{mux: http.NewServeMux(), state: map[string]int{}}
	for _, o := range opts {
		o(&h.cfg)
	}
	c := &h.cfg
	if c.maxUpload == 0 {
		c.maxUpload = DefaultMaxUpload
	}
	if c.maxDelay == 0 {
		c.maxDelay = DefaultMaxDelay
	}
	if c.cgiTimeout == 0 {
		c.cgiTimeout = DefaultCGITimeout
	}
	h.files.path = c.root
	h.bin = safeEcho(safeRedirect(httpbin.New(
		httpbin.WithMaxDuration(c.maxDelay),
		httpbin.WithMaxBodySize(DefaultMaxBody),
		httpbin.WithAllowedRedirectDomains(append([]string{"127.0.0.1", "localhost", "[::1]", "::1"}, c.redirectTo...)),
		httpbin.WithHostname("testserver"),
	)))
	h.handle("GET /hello", "Hello World (myhttpserver.py)", http.HandlerFunc(h.hello))
	h.handle("/wsgi/", "the sample WSGI application (mywsgiserver.py)", http.StripPrefix("/wsgi", SampleApp()))
	if len(c.mounts) > 0 {
		h.mounts = http.NewServeMux()
		for _, m := range c.mounts {
			h.mounts.Handle(m.pattern, m.h)
			h.routes = append(h.routes, fmt.Sprintf("%-28s %s", m.pattern, "mounted application"))
		}
	}
	h.galleryRoutes()
	h.downloadRoutes()
	h.bigpageRoutes()
	if c.faults {
		h.faultRoutes()
	}
	if c.cgiDir != "" {
		h.cgiRoutes()
	}
	if c.uploadDir != "" {
		h.binPUT = http.NewServeMux()
		for _, p := range binPUTRoutes {
			h.binPUT.Handle(p, http.NotFoundHandler()) // only matched, never served
		}
		// PUT and DELETE reach the fallback: a method-only "PUT /" pattern
		// would conflict with every mount.
		h.routes = append(h.routes, fmt.Sprintf("%-28s %s", "PUT /{path}", "store the body under the upload directory (paths no other route serves)"),
			fmt.Sprintf("%-28s %s", "DELETE /{path}", "remove a file from the upload directory"))
	}
	if c.root == "" {
		h.handle("GET /{$}", "this index", http.HandlerFunc(h.index))
	}
	h.mux.HandleFunc("/", h.fallback)
	var out http.Handler = h.mux
	if c.root != "" {
		out = h.filesFirst(out)
	}
	if h.mounts != nil {
		out = h.mountsFirst(out)
	}
	out = guard(out)
	if c.accessLog != nil {
		out = accessLog(c.accessLog, out)
	}
	return out
}

// guard answers 400 to a request whose path has a dot segment or a NUL
// byte once decoded (HOSTILE.md R1), or starts with "//" or "/\\", which a
// redirect built from the path would turn into another host (R5,
// CVE-2021-28861), before any route sees it. ServeMux would redirect
// "/a/../b" to "/b", but no client that means well sends it.
func guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") {
			http.Error(w, "invalid path: it may not start with // or /\\", http.StatusBadRequest)
			return
		}
		if strings.IndexByte(p, 0) >= 0 || p == ".." || strings.HasPrefix(p, "../") ||
			strings.Contains(p, "/../") || strings.HasSuffix(p, "/..") ||
			strings.Contains(p, "/./") || strings.HasSuffix(p, "/.") {
			http.Error(w, "invalid path: dot segments and NUL bytes are not allowed", http.StatusBadRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// handle registers a route and remembers it for the index page.
func (h *handler) handle(pattern, what string, hd http.Handler) {
	h.mux.Handle(pattern, hd)
	h.routes = append(h.routes, fmt.Sprintf("%-28s %s", pattern, what))
}

// maxStateKeys bounds the counters kept for endpoints that change between
// requests; past it, all are forgotten, so a client inventing keys cannot
// grow the server's memory.
const maxStateKeys = 10000

// next returns the next value of the counter key, starting at 1.
func (h *handler) next(key string) int {
	return h.counter(key, func(v int) int { return v + 1 })
}

// counter sets the counter key to update(its value, 0 when new) and
// returns the result.
func (h *handler) counter(key string, update func(int) int) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.state[key]; !ok && len(h.state) >= maxStateKeys {
		clear(h.state)
	}
	v := update(h.state[key])
	h.state[key] = v
	return v
}

func (h *handler) hello(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, "Hello World")
}

func (h *handler) index(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	routes := append([]string(nil), h.routes...)
	sort.Strings(routes)
	fmt.Fprintf(w, "grab test server\n\n%s\n\nand the httpbin endpoints: /get /post /put /delete /anything /status/{code}\n"+
		"/redirect/{n} /redirect-to?url= /basic-auth/{user}/{pass} /digest-auth/{qop}/{user}/{pass}\n"+
		"/cookies /cookies/set /delay/{s} /drip /gzip /deflate /bytes/{n} /range/{n}\n"+
		"/response-headers /headers /image/{png,jpeg,webp,svg} /user-agent /uuid /json /html ...\n",
		strings.Join(routes, "\n"))
}

// fallback serves what no route matched: a file under the root when there
// is one, else httpbin.
func (h *handler) fallback(w http.ResponseWriter, r *http.Request) {
	if h.cfg.uploadDir != "" && !h.binTakes(r) {
		switch r.Method {
		case http.MethodPut:
			h.put(w, r)
			return
		case http.MethodDelete:
			h.del(w, r)
			return
		}
	}
	if h.cfg.root != "" && h.serveFile(w, r, false) {
		return
	}
	h.bin.ServeHTTP(w, r)
}

// mountsFirst gives a request a mount's pattern matches to that mount,
// and any other to next.
func (h *handler) mountsFirst(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := h.mounts.Handler(r); pattern != "" {
			h.mounts.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// builtinPrefixes are the paths of the content the server makes up.
var builtinPrefixes = []string{"/img/", "/gallery/", "/site/", "/dl/", "/bigpage/", "/hello", "/robots.txt"}

// filesFirst serves the file of the root that a GET or HEAD names under
// the paths of made-up content (builtinPrefixes) before that content, as
// Python's http.server serves a site's own img/ or robots.txt; a path no
// file has (or a root that cannot be read now) goes on to next.
func (h *handler) filesFirst(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			for _, p := range builtinPrefixes {
				if strings.HasPrefix(r.URL.Path, p) && h.serveFile(w, r, true) {
					return
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// binPUTRoutes are go-httpbin's routes that answer PUT or DELETE: those
// it registers for every method, and PUT /put, DELETE /delete and PUT
// /upload. With an upload directory, a PUT or DELETE a route of them
// matches is httpbin's; any other path is the upload directory's.
var binPUTRoutes = [...]string{
	"PUT /put", "DELETE /delete", "PUT /upload",
	"/absolute-redirect/{n}", "/anything", "/anything/", "/base64/{data}", "/base64/{op}/{data}",
	"/basic-auth/{user}/{password}", "/bearer", "/bytes/{n}", "/cache", "/cache/{n}", "/cookies",
	"/cookies/delete", "/cookies/set", "/deflate", "/delay/{d}", "/deny",
	"/digest-auth/{qop}/{user}/{password}", "/digest-auth/{qop}/{user}/{password}/{algorithm}",
	"/drip", "/dump/request", "/env", "/etag/{etag}", "/gzip", "/headers",
	"/hidden-basic-auth/{user}/{password}", "/hostname", "/html", "/image", "/image/{kind}", "/ip",
	"/json", "/jsonl", "/links/{n}", "/links/{n}/{offset}", "/range/{n}", "/redirect-to",
	"/redirect/{n}", "/relative-redirect/{n}", "/response-headers", "/sse", "/status/{code}",
	"/stream-bytes/{n}", "/stream/{n}", "/trailers", "/unstable", "/user-agent", "/uuid",
	"/version", "/xml", "/brotli",
}

// binTakes reports whether httpbin answers r's method on r's path (a
// route of binPUTRoutes): /json is httpbin's, /json/data.json an upload.
func (h *handler) binTakes(r *http.Request) bool {
	_, pattern := h.binPUT.Handler(r)
	return pattern != ""
}

// echoTypes are the content types an echo endpoint may answer with.
var echoTypes = map[string]bool{
	"text/plain": true, "application/json": true, "application/octet-stream": true,
	"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true,
}

// safeEcho keeps httpbin's endpoints that echo the request into the
// response (/response-headers, /base64) from choosing an active content
// type such as text/html (HOSTILE.md R6): another type becomes text/plain,
// and nosniff is set. httpbin's fixed pages (/html, /xml) are untouched.
func safeEcho(bin http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/response-headers" || strings.HasPrefix(r.URL.Path, "/base64/") {
			w = &echoWriter{ResponseWriter: w}
		}
		bin.ServeHTTP(w, r)
	})
}

// safeRedirect refuses the /redirect-to targets httpbin's host check and
// a browser read differently (plainRedirect, HOSTILE.md R5).
func safeRedirect(bin http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/redirect-to" && !plainRedirect(r.URL.Query().Get("url")) {
			http.Error(w, "Forbidden redirect URL: it holds a backslash, a space or a control byte, or a scheme without \"//\"", http.StatusForbidden)
			return
		}
		bin.ServeHTTP(w, r)
	})
}

// plainRedirect reports whether a /redirect-to target says where it goes
// the same way to httpbin's host check (net/url) and to a browser (WHATWG,
// HOSTILE.md R5): "http:\\evil.example/" is an opaque URL with no host to
// net/url but http://evil.example/ to a browser, and "http:evil.example/"
// is evil.example to a browser on an https page.
func plainRedirect(target string) bool {
	for i := 0; i < len(target); i++ {
		if c := target[i]; c <= ' ' || c == '\\' || c == 0x7f {
			return false
		}
	}
	u, err := url.Parse(target)
	if err != nil {
		return false
	}
	if u.Scheme != "" && !strings.HasPrefix(target[len(u.Scheme)+1:], "//") {
		return false
	}
	// "http:///evil.example/" and "///evil.example/" have no host to
	// net/url; a browser skips the extra slashes and finds one.
	return u.Host != "" || u.Scheme == "" && !strings.HasPrefix(target, "//")
}

type echoWriter struct {
	http.ResponseWriter
	wrote bool
}

func (w *echoWriter) WriteHeader(code int) {
	if !w.wrote {
		w.wrote = true
		h := w.Header()
		ct := h.Values("Content-Type")
		mt := ""
		if len(ct) == 1 && !strings.Contains(ct[0], ",") {
			// Of two types, in two fields or split by a comma, a browser
			// takes the last (HOSTILE.md R6): one only.
			mt, _, _ = strings.Cut(ct[0], ";")
		}
		if !echoTypes[strings.ToLower(strings.TrimSpace(mt))] {
			h.Set("Content-Type", "text/plain; charset=utf-8")
		}
		h.Set("X-Content-Type-Options", "nosniff")
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *echoWriter) Write(p []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(p)
}

func (w *echoWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// sleep waits d, capped by the maximum delay, or until ctx ends; it
// reports whether the full wait happened.
func (h *handler) sleep(r *http.Request, d time.Duration) bool {
	if d > h.cfg.maxDelay {
		d = h.cfg.maxDelay
	}
	if d <= 0 {
		return r.Context().Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}
