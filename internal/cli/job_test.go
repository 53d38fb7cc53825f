package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/grabhq/grab/testserver"
)

// exampleJob copies an example job file into a temporary directory with
// its URLs pointing at base, and returns its path.
func exampleJob(t *testing.T, name, base string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "examples", "jobs", name))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), name)
	text := strings.ReplaceAll(string(data), "http://127.0.0.1:8888", base)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func runJob(t *testing.T, ctx context.Context, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr syncBuffer
	code := Run(ctx, args, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestJobValidate(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("name: x\nschedul: '@daily'\ntargets:\n  urls: [ftp://h/]\nauth: {bearer: \"tok\\e[31m\"}\n"), 0o644)
	examples, _ := filepath.Glob("../../examples/jobs/*.yaml")
	tests := []runTest{
		{name: "examples", args: append([]string{"job", "validate"}, examples...), code: ExitOK,
			stdout: contains("gallery.yaml: ok (job gallery)", "site-links.yaml: ok", "private.yaml: ok"), stderr: empty},
		{name: "problems", args: []string{"job", "validate", bad}, code: ExitFailure, stdout: empty,
			stderr: all(contains(bad+`:2: schedul: unknown key "schedul"; did you mean "schedule"?`,
				bad+`:4: targets.urls[0]: "ftp://h/": want an http or https URL`,
				bad+`:5: auth.bearer: a secret may not be written in the job file`), lacks("\x1b"))},
		{name: "missing file", args: []string{"job", "validate", filepath.Join(dir, "none.yaml")}, code: ExitFailure,
			stdout: empty, stderr: contains("grab: open ", "no such file")},
		{name: "no file", args: []string{"job", "validate"}, code: ExitUsage, stdout: empty, stderr: contains("requires at least 1 arg")},
		{name: "run invalid", args: []string{"job", "run", bad}, code: ExitUsage, stdout: empty,
			stderr: equals("grab: invalid job file:\n  " + bad + `:2: schedul: unknown key "schedul"; did you mean "schedule"?` + "\n  " +
				bad + `:4: targets.urls[0]: "ftp://h/": want an http or https URL` + "\n  " +
				bad + ":5: auth.bearer: a secret may not be written in the job file: use {env: NAME} or {file: PATH}\ngrab: run 'grab job run --help' for usage\n")},
		{name: "status invalid", args: []string{"job", "status", bad}, code: ExitUsage, stdout: empty,
			stderr: all(hasPrefix("grab: invalid job file:\n  "+bad+":2: "), lacks(`\n`, "\x1b"))},
		{name: "unknown subcommand", args: []string{"job", "start"}, code: ExitUsage, stdout: empty, stderr: contains(`unknown command "start"`)},
		{name: "negative grace", args: []string{"job", "schedule", "--grace", "-1s", examples[0]}, code: ExitUsage, stdout: empty, stderr: contains("--grace -1s: want 0")},
		{name: "negative jitter", args: []string{"job", "schedule", "--jitter", "-5s", examples[0]}, code: ExitUsage, stdout: empty, stderr: contains("--jitter -5s: want 0 or more")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runJob(t, t.Context(), tt.args...)
			tt.verify(t, code, stdout, stderr)
		})
	}
}

