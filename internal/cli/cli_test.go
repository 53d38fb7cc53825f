package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// The tests choose their proxies: none from the environment, and no
	// NO_PROXY that would send -x's loopback targets direct.
	for _, v := range []string{"http_proxy", "https_proxy", "all_proxy", "no_proxy"} {
		os.Unsetenv(v)
		os.Unsetenv(strings.ToUpper(v))
	}
	goleak.VerifyTestMain(m)
}

// check inspects one output stream and describes what is wrong with it,
// or returns "".
type check func(got string) string

func empty(got string) string {
	if got != "" {
		return fmt.Sprintf("got %q, want nothing", got)
	}
	return ""
}

func equals(want string) check {
	return func(got string) string {
		if got != want {
			return fmt.Sprintf("got %q, want %q", got, want)
		}
		return ""
	}
}

func contains(wants ...string) check {
	return func(got string) string {
		for _, w := range wants {
			if !strings.Contains(got, w) {
				return fmt.Sprintf("got %q, want it to contain %q", got, w)
			}
		}
		return ""
	}
}

func hasPrefix(prefix string, more ...string) check {
	return func(got string) string {
		if !strings.HasPrefix(got, prefix) {
			return fmt.Sprintf("got %q, want prefix %q", got, prefix)
		}
		return contains(more...)(got)
	}
}

type runTest struct {
	name   string
	args   []string
	code   int
	stdout check
	stderr check
}

// verify checks the outcome of one run against tt.
func (tt runTest) verify(t *testing.T, code int, stdout, stderr string) {
	t.Helper()
	if code != tt.code {
		t.Errorf("Run(%q) = %d, want %d; stderr:\n%s", tt.args, code, tt.code, stderr)
	}
	if msg := tt.stdout(stdout); msg != "" {
		t.Errorf("Run(%q) stdout: %s", tt.args, msg)
	}
	if msg := tt.stderr(stderr); msg != "" {
		t.Errorf("Run(%q) stderr: %s", tt.args, msg)
	}
}

