package crawl_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grabhq/grab/crawl"
	"github.com/grabhq/grab/fetch"
	"github.com/grabhq/grab/internal/testkit"
)

// publicIP is where the fake DNS puts public.example: a public address,
// which the tests' guard dialer maps to a loopback server.
var publicIP = netip.MustParseAddr("93.184.216.34")

// blockedRun crawls seeds with PublicOnly on target's guard dialer and
// resolver res (nil: net.DefaultResolver), and checks that each seed is
// recorded as a blocked address (or, with invalidOK, as a name the
// resolver refuses without a query) and that nothing was dialed.
func blockedRun(t *testing.T, target *site, res *net.Resolver, seeds []string, invalidOK bool) {
	t.Helper()
	rec := &records{}
	cr := &crawl.Crawler{
		Opener:        &fetch.Opener{Dial: target.g.DialContext},
		PublicOnly:    true,
		Resolver:      res,
		MaxCrawlDelay: time.Millisecond,
		OnPage:        rec.add,
	}
	if _, err := cr.Run(t.Context(), seeds...); err != nil {
		t.Fatal(err)
	}
	for _, s := range seeds {
		n, err := crawl.Normalize(s)
		if err != nil {
			t.Fatalf("Normalize(%q): %v", s, err)
		}
		p, ok := rec.find(n.String())
		var de *net.DNSError
		switch {
		case ok && errors.Is(p.Err, crawl.ErrBlockedAddress) && strings.Contains(p.Err.Error(), "127.0.0.1"):
		case ok && invalidOK && errors.As(p.Err, &de) && de.IsNotFound:
			t.Logf("seed %s: refused by the resolver: %v", s, de)
		default:
			t.Errorf("seed %s: record error %v, want a blocked address (127.0.0.1)", s, p.Err)
		}
	}
	if n := len(target.rec.All()); n != 0 {
		t.Errorf("the server got %d requests", n)
	}
	if n := target.g.Total(); n != 0 {
		t.Errorf("%d dials reached the dialer", n)
	}
}

// numericSeeds are the inet_aton spellings of 127.0.0.1 (HOSTILE.md J2).
func numericSeeds(port string) []string {
	var out []string
	for _, h := range []string{"0177.0.0.1", "127.1", "2130706433", "0x7f000001", "0x7f.0.0.1"} {
		out = append(out, "http://"+h+":"+port+"/site/5/page/0.html")
	}
	return out
}

// TestPublicOnlyNumericHosts: 127.0.0.1 spelt as inet_aton reads it is
// blocked at dial time, under both resolvers, and the server sees nothing
// (HOSTILE.md J2). Normalize keeps these spellings as host names (as
// net/url does), so the dial-time check is what stops them:
//
//   - go: Go's resolver does not read them as addresses. The all-numeric
//     ones (0177.0.0.1, 127.1, 2130706433) are not valid domain names to
//     it: "no such host" without a query, so nothing is dialed. The others
//     (0x7f000001, 0x7f.0.0.1) are asked of DNS, here a fake loopback DNS
//     server answering 127.0.0.1 for every name (the test must not ask the
//     real one): covers a DNS that maps such a name to loopback, whose
//     checked, dialed address is blocked.
//   - cgo: the test binary run again with GODEBUG=netdns=cgo and
//     net.DefaultResolver: glibc's getaddrinfo reads each spelling as
//     inet_aton does (0177 octal, 0x7f hex, 127.1 and 2130706433 short
//     forms), 127.0.0.1 without any DNS query. Covers CVE-2021-29923's
//     path: the system resolver turning the spelling into loopback.
func TestPublicOnlyNumericHosts(t *testing.T) {
	t.Run("go", func(t *testing.T) {
		if os.Getenv("GRAB_CRAWL_NETDNS_CHILD") != "" {
			t.Skip("the cgo child runs only the cgo case")
		}
		target := newSite(t)
		_, port, _ := net.SplitHostPort(strings.TrimPrefix(target.url, "http://"))
		blockedRun(t, target, fakeDNS(t, nil, netip.MustParseAddr("127.0.0.1")), numericSeeds(port), true)
	})
	t.Run("cgo", func(t *testing.T) {
		if os.Getenv("GRAB_CRAWL_NETDNS_CHILD") != "" {
			target := newSite(t)
			_, port, _ := net.SplitHostPort(strings.TrimPrefix(target.url, "http://"))
			blockedRun(t, target, nil, numericSeeds(port), false)
			return
		}
		if testing.Short() {
			t.Skip("runs the test binary again")
		}
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestPublicOnlyNumericHosts$/^cgo$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), "GODEBUG=netdns=cgo", "GRAB_CRAWL_NETDNS_CHILD=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestPublicOnlyNumericHosts/cgo") {
			t.Fatalf("netdns=cgo run: %v\n%s", err, out)
		}
	})
}

