package urlx

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// The corpus holds CPython 3.11.7's answers to 34,030 urllib.parse calls
// (a gzipped copy of ../shared/testdata/urlx_cpython.json; see its README).

type corpusCase struct {
	ID               string          `json:"id"`
	Group            string          `json:"group"`
	VersionSensitive string          `json:"version_sensitive"`
	Checks           []corpusCheck   `json:"checks"`
	Input            json.RawMessage `json:"input"`
}

type corpusCheck struct {
	Fn     string                     `json:"fn"`
	Args   []json.RawMessage          `json:"args"`
	Kwargs map[string]json.RawMessage `json:"kwargs"`
	Want   json.RawMessage            `json:"want"`
}

// openGzip opens a gzipped file under testdata, closed at the end of the
// test.
func openGzip(t testing.TB, name string) io.Reader {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	return zr
}

func loadCorpus(t testing.TB) []corpusCase {
	t.Helper()
	zr := openGzip(t, "urlx_cpython.json.gz")
	var doc struct {
		Cases []corpusCase `json:"cases"`
	}
	if err := json.NewDecoder(zr).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Cases) < 2000 {
		t.Fatalf("corpus has %d cases, want the full corpus", len(doc.Cases))
	}
	return doc.Cases
}

// errSkip marks a check whose arguments urlx has no form for.
var errSkip = fmt.Errorf("skip")

func str(raw json.RawMessage) string {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		panic(fmt.Sprintf("corpus: want a string, got %s", raw))
	}
	return s
}

func wantError(raw json.RawMessage) bool {
	var e struct {
		Error string `json:"error"`
	}
	return json.Unmarshal(raw, &e) == nil && e.Error != ""
}

// optString is a JSON string or null (Python's None).
type optString struct {
	S  string
	OK bool
}

func (o *optString) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	o.OK = true
	return json.Unmarshal(b, &o.S)
}

func splitOptions(c corpusCheck) (Options, error) {
	var o Options
	for k, v := range c.Kwargs {
		switch k {
		case "scheme":
			o.Scheme = str(v)
		case "allow_fragments":
			var b bool
			if err := json.Unmarshal(v, &b); err != nil {
				return o, err
			}
			o.NoFragments = !b
		default:
			return o, errSkip
		}
	}
	return o, nil
}