func TestRun(t *testing.T) {
	rootHelp := contains("Usage:\n  grab", "Available Commands:", "completion", "version",
		"Exit status:", "0    success", "1    failure", "2    usage error", "130  interrupted")
	versionOut := equals(versionLine() + "\n")

	tests := []runTest{
		{"no args", nil, ExitOK, rootHelp, empty},
		{"empty args", []string{}, ExitOK, rootHelp, empty},
		{"--help", []string{"--help"}, ExitOK, rootHelp, empty},
		{"-h", []string{"-h"}, ExitOK, rootHelp, empty},
		{"help", []string{"help"}, ExitOK, rootHelp, empty},
		{"help version", []string{"help", "version"}, ExitOK, contains("Usage:\n  grab version"), empty},
		{"version -h", []string{"version", "-h"}, ExitOK, contains("Usage:\n  grab version"), empty},
		{"help completion", []string{"help", "completion"}, ExitOK,
			contains("source <(grab completion bash)", "grab completion fish | source"), empty},
		{"version", []string{"version"}, ExitOK, versionOut, empty},
		{"--version", []string{"--version"}, ExitOK, versionOut, empty},
		{"completion bash", []string{"completion", "bash"}, ExitOK, contains("grab", "bash completion"), empty},
		{"completion zsh", []string{"completion", "zsh"}, ExitOK, contains("#compdef grab"), empty},
		{"completion fish", []string{"completion", "fish"}, ExitOK, contains("complete -c grab"), empty},
		{"completion bad shell", []string{"completion", "tcsh"}, ExitUsage, empty,
			equals("grab: unsupported shell \"tcsh\" (want bash, zsh or fish)\n" +
				"grab: run 'grab completion --help' for usage\n")},
		{"completion no shell", []string{"completion"}, ExitUsage, empty,
			hasPrefix("grab: completion takes one shell", "grab: run 'grab completion --help' for usage\n")},
		{"completion two shells", []string{"completion", "bash", "zsh"}, ExitUsage, empty,
			hasPrefix("grab: completion takes one shell")},
		{"unknown command", []string{"bogus"}, ExitUsage, empty,
			equals("grab: unknown command \"bogus\" for \"grab\"\ngrab: run 'grab --help' for usage\n")},
		{"unknown command suggestion", []string{"verison"}, ExitUsage, empty,
			hasPrefix("grab: unknown command \"verison\" for \"grab\"; did you mean \"version\"?\n")},
		{"a number flag's error without strconv", []string{"download", "-j", "abc", "http://127.0.0.1:1/"}, ExitUsage, empty,
			hasPrefix(`grab: invalid argument "abc" for "-j, --jobs" flag: not a whole number` + "\n")},
		{"a number flag out of range", []string{"download", "-j", "99999999999999999999", "http://127.0.0.1:1/"}, ExitUsage, empty,
			hasPrefix(`grab: invalid argument "99999999999999999999" for "-j, --jobs" flag: out of range` + "\n")},
		{"a bad duration", []string{"crawl", "--delay", "soon", "http://127.0.0.1:1/"}, ExitUsage, empty,
			hasPrefix(`grab: invalid argument "soon" for "--delay" flag: want a duration such as 2.5 (seconds) or 1m30s` + "\n")},
		{"durations in seconds", []string{"crawl", "--delay", "1.5", "--jitter", "0.5", "--help"}, ExitOK, contains("Usage:"), empty},
		{"raw --timeout below 0", []string{"raw", "--timeout", "-1s", "127.0.0.1:1"}, ExitUsage, empty,
			hasPrefix("grab: --timeout and --delay-body want a duration of 0 or more\n")},
		{"serve's proxy address said once", []string{"serve", "--proxy-addr", "bogus"}, ExitFailure, empty,
			equals("grab: serve: --proxy-addr: testserver: invalid address \"bogus\": address bogus: missing port in address\n")},
		{"unknown flag", []string{"--bogus"}, ExitUsage, empty,
			equals("grab: unknown flag: --bogus\ngrab: run 'grab --help' for usage\n")},
		{"unknown shorthand", []string{"-x"}, ExitUsage, empty, hasPrefix("grab: unknown shorthand flag")},
		{"no -v for version", []string{"-v"}, ExitUsage, empty, hasPrefix("grab: unknown shorthand flag")},
		{"subcommand unknown flag", []string{"version", "--bogus"}, ExitUsage, empty,
			equals("grab: unknown flag: --bogus\ngrab: run 'grab version --help' for usage\n")},
		{"too many args", []string{"version", "extra"}, ExitUsage, empty,
			hasPrefix("grab: ", "grab: run 'grab version --help' for usage\n")},
		{"help unknown topic", []string{"help", "bogus"}, ExitUsage, empty,
			hasPrefix("grab: unknown help topic \"bogus\"\n")},
		{"dynamic completion", []string{"__complete", "comp"}, ExitOK, contains("completion"), contains("Completion ended")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Run(t.Context(), tt.args, strings.NewReader(""), &stdout, &stderr)
			tt.verify(t, code, stdout.String(), stderr.String())
		})
	}
}

// testCommands returns hidden commands exercising the outcomes a command
// can have. cancel, if not nil, is called by "interrupt" to simulate a
// signal arriving while it runs.
func testCommands(e *env, cancel context.CancelFunc) []*cobra.Command {
	group := &cobra.Command{Use: "group", Short: "A group of commands"}
	group.AddCommand(&cobra.Command{Use: "child", RunE: func(*cobra.Command, []string) error { return nil }})

	required := &cobra.Command{Use: "required", RunE: func(*cobra.Command, []string) error { return nil }}
	required.Flags().String("name", "", "a required flag")
	if err := required.MarkFlagRequired("name"); err != nil {
		panic(err)
	}

	cmds := []*cobra.Command{
		{Use: "ok", RunE: func(*cobra.Command, []string) error { return nil }},
		{Use: "fail", RunE: func(*cobra.Command, []string) error { return errors.New("boom") }},
		{Use: "silent", RunE: func(*cobra.Command, []string) error {
			e.errorf("item %d: %s", 1, "bad")
			return fmt.Errorf("items: %w", errSilentFailure)
		}},
		{Use: "usage", RunE: func(*cobra.Command, []string) error { return usageErrorf("bad value %q", "x") }},
		{Use: "one", Args: cobra.ExactArgs(1), RunE: func(*cobra.Command, []string) error { return nil }},
		{Use: "interrupt", RunE: func(cmd *cobra.Command, _ []string) error {
			if cancel != nil {
				cancel()
			}
			<-cmd.Context().Done()
			return cmd.Context().Err()
		}},
		{Use: "echo", RunE: func(_ *cobra.Command, args []string) error {
			for in, err := range inputs(args, e.stdin) {
				if err != nil {
					return err
				}
				fmt.Fprintln(e.stdout, in)
			}
			return nil
		}},
		group,
		required,
	}
	for _, c := range cmds {
		c.Hidden = true
	}
	return cmds
}

