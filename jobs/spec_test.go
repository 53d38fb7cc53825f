package jobs_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/grabhq/grab/jobs"
)

func TestParseProblems(t *testing.T) {
	tests := []struct {
		name string
		file string
		want []string // "LINE: substring", in order
	}{
		{"empty", "", []string{"0: the file is empty"}},
		{"not a mapping", "- a\n- b\n", []string{"1: a job file is a mapping"}},
		{"syntax", "name: a\ntargets: [\n", []string{"2: did not find expected node content"}},
		{"two documents", "name: a\ntargets: {urls: [http://h/]}\n---\nname: b\n", []string{"3: more than one YAML document"}},
		{"missing name and targets", "schedule: '@every 1h'\n", []string{"0: name: required", "0: targets: required"}},
		{"unknown keys", "name: a\ntargets:\n  url: [http://h/]\nextract: {imgaes: true}\n", []string{
			`3: targets.url: unknown key "url"; did you mean "urls"?`,
			`4: extract.imgaes: unknown key "imgaes"; did you mean "images"?`}},
		{"duplicate key", "name: a\nname: b\ntargets: {urls: [http://h/]}\n", []string{"2: name: duplicate key (first at line 1)"}},
		{"duplicate key and more", "name: a\nname: b\ntargets: {urls: [http://h/]}\nlimits: {max_items: -5}\nextract: {images: true}\nextract: {links: true}\n", []string{
			"2: name: duplicate key (first at line 1)",
			"4: limits.max_items: -5: want 1 or more",
			"6: extract: duplicate key (first at line 5)"}},
		{"empty sections", "name: a\ntargets: {urls: [http://h/]}\ndownload:\nauth: {bearer: ~}\nproxy:\n", []string{
			"3: download: empty: give its keys, {} for the defaults, or leave the key out",
			"4: auth.bearer: empty: give {env: NAME} or {file: PATH}, or leave the key out",
			"5: proxy: empty: give its keys, or leave the key out"}},
		{"wrong kinds", "name: a\ntargets: {urls: http://h/}\nlimits: {max_items: many}\n", []string{
			"2: targets.urls: want a list", "3: limits.max_items: `many` is not a whole number"}},
		{"bad values", "name: -a\nschedule: '* * *'\ntimezone: Mars/Olympus\ntargets: {urls: ['ftp://h/', 'http://u:secret@h/', 'http://h/ x']}\n", []string{
			`1: name: "-a"`, "2: schedule: ", "3: timezone: ", "4: targets.urls[0]: ", "4: targets.urls[1]: ", "4: targets.urls[2]: "}},
		{"bad URLs", "name: a\ntargets: {urls: ['http://127.0.0.1:99999/', 'http://h/%zz?token=abc', 'http://h:0/', 'ftp://h/?api_key=k']}\n", []string{
			`2: targets.urls[0]: "http://127.0.0.1:99999/": invalid port "99999" (want 1-65535)`,
			`2: targets.urls[1]: "http://h/%zz?token=xxxxx" is not a URL: invalid percent-encoding`,
			`2: targets.urls[2]: "http://h:0/": invalid port "0"`,
			`2: targets.urls[3]: "ftp://h/?api_key=xxxxx": want an http or https URL`}},
		{"inline secret", "name: a\ntargets: {urls: [http://h/]}\nauth:\n  bearer: s3cret\n", []string{
			"4: auth.bearer: a secret may not be written in the job file"}},
		{"secret in header", "name: a\ntargets: {urls: [http://h/]}\nheaders: {Authorization: Basic eA==}\n", []string{
			"3: headers.Authorization: secrets do not go in the job file"}},
		{"proxy credentials", "name: a\ntargets: {urls: [http://h/]}\nproxy: {url: 'http://u:p@proxy:3128'}\n", []string{
			"3: proxy.url: credentials do not go in the job file"}},
		{"sizes and durations", "name: a\ntargets: {urls: [http://h/]}\nlimits: {max_file_bytes: 3 parsecs}\ntimeouts: {request: -1s}\n", []string{
			`3: "3 parsecs": unknown unit`, `4: timeouts.request: "-1s" is not a duration`}},
		{"download without extraction", "name: a\ntargets: {urls: [http://h/]}\ndownload: {naming: guess, kinds: [videos]}\n", []string{
			"3: download: nothing to download", `3: download.naming: "guess"`, `3: download.kinds[0]: "videos"`}},
		{"fields", "name: a\ntargets: {urls: [http://h/]}\nextract:\n  fields:\n    title: 'h1[class'\n", []string{
			"5: extract.fields.title.selector: "}},
		{"crawl", "name: a\ntargets:\n  crawl: {seeds: [http://h/], scope: world}\n", []string{
			`3: targets.crawl.scope: "world"`}},
		// In a flow mapping, each problem names its own key.
		{"flow mapping", "name: a\ntargets: {urls: [http://h/]}\nlimits: {max_items: abc, max_file_bytes: 20XB, concurrency: 2}\ntimeouts: {request: 1m, run: 1d}\n", []string{
			"3: limits.max_items: `abc` is not a whole number", `3: limits.max_file_bytes: "20XB": unknown unit`, `4: timeouts.run: "1d" is not a duration`}},
		{"same values", "name: a\ntargets: {urls: [http://h/]}\nlimits: {concurrency: 5, max_items: \"5\"}\ntimeouts: {request: 1d, run: 1d}\n", []string{
			"3: limits.max_items: `5` is not a whole number", `4: timeouts.request: "1d" is not a duration`, `4: timeouts.run: "1d" is not a duration`}},
		{"values cut alike", "name: a\ntargets: {urls: [http://h/]}\nlimits: {max_items: abcdefghijklm, concurrency: abcdefghXYZ}\n", []string{
			"3: limits.max_items: `abcdefg...` is not a whole number", "3: limits.concurrency: `abcdefg...` is not a whole number"}},
		{"fractions", "name: a\ntargets: {urls: [http://h/]}\nlimits: {max_items: 1.5}\nretries: 2.7\n", []string{
			"3: limits.max_items: `1.5` is not a whole number", "4: retries: `2.7` is not a whole number"}},
		{"control characters in field values", "name: a\ntargets: {urls: [http://h/]}\nuser_agent: \"a\\r\\nX-Evil: 1\"\nheaders: {X-A: \"b\\x01\"}\n", []string{
			"3: user_agent: a header value may not hold control characters", "4: headers.X-A: a header value may not hold control characters"}},
		{"headers differing in case", "name: a\ntargets: {urls: [http://h/]}\nheaders: {X-A: one, x-a: two}\n", []string{
			"3: headers.x-a: duplicate key (first at line 3; field names ignore case)"}},
		{"a mapping for a list", "name: a\ntargets: {crawl: {seeds: {a: http://h/}}}\nextract: {images: true}\ndownload: {kinds: {images: 1}}\n", []string{
			"2: targets.crawl.seeds: want a list", "4: download.kinds: want a list"}},
		{"secrets masked", "name: a\ntargets: {urls: ['http://h/?token=SEKRIT', 'http://h/?token=SEKRIT']}\nproxy: {url: 'http://u:SEKRIT@h:x'}\n", []string{
			"2: is also targets.urls[0]", "3: invalid port"}},
		{"proxy URLs a run refuses", "name: a\ntargets: {urls: [http://h/]}\nproxy: {url: 'http://127.0.0.1:3128/path'}\n", []string{
			"3: proxy.url: proxy URL \"http://127.0.0.1:3128/path\": a proxy URL has no path, query or fragment"}},
		{"proxy port 0", "name: a\ntargets: {urls: [http://h/]}\nproxy: {url: 'http://127.0.0.1:0'}\n", []string{`3: proxy.url: proxy URL "http://127.0.0.1:0": invalid port "0"`}},
		{"proxy scheme", "name: a\ntargets: {urls: [http://h/]}\nproxy: {url: 'ftp://127.0.0.1:21'}\n", []string{`3: proxy.url: proxy URL "ftp://127.0.0.1:21": unsupported scheme "ftp"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j, err := jobs.Parse([]byte(tt.file), "job.yaml")
			if err != nil && strings.Contains(err.Error(), "SEKRIT") {
				t.Errorf("a secret in the problems: %v", err)
			}
			var ve *jobs.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Parse = %v, %v; want a *ValidationError", j, err)
			}
			got := make([]string, len(ve.Problems))
			for i, p := range ve.Problems {
				got[i] = p.String()
			}
			for _, w := range tt.want {
				line, sub, _ := strings.Cut(w, ": ")
				found := false
				for _, p := range ve.Problems {
					if strings.TrimPrefix(p.String(), "line "+line+": ") != p.String() || line == "0" && p.Line == 0 {
						if strings.Contains(p.String(), sub) {
							found = true
						}
					}
				}
				if !found {
					t.Errorf("no problem at line %s containing %q; got:\n  %s", line, sub, strings.Join(got, "\n  "))
				}
			}
			if len(ve.Problems) > len(tt.want) {
				t.Errorf("%d problems, want %d:\n  %s", len(ve.Problems), len(tt.want), strings.Join(got, "\n  "))
			}
			if !strings.HasPrefix(err.Error(), "job.yaml: ") {
				t.Errorf("Error() = %q, want it to start with the file name", err)
			}
		})
	}
}

func TestExampleJobFiles(t *testing.T) {
	files, err := filepath.Glob("../examples/jobs/*.yaml")
	if err != nil || len(files) < 3 {
		t.Fatalf("example job files: %v, %v", files, err)
	}
	for _, f := range files {
		j, err := jobs.Load(f)
		if err != nil {
			t.Errorf("Load(%s): %v", f, err)
			continue
		}
		if j.Schedule == "" || j.Next(j.Next(timeZero())).IsZero() {
			t.Errorf("%s: schedule %q gives no next time", f, j.Schedule)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := jobs.Load(filepath.Join(dir, "missing.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want ErrNotExist", err)
	}
	big := filepath.Join(dir, "big.yaml")
	os.WriteFile(big, make([]byte, jobs.MaxFileBytes+1), 0o644)
	if _, err := jobs.Load(big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("Load(big) = %v, want a size error", err)
	}
}

func TestNames(t *testing.T) {
	long := strings.Repeat("a", 64)
	for name, ok := range map[string]bool{
		"a": true, "9.b_c-d": true, long: true, "Job-1": true,
		"-a": false, ".a": false, long + "a": false, "a b": false, "a/b": false, "é": false, "a\x00": false,
	} {
		file := fmt.Sprintf("name: %q\ntargets: {urls: [http://h/]}\nextract:\n  fields:\n    %q: h1\n", name, name)
		_, err := jobs.Parse([]byte(file), "job.yaml")
		var ve *jobs.ValidationError
		if errors.As(err, &ve) != !ok {
			t.Errorf("name %q: Parse = %v; want valid %v", name, err, ok)
			continue
		}
		if !ok && len(ve.Problems) != 2 {
			t.Errorf("name %q: %d problems, want one for the job's name and one for the field's: %v", name, len(ve.Problems), err)
		}
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want jobs.Size
		ok   bool
	}{
		{"100", 100, true}, {"100B", 100, true}, {"8MiB", 8 << 20, true}, {"8 mb", 8e6, true},
		{"1GiB", 1 << 30, true}, {"2k", 2048, true}, {"", 0, false}, {"-1", 0, false},
		{"1.5MiB", 0, false}, {"9999999999999GiB", 0, false}, {"3 parsecs", 0, false},
		{" 8 \tKiB\n", 8 << 10, true}, {"MiB", 0, false}, {"8 Mi B", 0, false}, {"8MiB2", 0, false},
		{"8é", 0, false}, {"0", 0, true}, {"+8", 0, false},
	}
	for _, tt := range tests {
		got, err := jobs.ParseSize(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("../examples/jobs/*.yaml")
	for _, p := range files {
		data, _ := os.ReadFile(p)
		f.Add(data)
	}
	f.Add([]byte("name: a\ntargets: {urls: [http://h/]}\nauth: {basic: {user: u, password: x}}\n"))
	f.Add([]byte("&a [*a]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		j, err := jobs.Parse(data, "fuzz.yaml")
		if err == nil {
			if j.Name == "" || len(j.Targets.URLs) == 0 && j.Targets.Crawl == nil {
				t.Fatalf("Parse accepted a job without a name or targets: %q", data)
			}
			return
		}
		var ve *jobs.ValidationError
		if errors.As(err, &ve) && len(ve.Problems) == 0 {
			t.Fatalf("a ValidationError without problems for %q", data)
		}
	})
}

func timeZero() (t time.Time) { return time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC) }