// publicSite is a loopback server the fake DNS and the guard present as
// http://public.example/ (a public address, port 80), serving h; target is
// another loopback server, whose port PublicOnly allows.
func publicSite(t *testing.T, h http.Handler) (target *site, res *net.Resolver, port int) {
	t.Helper()
	target = newSite(t)
	pub := httptest.NewServer(h)
	t.Cleanup(pub.Close)
	target.g.Alias(net.JoinHostPort(publicIP.String(), "80"), strings.TrimPrefix(pub.URL, "http://"))
	res = fakeDNS(t, map[string]netip.Addr{"public.example": publicIP}, netip.MustParseAddr("127.0.0.1"))
	_, p, _ := net.SplitHostPort(strings.TrimPrefix(target.url, "http://"))
	port, _ = strconv.Atoi(p)
	return target, res, port
}

// TestPublicOnlyRebinding: a name that resolves to a public address and
// then (TTL 0) to 127.0.0.1 is looked up once a dial, and the address
// checked is the address dialled: the first request reaches the public
// address, the second is blocked, and no loopback address reaches the
// dialer (HOSTILE.md J4, DNS rebinding).
func TestPublicOnlyRebinding(t *testing.T) {
	pub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "public") }))
	t.Cleanup(pub.Close)
	g := testkit.NewGuard(t)
	g.Alias(net.JoinHostPort(publicIP.String(), "80"), strings.TrimPrefix(pub.URL, "http://"))
	var queries atomic.Int32
	res := fakeDNSFunc(t, func(name string) netip.Addr {
		if name == "rebind.example" && queries.Add(1) == 1 {
			return publicIP
		}
		return netip.MustParseAddr("127.0.0.1")
	})
	o := &fetch.Opener{Dial: crawl.PublicOnlyDial(g.DialContext, res)}
	t.Cleanup(o.CloseIdleConnections)
	resp, err := o.Open(t.Context(), "http://rebind.example/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := resp.Text()
	resp.Close()
	if body != "public" {
		t.Fatalf("first request: %q, want the public server's answer", body)
	}
	o.CloseIdleConnections() // the next request dials (and resolves) anew
	resp, err = o.Open(t.Context(), "http://rebind.example/again")
	if err == nil {
		resp.Close()
		t.Fatal("the rebound name was dialled")
	}
	if !errors.Is(err, crawl.ErrBlockedAddress) || !strings.Contains(err.Error(), "127.0.0.1") {
		t.Errorf("second request: %v, want a blocked address (127.0.0.1)", err)
	}
	if n := queries.Load(); n != 2 {
		t.Errorf("%d A queries for rebind.example, want 2 (one a dial)", n)
	}
	if n, pubDials := g.Total(), g.Dials(net.JoinHostPort(publicIP.String(), "80")); n != 1 || pubDials != 1 {
		t.Errorf("%d dials, %d of them to the public address; want 1 and 1", n, pubDials)
	}
}

// TestPublicOnlyDialAddresses: PublicOnlyDial refuses every address of
// HOSTILE.md J1 at dial time, as a fetch.Opener's Dial, before the
// dialer sees it: loopback, unspecified, private, link-local (with a
// zone), shared, unique-local, IPv4-mapped, NAT64 and 6to4 forms.
func TestPublicOnlyDialAddresses(t *testing.T) {
	g := testkit.NewGuard(t)
	o := &fetch.Opener{Dial: crawl.PublicOnlyDial(g.DialContext, nil, 8080)}
	t.Cleanup(o.CloseIdleConnections)
	for _, host := range []string{
		"127.0.0.1", "127.255.255.254", "[::1]", "0.0.0.0", "[::]", "10.1.2.3", "172.16.0.1", "192.168.1.1",
		"169.254.169.254", "[fd00:ec2::254]", "[fe80::1%25lo]", "100.64.0.1", "[::ffff:127.0.0.1]",
		"[64:ff9b::7f00:1]", "[2002:7f00:1::]",
	} {
		for _, port := range []string{"", ":8080"} {
			u := "http://" + host + port + "/"
			resp, err := o.Open(t.Context(), u)
			if err == nil {
				resp.Close()
				t.Errorf("%s: dialled", u)
				continue
			}
			if !errors.Is(err, crawl.ErrBlockedAddress) || !strings.Contains(err.Error(), "blocked address") {
				t.Errorf("%s: %v, want a blocked address", u, err)
			}
		}
	}
	if n := g.Total(); n != 0 {
		t.Errorf("%d dials reached the dialer", n)
	}
}