func TestRunOutcomes(t *testing.T) {
	tests := []runTest{
		{"ok", []string{"ok"}, ExitOK, empty, empty},
		{"error", []string{"fail"}, ExitFailure, empty, equals("grab: boom\n")},
		{"silent failure", []string{"silent"}, ExitFailure, empty, equals("grab: item 1: bad\n")},
		{"usage error", []string{"usage"}, ExitUsage, empty,
			equals("grab: bad value \"x\"\ngrab: run 'grab usage --help' for usage\n")},
		{"wrong arg count", []string{"one", "a", "b"}, ExitUsage, empty,
			equals("grab: accepts 1 arg(s), received 2\ngrab: run 'grab one --help' for usage\n")},
		{"missing required flag", []string{"required"}, ExitUsage, empty,
			hasPrefix("grab: required flag(s) \"name\" not set\n")},
		{"required flag given", []string{"required", "--name", "x"}, ExitOK, empty, empty},
		{"group alone", []string{"group"}, ExitOK, contains("Usage:", "grab group [command]", "child"), empty},
		{"group child", []string{"group", "child"}, ExitOK, empty, empty},
		{"group unknown", []string{"group", "chlid"}, ExitUsage, empty,
			equals("grab: unknown command \"chlid\" for \"grab group\"; did you mean \"child\"?\n" +
				"grab: run 'grab group --help' for usage\n")},
		{"help group child", []string{"help", "group", "child"}, ExitOK, contains("grab group child"), empty},
		{"inputs from args", []string{"echo", "a", "b"}, ExitOK, equals("a\nb\n"), empty},
		{"inputs from stdin", []string{"echo"}, ExitOK, equals("x\n\ny\n"), empty},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			e := &env{stdin: strings.NewReader("x\r\n\ny\n"), stdout: &stdout, stderr: &stderr}
			root := newRoot(e)
			root.AddCommand(testCommands(e, nil)...)
			code := e.execute(t.Context(), root, tt.args)
			tt.verify(t, code, stdout.String(), stderr.String())
		})
	}
}

func TestRunInterrupted(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		preCancel bool
	}{
		{"while running", []string{"interrupt"}, false},
		{"before running", []string{"interrupt"}, true},
		{"command succeeded", []string{"ok"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			if tt.preCancel {
				cancel()
			}
			var stdout, stderr bytes.Buffer
			e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr}
			root := newRoot(e)
			root.AddCommand(testCommands(e, cancel)...)
			code := e.execute(ctx, root, tt.args)
			runTest{args: tt.args, code: ExitInterrupted, stdout: empty, stderr: equals("grab: interrupted\n")}.
				verify(t, code, stdout.String(), stderr.String())
		})
	}
}

