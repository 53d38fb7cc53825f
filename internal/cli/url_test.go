package cli

import (
	"bytes"
	"strings"
	"testing"
)

func TestURL(t *testing.T) {
	const textbook = "http://www.python.org:80/guido/python.html;philosophy?overall=3#n10"
	tests := []struct {
		runTest
		stdin string
	}{
		{runTest{"url alone shows help", []string{"url"}, ExitOK, contains("split", "unsplit", "qs", "encode"), empty}, ""},
		{runTest{"split", []string{"url", "split", textbook}, ExitOK, equals(
			"scheme: http\nnetloc: www.python.org:80\npath: /guido/python.html;philosophy\nquery: overall=3\nfragment: n10\nhostname: www.python.org\nport: 80\n"), empty}, ""},
		{runTest{"parse", []string{"url", "parse", textbook}, ExitOK, contains("path: /guido/python.html\nparams: philosophy\n"), empty}, ""},
		{runTest{"split two, blank line between", []string{"url", "split", "http://a/", "http://b/"}, ExitOK,
			contains("hostname: a\n\nscheme: http\nnetloc: b\n"), empty}, ""},
		{runTest{"split --json", []string{"url", "split", "--json", "http://U:p@Ex.com:8080/x"}, ExitOK, equals(
			`{"input":"http://U:p@Ex.com:8080/x","scheme":"http","netloc":"U:p@Ex.com:8080","path":"/x","query":"","fragment":"","username":"U","password":"p","hostname":"ex.com","port":8080,"ascii_hostname":"ex.com"}` + "\n"), empty}, ""},
		{runTest{"split --json nulls", []string{"url", "split", "--json", "/p"}, ExitOK,
			contains(`"username":null,"password":null,"hostname":null,"port":null}`), empty}, ""},
		{runTest{"split port error", []string{"url", "split", "--json", "http://h:+80/"}, ExitOK,
			contains(`"port":null,"port_error":"urlx: invalid port \"+80\" (not a decimal number) in \"http://h:+80/\""`), empty}, ""},
		{runTest{"split --scheme --no-fragments", []string{"url", "split", "--scheme", "https", "--no-fragments", "//h/a#b"}, ExitOK,
			contains("scheme: https\n", "path: /a#b\n", "fragment: \n"), empty}, ""},
		{runTest{"split stdin lines", []string{"url", "split", "--json"}, ExitOK,
			contains(`"input":"http://a/"`, `"input":"http://b/"`), empty}, "http://a/\r\n\nhttp://b/\n"},
		{runTest{"split error keeps going", []string{"url", "split", "http://[::1/", "http://ok/"}, ExitFailure,
			contains("hostname: ok"), equals("grab: url split: urlx: invalid IPv6 URL: unbalanced brackets in netloc \"[::1\" in \"http://[::1/\"\n")}, ""},
		{runTest{"split escapes controls", []string{"url", "split", "http://h/a\x1b]8;;x\x07b"}, ExitOK,
			contains(`path: "/a\x1b]8;;x\ab"`), empty}, ""},
		{runTest{"unsplit args", []string{"url", "unsplit", "https", "example.com", "a", "x=1", "top"}, ExitOK,
			equals("https://example.com/a?x=1#top\n"), empty}, ""},
		{runTest{"unparse args", []string{"url", "unparse", "http", "h", "/p", "b", "", ""}, ExitOK, equals("http://h/p;b\n"), empty}, ""},
		{runTest{"unsplit wrong count", []string{"url", "unsplit", "a", "b"}, ExitUsage, empty,
			hasPrefix("grab: unsplit takes 5 arguments (scheme, netloc, path, query, fragment) or none, got 2\n")}, ""},
		{runTest{"unsplit stdin forms", []string{"url", "unsplit"}, ExitOK,
			equals("http://h/p?q\nftp://f/x\nmailto:a@b\n"), empty},
			`{"scheme":"http","netloc":"h","path":"/p","query":"q","fragment":"","hostname":"h"}` + "\n" + `["ftp","f","x","",""]` + "\nmailto\t\ta@b\t\t\n"},
		{runTest{"an empty line is an input", []string{"url", "defrag"}, ExitOK, equals("http://h/a\tx\n\t\nhttp://h/b\t\n"), empty}, "http://h/a#x\n\nhttp://h/b\n"},
		{runTest{"unsplit skips an empty line", []string{"url", "unsplit"}, ExitOK, equals("http://h\n"), empty}, "\nhttp\th\t\t\t\n"},
		{runTest{"unsplit tab-separated starting [ or {", []string{"url", "unsplit"}, ExitOK,
			equals("//[::1]:8080/x\n{id}/edit\n"), empty}, "\t[::1]:8080\t/x\t\t\n\t\t{id}/edit\t\t\n"},
		{runTest{"unsplit bad line", []string{"url", "unsplit"}, ExitFailure, equals("http://h/\n"),
			equals("grab: url unsplit: line has 2 tab-separated fields, want 5 (scheme, netloc, path, query, fragment)\n")}, "a\tb\nhttp\th\t/\t\t\n"},
		{runTest{"unsplit JSON parts not strings", []string{"url", "unsplit"}, ExitFailure, equals("http://h/p\n"),
			equals("grab: url unsplit: JSON array part 2 (netloc): want a string\ngrab: url unsplit: JSON field \"scheme\": want a string\n")},
			"[\"a\", 2, \"c\", \"d\", \"e\"]\n{\"scheme\": 1}\n[\"http\", \"h\", \"/p\", null, null]\n"},
		{runTest{"join", []string{"url", "join", "http://a/b/c/d;p?q", "../g", "http:g", "//o/x"}, ExitOK,
			equals("http://a/b/g\nhttp://a/b/c/g\nhttp://o/x\n"), empty}, ""},
		{runTest{"join refs from stdin", []string{"url", "join", "http://a/b/c"}, ExitOK, equals("http://a/b/g\nhttp://a/h\n"), empty}, "g\n../h\n"},
		{runTest{"join needs a base", []string{"url", "join"}, ExitUsage, empty, hasPrefix("grab: requires at least 1 arg")}, ""},
		{runTest{"defrag", []string{"url", "defrag", "http://a/b?c#d", "http://x/"}, ExitOK, equals("http://a/b?c\td\nhttp://x/\t\n"), empty}, ""},
		{runTest{"defrag --json", []string{"url", "defrag", "--json", "http://a/#d"}, ExitOK, equals(`{"fragment":"d","url":"http://a/"}` + "\n"), empty}, ""},
		{runTest{"quote", []string{"url", "quote", "a b/c", "é"}, ExitOK, equals("a%20b/c\n%C3%A9\n"), empty}, ""},
		{runTest{"quote --safe", []string{"url", "quote", "--safe", "", "a/b"}, ExitOK, equals("a%2Fb\n"), empty}, ""},
		{runTest{"quote --plus", []string{"url", "quote", "--plus", "python web/x"}, ExitOK, equals("python+web%2Fx\n"), empty}, ""},
		{runTest{"quote --plus --safe /", []string{"url", "quote", "--plus", "--safe", "/", "a b/c"}, ExitOK, equals("a+b/c\n"), empty}, ""},
		{runTest{"unquote", []string{"url", "unquote", "caf%C3%A9", "%E9"}, ExitOK, equals("café\n\ufffd\n"), empty}, ""},
		{runTest{"unquote --plus --json", []string{"url", "unquote", "--plus", "--json", "a+b%0A"}, ExitOK, equals(`"a b\n"` + "\n"), empty}, ""},
		// Every plain field holding a control character is quoted (P2).
		{runTest{"unquote escapes controls", []string{"url", "unquote", "%1B[31mred"}, ExitOK, equals(`"\x1b[31mred"` + "\n"), empty}, ""},
		{runTest{"join escapes controls", []string{"url", "join", "http://a/", "x\x1b[31mRED"}, ExitOK, equals(`"http://a/x\x1b[31mRED"` + "\n"), empty}, ""},
		{runTest{"defrag escapes each field", []string{"url", "defrag", "http://a/\x07#f\x1b"}, ExitOK, equals(`"http://a/\a"` + "\t" + `"f\x1b"` + "\n"), empty}, ""},
		{runTest{"unsplit escapes controls", []string{"url", "unsplit", "http", "a", "/\x1b", "", ""}, ExitOK, equals(`"http://a/\x1b"` + "\n"), empty}, ""},
		{runTest{"encode", []string{"url", "encode", "query=python web", "lang=c++", "lang=go", "flag"}, ExitOK,
			equals("query=python+web&lang=c%2B%2B&lang=go&flag=\n"), empty}, ""},
		{runTest{"encode stdin JSON", []string{"url", "encode"}, ExitOK, equals("q=web+scraping&tag=go&tag=py\na=1&a=2\n"), empty},
			`{"q": "web scraping", "tag": ["go", "py"]}` + "\n" + `[["a","1"],["a","2"]]` + "\n"},
		{runTest{"encode bad JSON", []string{"url", "encode"}, ExitFailure, empty, hasPrefix("grab: url encode: want a JSON object or array")}, "42\n"},
		{runTest{"encode JSON null", []string{"url", "encode"}, ExitFailure, empty, contains(`JSON field "a": want a string or a list of strings`, "JSON array: want [name, value] pairs of strings")},
			"{\"a\": null}\n{\"a\": [null, \"x\"]}\n[[\"a\", null]]\n"},
		{runTest{"encode JSON name twice: the last value, as a dict", []string{"url", "encode"}, ExitOK, equals("a=2&b=x\n"), empty}, `{"a":"1","b":"x","a":"2"}` + "\n"},
		{runTest{"qs", []string{"url", "qs", "a=1&a=2&b=x+y&c="}, ExitOK, equals("a\t1\na\t2\nb\tx y\n"), empty}, ""},
		{runTest{"qs --max-fields 0", []string{"url", "qs", "--max-fields", "0", "a=1"}, ExitUsage, empty, contains("--max-fields 0: want 1 or more, or -1")}, ""},
		{runTest{`qs --separator ""`, []string{"url", "qs", "--separator", "", "a=1;b=2"}, ExitUsage, empty, contains(`--separator "": want one or more characters`)}, ""},
		{runTest{"qs --separator ;", []string{"url", "qs", "--separator", ";", "a=1;b=2&c"}, ExitOK, equals("a\t1\nb\t2&c\n"), empty}, ""},
		{runTest{"qs --max-fields -1", []string{"url", "qs", "--max-fields", "-1", "a=1&b=2"}, ExitOK, equals("a\t1\nb\t2\n"), empty}, ""},
		{runTest{"qs --keep-blank --json", []string{"url", "qs", "--keep-blank", "--json", "a=1&c="}, ExitOK, equals(`[["a","1"],["c",""]]` + "\n"), empty}, ""},
		{runTest{"qs --map", []string{"url", "qs", "--map", "a=1&a=2"}, ExitOK, equals(`{"a":["1","2"]}` + "\n"), empty}, ""},
		{runTest{"qs --map keeps parse_qs's order", []string{"url", "qs", "--map", "b=1&a%26=<2>&b=3"}, ExitOK, equals(`{"b":["1","3"],"a&":["<2>"]}` + "\n"), empty}, ""},
		{runTest{"qs semicolon literal", []string{"url", "qs", "a=1;b=2"}, ExitOK, equals("a\t1;b=2\n"), empty}, ""},
		{runTest{"qs --separator", []string{"url", "qs", "--separator", ";", "a=1;b=2"}, ExitOK, equals("a\t1\nb\t2\n"), empty}, ""},
		{runTest{"qs --strict", []string{"url", "qs", "--strict", "a=1&b"}, ExitFailure, empty, contains(`bad query field "b"`)}, ""},
		{runTest{"qs --max-fields", []string{"url", "qs", "--max-fields", "2", "a=1&b=2&c=3"}, ExitFailure, empty, contains("too many fields")}, ""},
		{runTest{"qs escapes controls", []string{"url", "qs", "a=%1B%5B31m"}, ExitOK, equals("a\t\"\\x1b[31m\"\n"), empty}, ""},
		{runTest{"url unknown subcommand", []string{"url", "spilt"}, ExitUsage, empty, contains(`did you mean "split"?`)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Run(t.Context(), tt.args, strings.NewReader(tt.stdin), &stdout, &stderr)
			tt.verify(t, code, stdout.String(), stderr.String())
		})
	}
}

// TestURLRoundTrip pipes split --json into unsplit, and qs --json into
// encode, as the help suggests.
func TestURLRoundTrip(t *testing.T) {
	run := func(stdin string, args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if code := Run(t.Context(), args, strings.NewReader(stdin), &stdout, &stderr); code != ExitOK {
			t.Fatalf("Run(%q) = %d: %s", args, code, stderr.String())
		}
		return stdout.String()
	}
	urls := "http://u:p@h:1/a;b?c=d#e\nmailto:x@y\n//cdn/x\n"
	if got := run(run(urls, "url", "split", "--json"), "url", "unsplit"); got != urls {
		t.Errorf("split --json | unsplit = %q, want %q", got, urls)
	}
	if got := run(run(urls, "url", "parse", "--json"), "url", "unparse"); got != urls {
		t.Errorf("parse --json | unparse = %q, want %q", got, urls)
	}
	qs := "a=1&a=2&b=x+y&%C3%A9=%2B\n"
	if got := run(run(qs, "url", "qs", "--json"), "url", "encode"); got != qs {
		t.Errorf("qs --json | encode = %q, want %q", got, qs)
	}
}