// TestPublicOnlyOddForms: fullwidth digits and dots, the ideographic full
// stop, circled digits, fullwidth letters and U+2113 as seeds and as links
// of a public page are blocked, never requested (HOSTILE.md J3). Normalize
// maps them (IDNA, NFKC) to 127.0.0.1 or localhost, which the dial-time
// check refuses.
func TestPublicOnlyOddForms(t *testing.T) {
	forms := []string{"１２７．０．０．１", "127。0。0。1", "①②⑦.0.0.1", "ｌｏｃａｌｈｏｓｔ", "ℓocalhost", "local\u00adhost"}
	var links strings.Builder
	var hrefs []string
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, links.String())
	})
	target, res, port := publicSite(t, mux)
	for i, f := range forms {
		h := fmt.Sprintf("http://%s:%d/site/5/page/%d.html", f, port, i)
		hrefs = append(hrefs, h)
		fmt.Fprintf(&links, "<a href=\"%s\">%d</a>\n", h, i)
	}
	for _, asLinks := range []bool{false, true} {
		t.Run(map[bool]string{false: "seeds", true: "links"}[asLinks], func(t *testing.T) {
			rec := &records{}
			cr := &crawl.Crawler{
				Opener:        &fetch.Opener{Dial: target.g.DialContext},
				PublicOnly:    true,
				Resolver:      res,
				AllowPorts:    []int{port}, // the address is what must stop them
				Scope:         crawl.ScopeAny,
				MaxCrawlDelay: time.Millisecond,
				OnPage:        rec.add,
			}
			seeds := hrefs
			if asLinks {
				seeds = []string{"http://public.example/"}
			}
			if _, err := cr.Run(t.Context(), seeds...); err != nil {
				t.Fatal(err)
			}
			if asLinks {
				if p, _ := rec.find("http://public.example/"); p.Err != nil || len(p.Links) != len(forms) {
					t.Fatalf("public page: error %v, %d links; want it fetched with %d links", p.Err, len(p.Links), len(forms))
				}
			}
			for _, h := range hrefs {
				n, err := crawl.Normalize(h)
				if err != nil {
					continue // refused as invalid: never requested either
				}
				if p, ok := rec.find(n.String()); !ok || !errors.Is(p.Err, crawl.ErrBlockedAddress) {
					t.Errorf("%s (%s): record error %v, want a blocked address", h, n, p.Err)
				}
			}
			if n := len(target.rec.All()); n != 0 {
				t.Errorf("the target server got %d requests", n)
			}
		})
	}
}

// TestPublicOnlyRedirect: a public page redirecting to a blocked address,
// or to port 22, 25 or 6379 of a public host, is refused at that hop and
// recorded with ErrBlockedAddress; nothing is dialed there (HOSTILE.md J5).
// With robots.txt on, the hop's robots.txt is what is refused (its origin
// is then disallowed); with IgnoreRobots, the hop's own connection.
func TestPublicOnlyRedirect(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/go", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
	})
	target, res, port := publicSite(t, mux)
	tos := []string{
		fmt.Sprintf("http://127.0.0.1:%d/site/5/page/0.html", port),
		fmt.Sprintf("http://localhost:%d/site/5/page/0.html", port),
		"http://10.0.0.1/",
		"http://169.254.169.254/latest/meta-data/",
		"http://public.example:22/",
		"http://public.example:25/",
		"http://public.example:6379/",
	}
	for _, ignoreRobots := range []bool{false, true} {
		t.Run(fmt.Sprintf("IgnoreRobots=%v", ignoreRobots), func(t *testing.T) {
			rec := &records{}
			cr := &crawl.Crawler{
				Opener:        &fetch.Opener{Dial: target.g.DialContext},
				PublicOnly:    true,
				Resolver:      res,
				AllowPorts:    []int{port},
				Scope:         crawl.ScopeAny,
				IgnoreRobots:  ignoreRobots,
				MaxCrawlDelay: time.Millisecond,
				OnPage:        rec.add,
			}
			var seeds []string
			for _, to := range tos {
				seeds = append(seeds, "http://public.example/go?to="+to)
			}
			if _, err := cr.Run(t.Context(), seeds...); err != nil {
				t.Fatal(err)
			}
			for _, s := range seeds {
				n, _ := crawl.Normalize(s)
				p, ok := rec.find(n.String())
				if !ok || !errors.Is(p.Err, crawl.ErrBlockedAddress) {
					t.Errorf("%s: record %+v, want ErrBlockedAddress", s, p)
				}
			}
			for _, port := range []string{"22", "25", "6379"} {
				if n := target.g.Dials(net.JoinHostPort(publicIP.String(), port)); n != 0 {
					t.Errorf("port %s dialed %d times", port, n)
				}
			}
			if n := len(target.rec.All()); n != 0 {
				t.Errorf("the target server got %d requests", n)
			}
		})
	}
}