// TestRunStreams checks that Run uses only the streams it is given and
// never the process's own.
func TestRunStreams(t *testing.T) {
	dir := t.TempDir()
	open := func(name string) *os.File {
		t.Helper()
		f, err := os.Create(dir + "/" + name)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	oldIn, oldOut, oldErr := os.Stdin, os.Stdout, os.Stderr
	restore := func() { os.Stdin, os.Stdout, os.Stderr = oldIn, oldOut, oldErr }
	t.Cleanup(restore)
	os.Stdin, os.Stdout, os.Stderr = open("stdin"), open("stdout"), open("stderr")
	for _, args := range [][]string{nil, {"--help"}, {"version"}, {"--version"}, {"bogus"}, {"--bogus"},
		{"help", "bogus"}, {"completion", "bash"}, {"completion", "tcsh"}, {"__complete", ""}} {
		var stdout, stderr bytes.Buffer
		Run(t.Context(), args, strings.NewReader(""), &stdout, &stderr)
		if stdout.Len()+stderr.Len() == 0 {
			t.Errorf("Run(%q) wrote nothing to the given streams", args)
		}
	}
	restore()
	for _, name := range []string{"stdout", "stderr"} {
		if b, err := os.ReadFile(dir + "/" + name); err != nil || len(b) > 0 {
			t.Errorf("process %s got %q (error %v), want nothing", name, b, err)
		}
	}
}

func TestInputs(t *testing.T) {
	long := strings.Repeat("a", maxInputLine)
	tests := []struct {
		name    string
		args    []string
		stdin   io.Reader
		want    []string
		wantErr string
	}{
		{name: "args win over stdin", args: []string{"a", "b"}, stdin: strings.NewReader("x\ny\n"), want: []string{"a", "b"}},
		{name: "empty arg kept", args: []string{""}, stdin: strings.NewReader("x\n"), want: []string{""}},
		{name: "stdin lines", stdin: strings.NewReader("x\ny\n"), want: []string{"x", "y"}},
		{name: "no final newline", stdin: strings.NewReader("x\ny"), want: []string{"x", "y"}},
		{name: "CRLF", stdin: strings.NewReader("x\r\ny\r\n"), want: []string{"x", "y"}},
		{name: "empty lines kept", stdin: strings.NewReader("\n\r\nx\n\n\ny\n\n"), want: []string{"", "", "x", "", "", "y", ""}},
		{name: "spaces kept", stdin: strings.NewReader(" x y \n"), want: []string{" x y "}},
		{name: "empty stdin", stdin: strings.NewReader(""), want: nil},
		{name: "nil stdin", stdin: nil, want: nil},
		{name: "longest line", stdin: strings.NewReader(long + "\r\n" + long), want: []string{long, long}},
		{name: "line one byte too long", stdin: strings.NewReader("x\n\n" + long + "a\ny\n"), want: []string{"x", ""},
			wantErr: "stdin line 3 longer than 1048576 bytes"},
		{name: "line much too long", stdin: strings.NewReader(strings.Repeat(long, 3)), wantErr: "stdin line 1 longer than 1048576 bytes"},
		{name: "read error", stdin: io.MultiReader(strings.NewReader("x\n"), iotest.ErrReader(errors.New("disk on fire"))),
			want: []string{"x"}, wantErr: "reading stdin: disk on fire"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			var gotErr error
			for in, err := range inputs(tt.args, tt.stdin) {
				if err != nil {
					gotErr = err
					break
				}
				got = append(got, in)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("inputs(%q, stdin) = %.40q, want %.40q", tt.args, got, tt.want)
			}
			switch {
			case tt.wantErr == "" && gotErr != nil:
				t.Errorf("inputs(%q, stdin) error = %v, want none", tt.args, gotErr)
			case tt.wantErr != "" && (gotErr == nil || gotErr.Error() != tt.wantErr):
				t.Errorf("inputs(%q, stdin) error = %v, want %q", tt.args, gotErr, tt.wantErr)
			}
		})
	}
}

func TestInputsBreak(t *testing.T) {
	for _, args := range [][]string{{"a", "b"}, nil} {
		n := 0
		for range inputs(args, strings.NewReader("x\ny\n")) {
			n++
			break
		}
		if n != 1 {
			t.Errorf("inputs(%q, stdin) ran the loop body %d times after break, want 1", args, n)
		}
	}
}

func TestFormatVersion(t *testing.T) {
	suffix := fmt.Sprintf(", %s, %s/%s)", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	vcs := func(rev, modified string) *debug.BuildInfo {
		return &debug.BuildInfo{
			Main: debug.Module{Path: "github.com/grabhq/grab", Version: "(devel)"},
			Settings: []debug.BuildSetting{
				{Key: "vcs", Value: "git"},
				{Key: "vcs.revision", Value: rev},
				{Key: "vcs.modified", Value: modified},
			},
		}
	}
	tests := []struct {
		name            string
		version, commit string
		bi              *debug.BuildInfo
		want            string
	}{
		{"nothing known", "dev", "", nil, "grab dev (commit unknown"},
		{"devel build", "dev", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "grab dev (commit unknown"},
		{"go install at version", "dev", "", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}, "grab v1.2.3 (commit unknown"},
		{"vcs revision", "dev", "", vcs("abc123", "false"), "grab dev (commit abc123"},
		{"vcs dirty", "dev", "", vcs("abc123", "true"), "grab dev (commit abc123-dirty"},
		{"ldflags win", "v2.0.0", "def456", vcs("abc123", "true"), "grab v2.0.0 (commit def456"},
		{"ldflags version only", "v2.0.0", "", vcs("abc123", "false"), "grab v2.0.0 (commit abc123"},
		{"empty version", "", "", nil, "grab dev (commit unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := formatVersion(tt.version, tt.commit, tt.bi); got != tt.want+suffix {
				t.Errorf("formatVersion(%q, %q, bi) = %q, want %q", tt.version, tt.commit, got, tt.want+suffix)
			}
		})
	}
}

