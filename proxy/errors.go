package proxy

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/grabhq/grab/internal/redact"
)

// Errors callers act on; match them with errors.Is. Each comes wrapped in
// a [*ProxyError] naming the proxy (password redacted) and the target.
var (
	// ErrProxyAuth reports a proxy that wants credentials it was not given,
	// or refused the ones it was given: a 407 answer to CONNECT, or a SOCKS5
	// proxy that accepted none of the offered methods or refused the
	// username and password. Dial never retries: one 407 is one error.
	ErrProxyAuth = errors.New("proxy authentication failed")
	// ErrProxyRefused reports a proxy that answered CONNECT with a status
	// outside 2xx other than 407 (403 for a forbidden target, 502 when it
	// could not reach it, ...), or a SOCKS5 reply other than success.
	ErrProxyRefused = errors.New("proxy refused the connection")
	// ErrProxyClosed reports a proxy that closed the connection before its
	// reply was complete, or a tunnel that ended (closed or reset) before
	// the target sent a single byte (a CONNECT answered 200, then closed).
	ErrProxyClosed = errors.New("proxy closed the connection")
	// ErrProxyProtocol reports a reply that is not one: bytes that are not
	// an HTTP response or a SOCKS5 reply, or a CONNECT reply head longer
	// than the limit ([Dialer.MaxReplyBytes]).
	ErrProxyProtocol = errors.New("malformed proxy reply")
)

// ProxyError reports a failure to get a connection through a proxy, or a
// tunnel closed by it before the target answered. Err is one of the
// sentinels above (ErrProxyAuth, ErrProxyRefused, ErrProxyClosed,
// ErrProxyProtocol) with details, or the error of the step that failed
// (dialing the proxy, the TLS handshake with it, the context).
type ProxyError struct {
	Proxy  string // the proxy URL, password redacted ([Redact])
	Target string // the host:port asked for, "" if not known
	Status int    // the CONNECT answer's status code; 0 for SOCKS5 and when none was read
	Err    error
}

func (e *ProxyError) Error() string {
	var b strings.Builder
	b.WriteString("proxy ")
	b.WriteString(e.Proxy)
	if e.Target != "" {
		b.WriteString(" to ")
		b.WriteString(e.Target)
	}
	b.WriteString(": ")
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	} else {
		b.WriteString("failed")
	}
	return b.String()
}

func (e *ProxyError) Unwrap() error { return e.Err }

// Redact returns u as a string with its password, if any, and the values
// of query parameters named like secrets (token, api_key, ...) replaced
// by "xxxxx"; nil gives "". Use it for a proxy URL in errors, logs and
// verbose output: every error of this package does.
func Redact(u *url.URL) string { return redact.URL(u) }

// CheckConnect is for [http.Transport.OnProxyConnectResponse]: it turns
// net/http's untyped failures of a CONNECT through an http or https proxy
// into a [*ProxyError] matching [ErrProxyAuth] (407) or [ErrProxyRefused]
// (any other status but 200), so a plain http.Client's errors can be
// tested with errors.Is:
//
//	tr := &http.Transport{Proxy: sel.Proxy, OnProxyConnectResponse: proxy.CheckConnect}
//
// net/http itself sends the CONNECT, with only Proxy-Authorization from the
// proxy URL's userinfo (and Transport.ProxyConnectHeader); it never retries
// a 407.
func CheckConnect(_ context.Context, proxyURL *url.URL, connectReq *http.Request, connectRes *http.Response) error {
	if connectRes == nil || connectRes.StatusCode == http.StatusOK {
		return nil
	}
	target := ""
	if connectReq != nil {
		target = connectReq.Host
	}
	return statusError(Redact(proxyURL), target, connectRes)
}

// statusError is the error for a CONNECT answer outside 2xx.
func statusError(proxy, target string, resp *http.Response) *ProxyError {
	sentinel := ErrProxyRefused
	if resp.StatusCode == http.StatusProxyAuthRequired {
		sentinel = ErrProxyAuth
	}
	return &ProxyError{
		Proxy:  proxy,
		Target: target,
		Status: resp.StatusCode,
		Err:    fmt.Errorf("%w: CONNECT answered %s", sentinel, printable(resp.Status, 128)),
	}
}

// printable returns s cut to at most max bytes, with every byte that is
// not printable ASCII replaced by '?', so that a reason phrase chosen by a
// hostile proxy cannot drive a terminal.
func printable(s string, max int) string {
	if len(s) > max {
		s = s[:max]
	}
	b := []byte(s)
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			b[i] = '?'
		}
	}
	return string(b)
}
