package testserver

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Limits of a CGI script's output.
const (
	maxCGIHeader = 64 << 10
	maxCGIOutput = 64 << 20
)

func (h *handler) cgiRoutes() {
	h.handle("/cgi-bin/", "CGI scripts (CGIHTTPRequestHandler), GET and POST", http.HandlerFunc(h.cgi))
}

// cgi runs the script that /cgi-bin/NAME[/PATH_INFO] names, as Python's
// CGIHTTPRequestHandler does, with the protections net/http/cgi lacks
// (HOSTILE.md R7):
//
//   - only regular executable files directly in the CGI directory run: no
//     subdirectories, no hidden names, no encoded "/" in the name, no
//     symlinks;
//   - the environment is RFC 3875's variables and PATH=/usr/bin:/bin, not
//     the server's; the Proxy header never becomes HTTP_PROXY (httpoxy),
//     and request headers whose names hold "_" are dropped so "X_Foo" cannot
//     pose as "X-Foo";
//   - a chunked request body is refused with 411, as CGI needs a length;
//   - the script runs in its own process group, killed as a whole when the
//     client goes away or the CGI timeout passes; its output is capped.
func (h *handler) cgi(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD, POST")
		http.Error(w, "CGI scripts run on GET, HEAD and POST", http.StatusMethodNotAllowed)
		return
	}
	rest := strings.TrimPrefix(r.URL.EscapedPath(), "/cgi-bin/")
	escName, _, hasInfo := strings.Cut(rest, "/")
	name := escName
	if strings.Contains(escName, "%") || !validScriptName(name) {
		http.NotFound(w, r)
		return
	}
	dir, err := filepath.Abs(h.cfg.cgiDir)
	if err != nil {
		http.Error(w, "CGI directory unavailable", http.StatusInternalServerError)
		return
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		http.Error(w, "CGI directory unavailable", http.StatusInternalServerError)
		return
	}
	fi, err := root.Lstat(name)
	root.Close()
	if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		http.NotFound(w, r)
		return
	}
	if r.ContentLength < 0 { // chunked, or an HTTP/2 body of no declared length
		http.Error(w, "CGI needs a Content-Length: request bodies of no declared length are refused", http.StatusLengthRequired)
		return
	}
	pathInfo := ""
	if hasInfo { // "/cgi-bin/script/" has the PATH_INFO "/", as CPython's
		pathInfo = strings.TrimPrefix(r.URL.Path, "/cgi-bin/"+name)
	}

	ctx, cancel := context.WithTimeout(r.Context(), h.cfg.cgiTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(dir, name))
	cmd.Dir = dir
	cmd.Env = cgiEnv(r, name, pathInfo)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	if r.ContentLength > 0 {
		cmd.Stdin = io.LimitReader(r.Body, r.ContentLength)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		http.Error(w, "cannot run script", http.StatusInternalServerError)
		return
	}
	if err := cmd.Start(); err != nil {
		http.Error(w, "cannot run script", http.StatusInternalServerError)
		return
	}
	defer func() {
		cancel() // kills the group if it is still running
		cmd.Wait()
	}()
	out := &io.LimitedReader{R: stdout, N: maxCGIOutput + 1} // N 0: over the cap
	br := bufio.NewReaderSize(out, 4096)
	hdr, err := readCGIHeader(br)
	if err != nil {
		if ctx.Err() != nil && r.Context().Err() == nil {
			http.Error(w, fmt.Sprintf("CGI script %s timed out after %s", name, h.cfg.cgiTimeout), http.StatusGatewayTimeout)
			return
		}
		http.Error(w, "CGI script "+name+": "+err.Error(), http.StatusBadGateway)
		return
	}
	status := http.StatusOK
	if s := hdr.Get("Status"); s != "" {
		code, _, _ := strings.Cut(s, " ")
		n, err := strconv.Atoi(code)
		if err != nil || n < 100 || n > 999 {
			http.Error(w, "CGI script "+name+": invalid Status header", http.StatusBadGateway)
			return
		}
		status = n
		hdr.Del("Status")
	}
	if loc := hdr.Get("Location"); loc != "" && status == http.StatusOK {
		status = http.StatusFound
	}
	for k, vs := range hdr {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	io.Copy(w, br) // a client gone away cancels ctx, which kills the script
	if out.N == 0 || ctx.Err() != nil {
		// Cut at the cap or killed at the timeout: the client must see a
		// body cut short, never a complete one.
		panic(http.ErrAbortHandler)
	}
}