// TestJobRunGallery runs the shipped gallery job against the test server
// twice, then shows its status.
func TestJobRunGallery(t *testing.T) {
	srv := httptest.NewServer(testserver.New())
	t.Cleanup(srv.Close)
	path := exampleJob(t, "gallery.yaml", srv.URL)

	code, stdout, stderr := runJob(t, t.Context(), "job", "run", path)
	runTest{name: "first", code: ExitOK, stdout: empty,
		stderr: matches(`^grab: gallery run-000001 ok: (\d+) new, 0 changed, 0 unchanged, 0 gone, 0 failed \(report .*run-000001.jsonl\)\n$`)}.verify(t, code, stdout, stderr)

	code, stdout, stderr = runJob(t, t.Context(), "job", "run", "--print", path)
	runTest{name: "second", code: ExitOK,
		stdout: all(contains(`{"type":"item","run":"run-000002","kind":"image"`, `"status":"unchanged"`), lastLine(`{"type":"summary","run":"run-000002"`)),
		stderr: contains("run-000002 ok: 0 new, 0 changed, ")}.verify(t, code, stdout, stderr)
	files, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "gallery-files", "*", "img", "*", "*"))
	if len(files) == 0 {
		t.Errorf("no image downloaded under gallery-files")
	}

	code, stdout, stderr = runJob(t, t.Context(), "job", "status", path)
	runTest{name: "status", code: ExitOK,
		stdout: contains("job gallery\n", "schedule: 0 6 * * *; next run ", "run-000002  ", "run-000001  ", " ok "), stderr: empty}.verify(t, code, stdout, stderr)

	code, stdout, stderr = runJob(t, t.Context(), "job", "status", "--json", "-n", "1", path)
	var st struct {
		Job  string `json:"job"`
		Next string `json:"next"`
		Runs []struct {
			Seq    int    `json:"seq"`
			Status string `json:"status"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(stdout), &st); err != nil || code != ExitOK || st.Job != "gallery" || len(st.Runs) != 1 || st.Runs[0].Seq != 2 || st.Next == "" {
		t.Errorf("status --json = %d %q (%v), stderr %q; want gallery's last run", code, stdout, err, stderr)
	}

	// Output that cannot be written fails the command, as a full disk.
	for _, args := range [][]string{{"job", "status", path}, {"job", "status", "--json", path}, {"job", "validate", path}} {
		var errOut bytes.Buffer
		code := Run(t.Context(), args, strings.NewReader(""), &fullWriter{}, &errOut)
		if code != ExitFailure || !strings.Contains(errOut.String(), "grab: writing output: no space left on device") {
			t.Errorf("%q to a full disk: exit %d, stderr %q; want 1 and the write's error", args, code, errOut.String())
		}
	}
}

func TestJobRunOutcomes(t *testing.T) {
	c := new(testserver.Changing)
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	c.Set("/a.html", "text/html", []byte("<a href=/x>x</a>"), testserver.ETag)
	c.Set("/b.html", "text/html", []byte("b"), testserver.ETag)
	dir := t.TempDir()
	path := filepath.Join(dir, "job.yaml")
	os.WriteFile(path, []byte(fmt.Sprintf("name: outcomes\ntargets: {urls: [%[1]s/a.html, \"%[1]s/b.html?access_token=S3CRET\"]}\nextract: {links: true}\nretries: 0\n", srv.URL)), 0o644)

	code, stdout, stderr := runJob(t, t.Context(), "job", "run", "-q", path)
	runTest{name: "quiet ok", code: ExitOK, stdout: empty, stderr: empty}.verify(t, code, stdout, stderr)

	c.Fail("/b.html", 500)
	code, stdout, stderr = runJob(t, t.Context(), "job", "run", path)
	runTest{name: "partial", code: ExitPartial, stdout: empty,
		stderr: contains("run-000002 partial: 0 new, 0 changed, 2 unchanged, 0 gone, 1 failed", "grab: partial run: 1 items failed; first: "+srv.URL+"/b.html?access_token=xxxxx: HTTP 500")}.verify(t, code, stdout, stderr)

	c.Fail("/a.html", 503)
	code, stdout, stderr = runJob(t, t.Context(), "job", "run", path)
	runTest{name: "failed", code: ExitFailure, stdout: empty, stderr: contains("run-000003 failed: ", "HTTP 503")}.verify(t, code, stdout, stderr)

	// A run held at a gate: a second one is refused (75), then the first
	// is interrupted (130) and the next run resumes it.
	c.Set("/a.html", "text/html", []byte("a"), testserver.ETag)
	c.Set("/b.html", "text/html", []byte("b"), testserver.ETag)
	gate := c.Block("/b.html")
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan [3]string, 1)
	go func() {
		code, stdout, stderr := runJob(t, ctx, "job", "run", path)
		done <- [3]string{fmt.Sprint(code), stdout, stderr}
	}()
	select {
	case <-gate.Arrived():
	case <-time.After(20 * time.Second):
		t.Fatal("the run never reached the gate")
	}
	code, stdout, stderr = runJob(t, t.Context(), "job", "run", path)
	runTest{name: "locked", code: ExitLocked, stdout: empty, stderr: contains("grab: job outcomes is already running")}.verify(t, code, stdout, stderr)
	code, stdout, stderr = runJob(t, t.Context(), "job", "status", path)
	runTest{name: "status while running", code: ExitOK, stdout: contains("running now"), stderr: empty}.verify(t, code, stdout, stderr)
	cancel()
	r := <-done
	runTest{name: "interrupted", code: ExitInterrupted, stdout: empty,
		stderr: contains("run-000004 interrupted after ", "the next run resumes it", "grab: interrupted")}.verify(t, atoi(r[0]), r[1], r[2])
	gate.Release()
	code, stdout, stderr = runJob(t, t.Context(), "job", "run", path)
	runTest{name: "resumed", code: ExitOK, stdout: empty, stderr: contains("run-000004 ok: ")}.verify(t, code, stdout, stderr)

	// timeouts.run interrupts a run as a signal does (130), and says so.
	gate = c.Block("/b.html")
	defer gate.Release()
	slow := filepath.Join(t.TempDir(), "slow.yaml")
	os.WriteFile(slow, []byte(fmt.Sprintf("name: slow\ntargets: {urls: [%s/b.html]}\ntimeouts: {run: 300ms}\n", srv.URL)), 0o644)
	code, stdout, stderr = runJob(t, t.Context(), "job", "run", slow)
	runTest{name: "timeouts.run", code: ExitInterrupted, stdout: empty,
		stderr: contains("run-000001 interrupted after ", "grab: jobs: slow reached timeouts.run (300ms)")}.verify(t, code, stdout, stderr)
}

func TestJobSchedule(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "job.yaml")
	os.WriteFile(path, []byte("name: sched\nschedule: '0 6 * * *'\ntimezone: UTC\ntargets: {urls: [http://127.0.0.1:1/]}\n"), 0o644)
	noSched := filepath.Join(dir, "nosched.yaml")
	os.WriteFile(noSched, []byte("name: nosched\ntargets: {urls: [http://127.0.0.1:1/]}\n"), 0o644)
	tests := []runTest{
		{name: "no schedule", args: []string{"job", "schedule", noSched}, code: ExitUsage, stdout: empty, stderr: contains("job nosched has no schedule")},
		{name: "bad catch-up", args: []string{"job", "schedule", "--catch-up", "twice", path}, code: ExitUsage, stdout: empty, stderr: contains(`catch-up policy "twice"`)},
		{name: "bad log format", args: []string{"job", "schedule", "--log-format", "xml", path}, code: ExitUsage, stdout: empty, stderr: contains(`--log-format "xml"`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runJob(t, t.Context(), tt.args...)
			tt.verify(t, code, stdout, stderr)
		})
	}
	t.Run("runs until stopped", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		var stdout, stderr syncBuffer
		done := make(chan int, 1)
		go func() {
			done <- Run(ctx, []string{"job", "schedule", "--log-format", "json", "--grace", "1s", path}, strings.NewReader(""), &stdout, &stderr)
		}()
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(stderr.String(), `"msg":"scheduled"`) {
			if time.Now().After(deadline) {
				t.Fatalf("no scheduled log line; stderr %q", stderr.String())
			}
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
		select {
		case code := <-done:
			if code != ExitInterrupted {
				t.Errorf("exit %d, want %d", code, ExitInterrupted)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("schedule did not stop")
		}
		var line struct {
			Msg, Job, Next string
		}
		first, _, _ := strings.Cut(stderr.String(), "\n")
		if err := json.Unmarshal([]byte(first), &line); err != nil || line.Job != "sched" || !strings.HasSuffix(line.Next, "T06:00:00Z") {
			t.Errorf("first log line %q (%v), want JSON naming the job and its next 06:00 UTC run", first, err)
		}
		if stdout.String() != "" {
			t.Errorf("stdout %q, want nothing", stdout.String())
		}
	})
}

func lastLine(prefix string) check {
	return func(got string) string {
		lines := strings.Split(strings.TrimSpace(got), "\n")
		if !strings.HasPrefix(lines[len(lines)-1], prefix) {
			return fmt.Sprintf("last line %q, want prefix %q", lines[len(lines)-1], prefix)
		}
		return ""
	}
}

func atoi(s string) int {
	var n int
	fmt.Sscan(s, &n)
	return n
}
