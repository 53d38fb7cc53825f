package cli

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/grabhq/grab/auth"
	"github.com/grabhq/grab/auth/netrc"
	"github.com/grabhq/grab/cookies"
	"github.com/grabhq/grab/fetch"
	"github.com/grabhq/grab/internal/origin"
	"github.com/grabhq/grab/proxy"
	"github.com/grabhq/grab/urlx"
)

// netFlags are the credential, cookie and proxy flags every fetching
// command shares, as curl spells them.
type netFlags struct {
	user       string
	basic      bool
	digest     bool
	anyauth    bool
	bearer     string
	netrc      bool
	netrcFile  string
	cookie     []string
	cookieJar  string
	proxy      string
	proxyUser  string
	noProxy    string
	proxyInsec bool // --proxy-insecure
	noProxySet bool // --noproxy was given, maybe empty
	jarSet     bool // -c was given, maybe empty
	proxySet   bool // -x was given, maybe empty
}

// given notes which flags were given empty on purpose, once parsed.
func (n *netFlags) given(fl *pflag.FlagSet) {
	n.noProxySet, n.jarSet, n.proxySet = fl.Changed("noproxy"), fl.Changed("cookie-jar"), fl.Changed("proxy")
}

const netFlagsHelp = `Credentials, cookies and proxies (curl's flags):
  -u USER:PASSWORD is for the URL's origin only (scheme, host and port): Basic,
  sent with the first request (--basic, the default), Digest on the server's
  challenge (--digest), or whichever the server asks for (--anyauth, never
  Basic when Digest is offered). --oauth2-bearer TOKEN sends a Bearer token to
  the URL's origin. -n reads $NETRC or ~/.netrc (--netrc-file FILE another
  file) for the credentials of each host visited (the entry of the URL's
  login when it names one: http://alice@host/), sent as -u's are. -u wins
  over the URL's USER:PASSWORD, which wins over -n. No credential follows a
  redirect to another origin.
  -b FILE loads cookies from a cookies.txt (curl -c, wget, browser exports)
  or JSON file and keeps those the server sets; -b - reads that file from
  stdin, -b "" keeps the server's cookies with none loaded; -b 'NAME=VALUE;
  N2=V2' sends those cookies to the URL's origin. -c FILE saves the jar
  after the transfer, session cookies included (atomic; mode 0600 for a new
  file), -c - writes it to stdout; a jar that cannot be saved fails the
  command (exit 1) or is printed beside a failed transfer's error. No other name is special ("none" is a
  file named none).
  -x URL uses a proxy (http, https, socks5, socks5h; also for loopback
  targets, but not for the hosts NO_PROXY names, as curl's; -x "" none,
  whatever the environment says), -U USER:PASSWORD its credentials;
  without -x the environment's
  HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY apply (never to loopback,
  and HTTP_PROXY not in a CGI process). --noproxy LIST names hosts to reach
  directly ("*" for all). An https proxy's certificate is verified (-k,
  where a command has it, is for the server alone, as curl's);
  --proxy-insecure skips it.`

func (n *netFlags) register(fl *pflag.FlagSet) {
	fl.StringVarP(&n.user, "user", "u", "", "credentials `USER:PASSWORD` for the URL's origin")
	fl.BoolVar(&n.basic, "basic", false, "-u is Basic, sent with the first request (the default)")
	fl.BoolVar(&n.digest, "digest", false, "-u is Digest, on the server's challenge")
	fl.BoolVar(&n.anyauth, "anyauth", false, "-u answers the server's challenge, Digest or Basic")
	fl.StringVar(&n.bearer, "oauth2-bearer", "", "send `TOKEN` as a Bearer token to the URL's origin")
	fl.BoolVarP(&n.netrc, "netrc", "n", false, "read credentials from $NETRC or ~/.netrc")
	fl.StringVar(&n.netrcFile, "netrc-file", "", "read credentials from the netrc `FILE`")
	fl.StringArrayVarP(&n.cookie, "cookie", "b", nil, "load cookies from `FILE`, or send 'NAME=VALUE; ...'")
	fl.StringVarP(&n.cookieJar, "cookie-jar", "c", "", "save the cookies to `FILE` after the transfer (JSON for *.json or a JSON file, else Netscape)")
	fl.StringVarP(&n.proxy, "proxy", "x", "", "use the proxy `URL` (http, https, socks5, socks5h; \"\" for none, whatever the environment says)")
	fl.StringVarP(&n.proxyUser, "proxy-user", "U", "", "the proxy's credentials `USER:PASSWORD`")
	fl.StringVar(&n.noProxy, "noproxy", "", "comma-separated `HOSTS` to reach without a proxy")
	fl.BoolVar(&n.proxyInsec, "proxy-insecure", false, "do not verify an https proxy's TLS certificate (-k is for the server only)")
}