func validScriptName(name string) bool {
	if name == "" || strings.HasPrefix(name, ".") || len(name) > 255 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// readCGIHeader reads the header block a script writes before its body,
// at most maxCGIHeader bytes, leaving the body in br.
func readCGIHeader(br *bufio.Reader) (http.Header, error) {
	hdr := http.Header{}
	total := 0
	for {
		line, err := br.ReadSlice('\n')
		total += len(line)
		switch {
		case total > maxCGIHeader:
			return nil, fmt.Errorf("header longer than %d bytes", maxCGIHeader)
		case errors.Is(err, bufio.ErrBufferFull):
			return nil, errors.New("header line too long")
		case err != nil:
			return nil, errors.New("no complete header before the end of its output")
		}
		text := strings.TrimRight(string(line), "\r\n")
		if text == "" {
			if len(hdr) == 0 {
				return nil, errors.New("empty header")
			}
			return hdr, nil
		}
		k, v, ok := strings.Cut(text, ":")
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			return nil, fmt.Errorf("bad header line %q", text)
		}
		hdr.Add(textproto.CanonicalMIMEHeaderKey(k), strings.TrimSpace(v))
	}
}

// cgiEnv builds the RFC 3875 environment of a script run.
func cgiEnv(r *http.Request, name, pathInfo string) []string {
	host, port, _ := net.SplitHostPort(r.Host)
	if host == "" {
		host = r.Host
	}
	if port == "" {
		port = "80"
		if r.TLS != nil {
			port = "443"
		}
	}
	remoteHost, remotePort, _ := net.SplitHostPort(r.RemoteAddr)
	env := []string{
		"GATEWAY_INTERFACE=CGI/1.1",
		"SERVER_SOFTWARE=grab-testserver",
		"SERVER_NAME=" + host,
		"SERVER_PORT=" + port,
		"SERVER_PROTOCOL=" + r.Proto,
		"REQUEST_METHOD=" + r.Method,
		"REQUEST_URI=" + r.URL.RequestURI(),
		"SCRIPT_NAME=/cgi-bin/" + name,
		"PATH_INFO=" + pathInfo,
		"QUERY_STRING=" + r.URL.RawQuery,
		"REMOTE_ADDR=" + remoteHost,
		"REMOTE_HOST=" + remoteHost,
		"REMOTE_PORT=" + remotePort,
		"PATH=/usr/bin:/bin",
	}
	if r.ContentLength >= 0 && r.Method != http.MethodGet && r.Method != http.MethodHead {
		env = append(env, "CONTENT_LENGTH="+strconv.FormatInt(r.ContentLength, 10))
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		env = append(env, "CONTENT_TYPE="+ct)
	}
	// The credentials stay out of the environment; the scheme and a Basic
	// user go in (RFC 3875 4.1.1 and 4.1.11), as CGIHTTPRequestHandler's.
	if fields := strings.Fields(r.Header.Get("Authorization")); len(fields) == 2 {
		env = append(env, "AUTH_TYPE="+fields[0])
		if u, _, ok := r.BasicAuth(); ok {
			env = append(env, "REMOTE_USER="+u)
		}
	}
	for k, vs := range r.Header {
		if strings.Contains(k, "_") {
			continue
		}
		switch k = strings.ToUpper(strings.ReplaceAll(k, "-", "_")); k {
		case "PROXY", "AUTHORIZATION", "CONTENT_TYPE", "CONTENT_LENGTH":
			continue
		}
		sep := ", "
		if k == "COOKIE" {
			sep = "; " // cookie fields join as one Cookie header's pairs (net/http/cgi)
		}
		env = append(env, "HTTP_"+k+"="+strings.Join(vs, sep))
	}
	if r.Host != "" {
		env = append(env, "HTTP_HOST="+r.Host) // net/http keeps Host out of r.Header
	}
	return env
}
