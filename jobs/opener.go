package jobs

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/grabhq/grab/auth"
	"github.com/grabhq/grab/auth/netrc"
	"github.com/grabhq/grab/cookies"
	"github.com/grabhq/grab/crawl"
	"github.com/grabhq/grab/fetch"
	"github.com/grabhq/grab/internal/origin"
	"github.com/grabhq/grab/proxy"
)

// maxSecretBytes caps a secret file.
const maxSecretBytes = 64 << 10

// read returns the secret's value: the environment variable, or the
// file's content without one final newline.
func (s *Secret) read(getenv func(string) string, j *Job) (string, error) {
	if s.Env != "" {
		v := ""
		if getenv != nil {
			v = getenv(s.Env)
		}
		if v == "" {
			return "", fmt.Errorf("environment variable %s is not set", s.Env)
		}
		return v, nil
	}
	path := j.path(s.File)
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("secret file: %w", err)
	}
	defer f.Close()
	buf, err := io.ReadAll(io.LimitReader(f, maxSecretBytes+1))
	if err != nil {
		return "", fmt.Errorf("secret file: %w", err)
	}
	if len(buf) > maxSecretBytes {
		return "", fmt.Errorf("secret file %s: larger than %d bytes", path, maxSecretBytes)
	}
	v := strings.TrimSuffix(strings.TrimSuffix(string(buf), "\n"), "\r")
	if v == "" {
		return "", fmt.Errorf("secret file %s is empty", path)
	}
	return v, nil
}

// origins returns the origins ("scheme://host:port/") of the job's targets.
func (j *Job) origins() []string {
	var urls []string
	urls = append(urls, j.Targets.URLs...)
	if j.Targets.Crawl != nil {
		for _, s := range j.Targets.Crawl.Seeds {
			// As the crawl fetches it ("127.0.0.1." is "127.0.0.1").
			if n, err := crawl.Normalize(s); err == nil {
				s = n.String()
			}
			urls = append(urls, s)
		}
	}
	seen := map[string]bool{}
	var out []string
	for _, s := range urls {
		o := origin.Of(s)
		if !seen[o] {
			seen[o] = true
			out = append(out, o)
		}
	}
	return out
}

// session is what the Openers of one run share, read once: the
// credentials handlers, the cookie jar (so that a cookie the crawl or a
// page sets goes with the run's later requests, downloads included) and
// the proxy, with their secrets.
type session struct {
	handlers []fetch.Handler
	jar      http.CookieJar
	proxy    func(*http.Request) (*url.URL, error)
}

// session reads the job's credentials, cookies and proxy, with secrets
// read through getenv and from files; warn hears of cookie lines skipped.
func (j *Job) session(getenv func(string) string, warn func(msg string)) (*session, error) {
	s := &session{}
	origins := j.origins()
	if a := j.Auth; a != nil {
		for _, c := range []struct {
			cred   *Credentials
			digest bool
		}{{a.Basic, false}, {a.Digest, true}} {
			if c.cred == nil {
				continue
			}
			pass, err := c.cred.Password.read(getenv, j)
			if err != nil {
				return nil, fmt.Errorf("auth password: %w", err)
			}
			for _, origin := range origins {
				if c.digest {
					s.handlers = append(s.handlers, &auth.Digest{URL: origin, User: c.cred.User, Password: pass})
				} else {
					s.handlers = append(s.handlers, &auth.Basic{URL: origin, User: c.cred.User, Password: pass})
				}
			}
		}
		if a.Bearer != nil {
			tok, err := a.Bearer.read(getenv, j)
			if err != nil {
				return nil, fmt.Errorf("auth bearer: %w", err)
			}
			for _, origin := range origins {
				s.handlers = append(s.handlers, &auth.Bearer{URL: origin, Token: tok})
			}
		}
		if a.Netrc != "" {
			f, err := netrc.ParseFile(j.path(a.Netrc))
			if err != nil {
				return nil, fmt.Errorf("auth: %w", err) // "auth: netrc: FILE: line 3: ..."
			}
			s.handlers = append(s.handlers, &auth.Basic{Passwords: f})
		}
	}
	if c := j.Cookies; c != nil {
		if c.File != "" {
			jar := new(cookies.Jar)
			if err := jar.Load(j.path(c.File)); err != nil {
				var le *cookies.LoadError
				if !errors.As(err, &le) {
					return nil, err // "cookies: load FILE: ..." already
				}
				if warn != nil {
					// Bad lines skipped, or cookies over the jar's
					// limits evicted: the rest loaded.
					warn(err.Error()) // "cookies: load FILE: ..."
				}
			}
			s.jar = jar
		}
		if c.Header != nil {
			v, err := c.Header.read(getenv, j)
			if err != nil {
				return nil, fmt.Errorf("cookies header: %w", err)
			}
			if strings.ContainsAny(v, "\r\n\x00") {
				return nil, errors.New("cookies header: the value holds CR, LF or NUL")
			}
			s.handlers = append(s.handlers, &origin.Header{Origins: origins, Name: "Cookie", Value: v})
		}
	}
	if p := j.Proxy; p != nil {
		sel, err := proxy.New(map[string]string{"all": p.URL}, p.NoProxy)
		if err != nil {
			return nil, fmt.Errorf("proxy: %w", err)
		}
		if p.Password != nil {
			pass, err := p.Password.read(getenv, j)
			if err != nil {
				return nil, fmt.Errorf("proxy password: %w", err)
			}
			sel.SetCredentials(p.User, pass)
		}
		s.proxy = sel.Proxy
	}
	return s, nil
}

// opener builds one of the job's Openers: timeouts, limits, retries and
// headers, and the session's credentials, cookies and proxy. base supplies
// the transport and dialer, if set.
func (j *Job) opener(base *fetch.Opener, s *session) *fetch.Opener {
	o := &fetch.Opener{
		DisableFile:      true,
		AllowErrorStatus: true, // 304, 404 and 410 mean something here
		UserAgent:        j.UserAgent,
		Timeouts: fetch.Timeouts{
			Connect:        time.Duration(j.Timeouts.Connect),
			ResponseHeader: time.Duration(j.Timeouts.Header),
			Stall:          time.Duration(j.Timeouts.Stall),
			Total:          time.Duration(j.Timeouts.Request),
		},
		Limits: fetch.Limits{BodyBytes: j.maxPageBytes()},
	}
	if o.Timeouts.Total == 0 {
		o.Timeouts.Total = DefaultRequest
	}
	if base != nil {
		o.Transport, o.Dial, o.TLSConfig, o.ProxyTLSConfig = base.Transport, base.Dial, base.TLSConfig, base.ProxyTLSConfig
		o.Handlers = append(o.Handlers, base.Handlers...)
		if base.Proxy != nil {
			o.Proxy = base.Proxy
		}
	}
	if len(j.Headers) > 0 {
		o.Header = http.Header{}
		for k, v := range j.Headers {
			o.Header.Set(k, v)
		}
	}
	retries := DefaultRetries
	if j.Retries != nil {
		retries = *j.Retries
	}
	if retries > 0 {
		o.Handlers = append(o.Handlers, &fetch.Retry{Attempts: retries + 1, MaxElapsed: time.Minute})
	}
	o.Handlers = append(o.Handlers, s.handlers...)
	o.Jar = s.jar
	if s.proxy != nil {
		o.Proxy = s.proxy
	}
	return o
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