// session is what netFlags set up for one command: the cookie jar to save
// at the end, if any.
type session struct {
	jar  *cookies.Jar
	save string
	warn []string // what loading -b files skipped
}

// apply puts the flags' handlers, jar and proxy on o for requests to
// target, and adds literal -b cookies to header.
func (n *netFlags) apply(o *fetch.Opener, target string, header http.Header, lookupEnv func(string) (string, bool), stdin io.Reader) (*session, error) {
	s := &session{}
	first := origin.Of(target) // the origin -u, --oauth2-bearer and -b are for
	if n.basic && (n.digest || n.anyauth) || n.digest && n.anyauth {
		return nil, usageErrorf("--basic, --digest and --anyauth: give one")
	}
	netrcOn := n.netrc || n.netrcFile != ""
	scheme := n.basic || n.digest || n.anyauth
	// The URL's user:pass is a credential too (curl --digest http://u:p@h/).
	userinfo := false
	var urlUser, urlPass string
	urlHasPass := false
	if sr, err := urlx.Split(target); err == nil {
		urlUser, userinfo = sr.Username()
		urlPass, urlHasPass = sr.Password()
	}
	if scheme && n.user == "" && !netrcOn && !userinfo {
		return nil, usageErrorf("--basic, --digest and --anyauth need -u USER:PASSWORD, -n or a URL's user:password")
	}
	var user, pass string
	fixed := n.user != "" // credentials for the first origin, in the scheme asked
	if n.user != "" {
		var ok bool
		if user, pass, ok = strings.Cut(n.user, ":"); !ok {
			return nil, usageErrorf("-u: want USER:PASSWORD")
		}
	} else if scheme && urlHasPass {
		// --digest and --anyauth with the URL's user:pass answer the
		// challenge only, as with -u: fetch would send the URL's
		// userinfo as Basic with the first request.
		user, pass, fixed = urlx.Unquote(urlUser), urlx.Unquote(urlPass), true
	}
	if first == "" {
		// A page with no URL (grab images FILE without --page-url): -u
		// goes nowhere.
		user, pass, fixed = "", "", false
	}
	if n.bearer != "" && first != "" { // "": a page with no URL, the token goes nowhere
		o.Handlers = append(o.Handlers, &auth.Bearer{URL: first, Token: n.bearer})
	}
	var passwords auth.PasswordManager
	if netrcOn {
		path := n.netrcFile
		if path == "" {
			home, _ := os.UserHomeDir()
			v, _ := lookupEnv("NETRC")
			path = netrc.DefaultPath(v, home)
		}
		f, err := netrc.ParseFile(path)
		switch {
		case errors.Is(err, fs.ErrNotExist) && n.netrcFile == "":
			// -n without a file: nothing to send, as curl.
		case err != nil:
			return nil, err // "netrc: FILE: line N: ...", "netrc: open FILE: ..."
		default:
			passwords = f
		}
	}
	if fixed || passwords != nil || scheme && userinfo && first != "" {
		// One set of handlers: -u's credentials (or, with a scheme
		// flag, the URL's) for the origin first, netrc's for the rest
		// (and the origin when neither is given); a URL's login alone,
		// which fetch shows the handlers, in the scheme asked for.
		at := first
		if !fixed {
			at = ""
		}
		o.Handlers = append(o.Handlers, n.authHandlers(at, user, pass, passwords)...)
	}
	for _, c := range n.cookie {
		if strings.Contains(c, "=") {
			if !validCookieHeader(c) {
				return nil, usageErrorf("-b %q: a cookie may not hold control characters", c)
			}
			header.Add("Cookie", c)
			continue
		}
		if s.jar == nil {
			s.jar = new(cookies.Jar)
		}
		var err error
		switch c {
		case "":
			continue // the cookie engine on, nothing read (curl -b "")
		case "-":
			err = s.jar.LoadFrom(stdin)
		default:
			err = s.jar.Load(c)
			if errors.Is(err, fs.ErrNotExist) {
				// Not there yet: the first run of "-b jar -c jar", which
				// curl runs with an empty jar too.
				err = nil
			}
		}
		if err != nil {
			var le *cookies.LoadError
			if !errors.As(err, &le) {
				return nil, fmt.Errorf("-b: %w", err)
			}
			// Bad lines are skipped and named, cookies the jar's limits
			// evicted counted; the good ones are kept.
			s.warn = append(s.warn, err.Error())
		}
	}
	if n.jarSet && n.cookieJar == "" {
		return nil, usageErrorf(`--cookie-jar "": want a file name, or - for stdout`)
	}
	if n.cookieJar != "" {
		if s.jar == nil {
			s.jar = new(cookies.Jar)
		}
		s.save = n.cookieJar
	}
	if s.jar != nil {
		o.Jar = s.jar
	}
	if err := n.applyProxy(o, lookupEnv); err != nil {
		return nil, err
	}
	return s, nil
}