// runCheck performs one corpus check and returns what urlx gives, in the
// corpus's JSON shape, and whether it equals the wanted value.
func runCheck(c corpusCheck) (got any, match bool, err error) {
	switch c.Fn {
	case "urlsplit", "urlparse":
		o, err := splitOptions(c)
		if err != nil {
			return nil, false, err
		}
		in := str(c.Args[0])
		var res map[string]any
		if c.Fn == "urlsplit" {
			r, err := o.Split(in)
			if err != nil {
				return err.Error(), wantError(c.Want), nil
			}
			res = map[string]any{"scheme": r.Scheme, "netloc": r.Netloc, "path": r.Path, "query": r.Query, "fragment": r.Fragment}
			opt := func(s string, ok bool) any {
				if !ok {
					return nil
				}
				return s
			}
			res["username"] = opt(r.Username())
			res["password"] = opt(r.Password())
			res["hostname"] = opt(r.Hostname())
			port, ok, perr := r.Port()
			switch {
			case perr != nil:
				res["port"] = map[string]any{"error": "ValueError"}
			case ok:
				res["port"] = float64(port)
			default:
				res["port"] = nil
			}
		} else {
			r, err := o.Parse(in)
			if err != nil {
				return err.Error(), wantError(c.Want), nil
			}
			res = map[string]any{"scheme": r.Scheme, "netloc": r.Netloc, "path": r.Path, "params": r.Params, "query": r.Query, "fragment": r.Fragment}
		}
		var want any
		if err := json.Unmarshal(c.Want, &want); err != nil {
			return nil, false, err
		}
		return res, reflect.DeepEqual(res, want), nil
	case "urlunsplit", "urlunparse":
		var parts []string
		if err := json.Unmarshal(c.Args[0], &parts); err != nil {
			return nil, false, err
		}
		var got string
		if c.Fn == "urlunsplit" {
			got = Unsplit(SplitResult{parts[0], parts[1], parts[2], parts[3], parts[4]})
		} else {
			got = Unparse(ParseResult{parts[0], parts[1], parts[2], parts[3], parts[4], parts[5]})
		}
		return got, got == str(c.Want), nil
	case "urljoin":
		o, err := splitOptions(c)
		if err != nil {
			return nil, false, err
		}
		got, err := o.Join(str(c.Args[0]), str(c.Args[1]))
		if err != nil {
			return err.Error(), wantError(c.Want), nil
		}
		return got, !wantError(c.Want) && got == str(c.Want), nil
	case "urldefrag":
		u, frag, err := Defrag(str(c.Args[0]))
		if err != nil {
			return err.Error(), wantError(c.Want), nil
		}
		var want struct{ URL, Fragment string }
		if err := json.Unmarshal(c.Want, &want); err != nil {
			return nil, false, err
		}
		return []string{u, frag}, !wantError(c.Want) && u == want.URL && frag == want.Fragment, nil
	case "quote", "quote_plus":
		safe := "/"
		if c.Fn == "quote_plus" {
			safe = ""
		}
		for k, v := range c.Kwargs {
			if k != "safe" {
				return nil, false, errSkip
			}
			safe = str(v)
		}
		var got string
		if c.Fn == "quote" {
			got = Quote(str(c.Args[0]), safe)
		} else {
			got = QuotePlus(str(c.Args[0]), safe)
		}
		return got, got == str(c.Want), nil
	case "unquote", "unquote_plus":
		if len(c.Kwargs) > 0 || len(c.Args) != 1 {
			return nil, false, errSkip
		}
		var got string
		if c.Fn == "unquote" {
			got = Unquote(str(c.Args[0]))
		} else {
			got = UnquotePlus(str(c.Args[0]))
		}
		return got, got == str(c.Want), nil
	case "parse_qsl", "parse_qs":
		var o QueryOptions
		for k, v := range c.Kwargs {
			switch k {
			case "keep_blank_values":
				json.Unmarshal(v, &o.KeepBlank)
			case "strict_parsing":
				json.Unmarshal(v, &o.Strict)
			case "separator":
				o.Separator = str(v)
			case "max_num_fields":
				json.Unmarshal(v, &o.MaxFields)
			default:
				return nil, false, errSkip
			}
		}
		in := str(c.Args[0])
		if c.Fn == "parse_qsl" {
			pairs, err := o.ParseQSL(in)
			if err != nil {
				return err.Error(), wantError(c.Want), nil
			}
			got := [][]string{}
			for _, p := range pairs {
				got = append(got, []string{p.Key, p.Value})
			}
			var want [][]string
			if wantError(c.Want) || json.Unmarshal(c.Want, &want) != nil {
				return got, false, nil
			}
			if want == nil {
				want = [][]string{}
			}
			return got, reflect.DeepEqual(got, want), nil
		}
		m, err := o.ParseQS(in)
		if err != nil {
			return err.Error(), wantError(c.Want), nil
		}
		var want map[string][]string
		if wantError(c.Want) || json.Unmarshal(c.Want, &want) != nil {
			return m, false, nil
		}
		return m, reflect.DeepEqual(m, want), nil
	case "urlencode":
		doseq := false
		for k, v := range c.Kwargs {
			if k != "doseq" {
				return nil, false, errSkip
			}
			json.Unmarshal(v, &doseq)
		}
		var items [][]json.RawMessage
		if err := json.Unmarshal(c.Args[0], &items); err != nil {
			return nil, false, err
		}
		var pairs []Pair
		for _, it := range items {
			var k string
			if json.Unmarshal(it[0], &k) != nil {
				return nil, false, errSkip
			}
			var v string
			var vs []string
			switch {
			case json.Unmarshal(it[1], &v) == nil && it[1][0] == '"':
				pairs = append(pairs, Pair{k, v})
			case doseq && json.Unmarshal(it[1], &vs) == nil:
				for _, v := range vs {
					pairs = append(pairs, Pair{k, v})
				}
			default:
				// A list without doseq (Python's str(list)) or a number,
				// bool or None: Encode takes strings only.
				return nil, false, errSkip
			}
		}
		got := Encode(pairs)
		return got, got == str(c.Want), nil
	}
	return nil, false, fmt.Errorf("unknown function %q", c.Fn)
}

// TestCPythonCorpus runs every check of the CPython corpus that urlx has a
// form for and requires all of them to pass.
func TestCPythonCorpus(t *testing.T) {
	cases := loadCorpus(t)
	passed, skipped, failed := map[string]int{}, map[string]int{}, map[string]int{}
	total := 0
	for _, cs := range cases {
		for _, c := range cs.Checks {
			total++
			got, ok, err := runCheck(c)
			switch {
			case err == errSkip:
				skipped[c.Fn]++
			case err != nil:
				t.Fatalf("%s %s: %v", cs.ID, c.Fn, err)
			case ok || cs.VersionSensitive != "":
				// A version-sensitive case passes either way; urlx follows
				// the CVE-2025-0938 fix, see TestBracketedNetloc.
				passed[c.Fn]++
			default:
				failed[c.Fn]++
				if failed[c.Fn] <= 5 {
					args, _ := json.Marshal(c.Args)
					kw, _ := json.Marshal(c.Kwargs)
					gj, _ := json.Marshal(got)
					t.Errorf("%s %s(%s, %s)\n got  %s\n want %s", cs.ID, c.Fn, args, kw, gj, c.Want)
				}
			}
		}
	}
	np, ns, nf := 0, 0, 0
	for _, n := range passed {
		np += n
	}
	for _, n := range skipped {
		ns += n
	}
	for _, n := range failed {
		nf += n
	}
	t.Logf("CPython corpus: %d checks: %d passed, %d failed, %d skipped (no urlx form): skipped by function %v", total, np, nf, ns, skipped)
	if nf > 0 {
		t.Errorf("failures by function: %v", failed)
	}
}
