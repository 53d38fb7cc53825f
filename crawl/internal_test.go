package crawl

import (
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestRulesM4 is the parser corpus of HOSTILE.md M4.
func TestRulesM4(t *testing.T) {
	tests := []struct {
		name, body, agent, path string
		want                    bool
	}{
		{"prefix", "User-agent: *\nDisallow: /private", "*", "/private/x", false},
		{"other path", "User-agent: *\nDisallow: /private", "*", "/public", true},
		{"empty disallow", "User-agent: *\nDisallow:", "*", "/x", true},
		{"star anchored", "User-agent: *\nDisallow: /site/*/private/", "*", "/redirect-to?url=/site/5/private/1.html", true},
		{"star", "User-agent: *\nDisallow: /site/*/private/", "*", "/site/5/private/1.html", false},
		{"dollar", "User-agent: *\nDisallow: /*.pdf$", "*", "/a/b.pdf", false},
		{"dollar not end", "User-agent: *\nDisallow: /*.pdf$", "*", "/a/b.pdf?x=1", true},
		{"longest wins", "User-agent: *\nDisallow: /a\nAllow: /a/b", "*", "/a/b/c", true},
		{"longest disallow", "User-agent: *\nAllow: /a\nDisallow: /a/b", "*", "/a/b/c", false},
		{"allow wins tie", "User-agent: *\nDisallow: /a\nAllow: /a", "*", "/a", true},
		{"grouped agents", "User-agent: x\nUser-agent: grab\nDisallow: /g\n\nUser-agent: *\nDisallow: /", "grab", "/h", true},
		{"grouped agents 2", "User-agent: grab\nUser-agent: x\nDisallow: /g\n", "grab", "/g", false},
		{"merged groups", "User-agent: grab\nDisallow: /a\n\nUser-agent: *\nDisallow: /\n\nUser-agent: grab\nDisallow: /b\n", "grab", "/b", false},
		{"case-insensitive key", "USER-AGENT: *\nDISALLOW: /x", "*", "/x", false},
		{"%7E is ~", "User-agent: *\nDisallow: /%7Ejoe", "*", "/~joe/", false},
		{"utf-8 path", "User-agent: *\nDisallow: /ü", "*", "/%C3%BC", false},
		{"CR only", "User-agent: *\rDisallow: /x\r", "*", "/x", false},
		{"BOM", "\ufeffUser-agent: *\nDisallow: /x", "*", "/x", false},
		{"no final newline", "User-agent: *\nDisallow: /x", "*", "/x", false},
		{"query exact", "User-agent: *\nDisallow: /s?q=a", "*", "/s?q=a&b", false},
		{"query other", "User-agent: *\nDisallow: /s?q=a", "*", "/s?b&q=a", true},
		{"comment", "User-agent: * # all\nDisallow: /x # no", "*", "/x", false},
		{"long line", "User-agent: *\nDisallow: /" + strings.Repeat("a", 5000) + "\nDisallow: /b", "*", "/b", false},
		{"query escapes in any case", "User-agent: *\nDisallow: /q?x=%c3%a9", "*", "/q?x=%c3%a9", false},
		{"query escapes in any case 2", "User-agent: *\nDisallow: /q?x=%C3%A9", "*", "/q?x=%c3%a9", false},
		{"%7E is ~ in the query", "User-agent: *\nDisallow: /r?x=%7E", "*", "/r?x=~", false},
		{"~ is %7E in the query", "User-agent: *\nDisallow: /r?x=~", "*", "/r?x=%7e", false},
		{"%26 is no &", "User-agent: *\nDisallow: /s?a=1%26b", "*", "/s?a=1&b=2", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The path as a crawl asks it: a URL's (robotsPath).
			u, err := url.Parse("http://h" + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if got := allowed(rulesFor([]byte(tt.body), tt.agent), robotsPath(u)); got != tt.want {
				t.Errorf("allowed(%q) = %v, want %v", tt.path, got, tt.want)
			}
		})
	}
}

// TestRulesManyLinear: 100,000 rules parse and match in well under a
// second (M4: linear time).
func TestRulesManyLinear(t *testing.T) {
	var b strings.Builder
	b.WriteString("User-agent: *\n")
	for i := range 100000 {
		b.WriteString("Disallow: /p")
		b.WriteString(strings.Repeat("*x", i%5))
		b.WriteString("\n")
	}
	start := time.Now()
	rules := rulesFor([]byte(b.String()), "*")
	for range 10 {
		allowed(rules, "/q/"+strings.Repeat("x", 2000))
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("100,000 rules took %v", d)
	}
	if len(rules) != 100000 {
		t.Errorf("%d rules, want 100000", len(rules))
	}
}

func FuzzRobotsRules(f *testing.F) {
	f.Add("User-agent: *\nDisallow: /a*b$\nAllow: /a", "/axb")
	f.Add("User-agent: grab\nDisallow: /\n", "/x?y")
	f.Fuzz(func(t *testing.T, body, path string) {
		rules := rulesFor([]byte(body), "*")
		got := allowed(rules, path)
		// Adding a Disallow never allows more.
		more := allowed(rulesFor([]byte(body+"\nUser-agent: *\nDisallow: /zz"), "*"), path)
		if more && !got {
			t.Errorf("adding a Disallow allowed %q", path)
		}
	})
}

func TestPublicIP(t *testing.T) {
	blocked := []string{"127.0.0.1", "127.1.2.3", "::1", "0.0.0.0", "::", "10.1.2.3", "172.16.0.1", "192.168.1.1",
		"169.254.169.254", "fd00:ec2::254", "fe80::1%eth0", "100.64.0.1", "::ffff:127.0.0.1", "64:ff9b::7f00:1",
		"2002:7f00:1::", "224.0.0.1", "255.255.255.255", "198.18.0.1"}
	for _, s := range blocked {
		if publicIP(netip.MustParseAddr(s)) {
			t.Errorf("publicIP(%s) = true", s)
		}
	}
	for _, s := range []string{"93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "8.8.8.8", "64:ff9b::808:808"} {
		if !publicIP(netip.MustParseAddr(s)) {
			t.Errorf("publicIP(%s) = false", s)
		}
	}
}

// TestScopeAllows: a site's upgrade to https (and back) is the same host,
// as in wget -r and colly; another port is not.
func TestScopeAllows(t *testing.T) {
	tests := []struct {
		kind Scope
		seed string
		url  string
		want bool
	}{
		{ScopeHost, "http://h.test/", "https://h.test/a", true},
		{ScopeHost, "https://h.test/", "http://h.test/a", true},
		{ScopeHost, "http://h.test/", "http://h.test:80/a", true},
		{ScopeHost, "http://h.test/", "https://h.test:443/a", true},
		{ScopeHost, "http://h.test/", "http://h.test:8080/a", false},
		{ScopeHost, "http://h.test/", "https://h.test:80/a", false},
		{ScopeHost, "http://h.test:8080/", "https://h.test:8080/a", true},
		{ScopeHost, "http://h.test:8080/", "http://h.test/a", false},
		{ScopeHost, "http://[::1]/", "https://[::1]/a", true},
		{ScopeHost, "http://h.test/", "http://g.test/", false},
		{ScopePrefix, "http://h.test/docs/i.html", "https://h.test/docs/a", true},
		{ScopePrefix, "http://h.test/docs/i.html", "https://h.test/doc", false},
		{ScopePrefix, "http://h.test/docs/", "http://h.test:8080/docs/a", false},
		{ScopePrefix, "http://h.test", "http://h.test.evil/", false},
		{ScopePrefix, "http://h.test", "http://h.test/x", true},
	}
	for _, tt := range tests {
		seed, err := Normalize(tt.seed)
		if err != nil {
			t.Fatal(err)
		}
		u, err := Normalize(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		if got := newScope(tt.kind, []*url.URL{seed}).allows(u); got != tt.want {
			t.Errorf("scope %v of %s allows %s = %v, want %v", tt.kind, tt.seed, tt.url, got, tt.want)
		}
	}
}

// TestCutField: a field's attribute follows its last '@' when that names
// one; an '@' inside the selector stays the selector's.
func TestCutField(t *testing.T) {
	tests := []struct{ in, css, attr string }{
		{"a@href", "a", "href"},
		{"h1", "h1", ""},
		{`a[title="me@x"]@href`, `a[title="me@x"]`, "href"},
		{`a[title="me@x"]`, `a[title="me@x"]`, ""},
		{`p:contains("@")`, `p:contains("@")`, ""},
		{`a[href^="mailto:x@y.com"]@data-id`, `a[href^="mailto:x@y.com"]`, "data-id"},
		{"img@", "img@", ""},
		{`.u-hidden\@md`, `.u-hidden\@md`, ""},
		{`.u-hidden\@md@title`, `.u-hidden\@md`, "title"},
		{`a[x="\\"]@href`, `a[x="\\"]`, "href"},
	}
	for _, tt := range tests {
		css, attr, ok := cutField(tt.in)
		if css != tt.css || attr != tt.attr || ok != (tt.attr != "") {
			t.Errorf("cutField(%q) = %q, %q, %v; want %q, %q", tt.in, css, attr, ok, tt.css, tt.attr)
		}
	}
}