// authHandlers returns the handlers of the scheme --basic, --digest or
// --anyauth chose for the fixed credentials user and pass at origin (none
// when origin is "") and those the password manager pw (nil for none)
// finds.
func (n *netFlags) authHandlers(origin, user, pass string, pw auth.PasswordManager) []fetch.Handler {
	switch {
	case n.digest:
		return []fetch.Handler{&auth.Digest{URL: origin, User: user, Password: pass, Passwords: pw}}
	case n.anyauth:
		return []fetch.Handler{
			&auth.Digest{URL: origin, User: user, Password: pass, Passwords: pw},
			&auth.Basic{URL: origin, User: user, Password: pass, Passwords: pw, Challenge: true},
		}
	}
	return []fetch.Handler{&auth.Basic{URL: origin, User: user, Password: pass, Passwords: pw}}
}

// applyProxy sets o's proxy from -x, -U and --noproxy, or the environment.
func (n *netFlags) applyProxy(o *fetch.Opener, lookupEnv func(string) (string, bool)) error {
	var sel *proxy.Selector
	var err error
	if raw := strings.TrimSpace(n.proxy); raw != "" {
		u, err := proxy.ParseURL(raw)
		if err != nil {
			return usageErrorf("-x: %v", err)
		}
		sel = &proxy.Selector{All: u, NoProxy: n.noProxy}
		if !n.noProxySet {
			// -x keeps the environment's no_proxy (NO_PROXY), as curl's
			// does; --noproxy, even empty, replaces it.
			for _, name := range []string{"no_proxy", "NO_PROXY"} {
				if v, ok := lookupEnv(name); ok {
					sel.NoProxy = v
					break
				}
			}
		}
	} else if n.proxySet {
		sel = new(proxy.Selector) // -x "": no proxy, whatever the environment says (curl's)
	} else {
		if sel, err = proxy.FromLookup(lookupEnv); err != nil {
			return fmt.Errorf("proxy from the environment: %w", err)
		}
		if n.noProxySet {
			sel.NoProxy = n.noProxy
		}
	}
	if n.proxyUser != "" {
		user, pass, ok := strings.Cut(n.proxyUser, ":")
		if !ok {
			return usageErrorf("-U: want USER:PASSWORD")
		}
		sel.SetCredentials(user, pass)
	}
	o.Proxy = sel.Proxy
	if n.proxyInsec {
		o.ProxyTLSConfig = &tls.Config{InsecureSkipVerify: true}
	}
	return nil
}

// applyNet is netFlags.apply for a command: with the process's
// environment and stdin, and what loading -b files skipped printed on
// stderr unless quiet.
func (e *env) applyNet(n *netFlags, o *fetch.Opener, target string, header http.Header, quiet bool) (*session, error) {
	s, err := n.apply(o, target, header, os.LookupEnv, e.stdin)
	if err != nil {
		return nil, err
	}
	if !quiet {
		for _, w := range s.warn {
			e.errorf("warning: %s", printable(w))
		}
	}
	return s, nil
}

// finishAfter is finish for a command that ends with err: a failure to
// save is its error when err is nil, and is printed otherwise.
func (s *session) finishAfter(e *env, err error) error {
	if serr := s.finish(e.stdout); serr != nil {
		if err == nil {
			return serr
		}
		e.errorf("%v", serr)
	}
	return err
}

// finish saves the cookie jar when -c asked, to stdout for "-".
func (s *session) finish(stdout io.Writer) error {
	if s == nil || s.save == "" {
		return nil
	}
	opts := &cookies.SaveOptions{Session: true}
	if s.save == "-" {
		return s.jar.SaveTo(stdout, opts)
	}
	opts.Format = jarFormat(s.save)
	if err := s.jar.Save(s.save, opts); err != nil {
		return fmt.Errorf("--cookie-jar: %w", err)
	}
	return nil
}

// jarFormat is the format -c saves path in: JSON for a name ending in
// .json or a regular file holding JSON already (a -b x.json -c x.json
// session keeps its file's format), Netscape otherwise, as curl writes.
func jarFormat(path string) cookies.Format {
	if strings.EqualFold(filepath.Ext(path), ".json") {
		return cookies.JSON
	}
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() { // never read a FIFO or device
		return cookies.Netscape
	}
	f, err := os.Open(path)
	if err != nil {
		return cookies.Netscape
	}
	defer f.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	return cookies.DetectFormat(head[:n])
}

func validCookieHeader(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c == 0x7f {
			return false
		}
	}
	return true
}