// stdinTest is a runTest with what the command reads on stdin.
type stdinTest struct {
	runTest
	stdin string
}

func runStdinTests(t *testing.T, tests []stdinTest) { runBoundedTests(t, tests, 0) }

// runBoundedTests runs tests that must also end within bound (a timeout
// under test must fire, not hang); 0 means no bound.
func runBoundedTests(t *testing.T, tests []stdinTest, bound time.Duration) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr syncBuffer
			start := time.Now()
			code := Run(t.Context(), tt.args, strings.NewReader(tt.stdin), &stdout, &stderr)
			tt.verify(t, code, stdout.String(), stderr.String())
			if d := time.Since(start); bound > 0 && d > bound {
				t.Errorf("took %v, bound %v", d, bound)
			}
		})
	}
}

// TestEscapeControls: what a server or a file name puts in a message
// reaches the terminal escaped (HOSTILE.md P2), the rest as it is.
func TestEscapeControls(t *testing.T) {
	tests := []struct{ in, want string }{
		{"GET http://h/: 404 Not Found", "GET http://h/: 404 Not Found"},
		{"café 日本 é", "café 日本 é"},
		{"404 Not\x1b]0;PWNED\aFound\x1b[31mRED", `404 Not\x1b]0;PWNED\aFound\x1b[31mRED`},
		{"a\rb\nc\td", `a\rb\nc\td`},
		{"x\x7fy\u0085z", `x\x7fy\u0085z`},
		{"name\u202eexe.txt", `name\u202eexe.txt`},
		{"bad \xff\xfe utf-8", `bad \xff\xfe utf-8`},
		{`already "quoted\x1b"`, `already "quoted\x1b"`},
	}
	for _, tt := range tests {
		if got := escapeControls(tt.in); got != tt.want {
			t.Errorf("escapeControls(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestHelpToFullStdout: help and the version that cannot be written fail
// (exit 1, the error on stderr), as coreutils' --help does; cobra writes
// them without a word on a failed write.
func TestHelpToFullStdout(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"get", "--help"}, {"help", "get"}, {"--version"}, {"version"}, nil} {
		var stderr bytes.Buffer
		code := Run(t.Context(), args, strings.NewReader(""), &fullWriter{max: 10}, &stderr)
		if code != ExitFailure || !strings.Contains(stderr.String(), "grab: no space left on device") {
			t.Errorf("Run(%q) to a full stdout: exit %d, stderr %q; want 1 and the error", args, code, stderr.String())
		}
	}
}

// blockedWriter blocks every write until release is closed, as a pipe
// nobody reads does; entered is closed at the first write.
type blockedWriter struct {
	entered, release chan struct{}
	once             sync.Once
}

func (w *blockedWriter) Write(p []byte) (int, error) {
	w.once.Do(func() { close(w.entered) })
	<-w.release
	return len(p), nil
}

// TestStopWhileBlocked: a command blocked writing to a stdout nobody
// reads, which nothing interrupts, does not keep Run from returning
// ExitInterrupted once its context is cancelled and the grace has passed.
func TestStopWhileBlocked(t *testing.T) {
	w := &blockedWriter{entered: make(chan struct{}), release: make(chan struct{})}
	defer close(w.release) // the command ends then (goleak)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"get", "data:,stalled"}, strings.NewReader(""), w, io.Discard, 50*time.Millisecond)
	}()
	select {
	case <-w.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("grab get never wrote")
	}
	cancel()
	select {
	case c := <-code:
		if c != ExitInterrupted {
			t.Errorf("exit %d, want %d", c, ExitInterrupted)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run still waiting 10s after the cancel")
	}
}

func TestAddGrace(t *testing.T) {
	for _, tt := range []struct {
		extra int64
		want  time.Duration
	}{
		{0, StopGrace},
		{int64(30 * time.Second), StopGrace + 30*time.Second},
		{math.MaxInt64, math.MaxInt64}, // --grace 2562047h47m16s: no wrap to a negative wait
	} {
		if got := addGrace(StopGrace, tt.extra); got != tt.want {
			t.Errorf("addGrace(%v, %d) = %v, want %v", StopGrace, tt.extra, got, tt.want)
		}
	}
}
