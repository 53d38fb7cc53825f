// Package cli implements the grab command line on top of spf13/cobra.
//
// [Run] builds a fresh command tree for every call and reads and writes only
// the streams it is given, so tests drive the whole CLI in-process:
//
//	var stdout, stderr bytes.Buffer
//	code := cli.Run(ctx, []string{"version"}, strings.NewReader(""), &stdout, &stderr)
//
// Each subcommand lives in its own file and is built by a function taking
// the command's [env]; there are no package-level commands and no init.
// A subcommand writes data to env.stdout and diagnostics to env.stderr
// (with [env.errorf]), takes its context from cobra's cmd.Context(), and
// returns:
//
//   - nil on success;
//   - an error made by [usageErrorf] for a bad command line (exit 2);
//   - [errSilentFailure] when it has already reported its failures (exit 1);
//   - an [*exitError] for an exit code of its own, printed as below;
//   - any other error, which Run prints as "grab: <err>" (exit 1).
//
// Run also applies these conventions to every command in the tree:
// errors from a command's Args validator (cobra.ExactArgs and friends), from
// flag parsing and from required or grouped flags are usage errors; a
// command that only groups subcommands shows its help when called alone and
// reports an unknown subcommand as a usage error. Subcommands must therefore
// not set PersistentPreRun or PersistentPreRunE, which would replace the
// root's.
package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/grabhq/grab/internal/urlpath"
)

// Exit codes returned by [Run] and documented in grab's help.
const (
	ExitOK          = 0   // success, including -h and --help
	ExitFailure     = 1   // a command failed
	ExitUsage       = 2   // bad command line: unknown command or flag, wrong arguments
	ExitHTTPError   = 22  // grab get -f: the final status was 400 or more (curl's 22)
	ExitTooLarge    = 63  // grab get --max-filesize: the body is larger (curl's 63)
	ExitInterrupted = 130 // interrupted by SIGINT, SIGTERM or SIGHUP (128 + SIGINT)
)

// maxInputLine bounds the length of one line read by [inputs].
const maxInputLine = 1 << 20

const rootLong = `grab fetches, scrapes and crawls the web.

Data goes to stdout, so output can be redirected to a file or piped;
progress, warnings and errors go to stderr, prefixed "grab:".

Exit status:
  0    success, including -h and --help
  1    failure
  2    usage error: unknown command or flag, wrong arguments
  22   grab get -f: the server answered with a status of 400 or more
  63   grab get --max-filesize: the body is larger
  130  interrupted (SIGINT, SIGTERM or SIGHUP)`

// env is what a command may use of its process: the standard streams
// (stdin's reads end when Run's context does).
// The context is not stored here: a command takes it from cmd.Context(),
// which Run sets from its ctx argument.
type env struct {
	stdin  io.Reader
	stdout io.Writer // data only
	stderr io.Writer // progress, warnings and errors, prefixed "grab: "
	args   []string  // the command line, for a command that must read it as typed
	// extraGrace is added to Run's StopGrace by a command that takes
	// longer to stop (grab job schedule's --grace), in nanoseconds.
	extraGrace atomic.Int64
}

// errorf prints "grab: " and the formatted message, with a final newline,
// to stderr.
func (e *env) errorf(format string, a ...any) {
	fmt.Fprintf(e.stderr, "grab: %s\n", escapeControls(fmt.Sprintf(format, a...)))
}

// escapeControls escapes, as Go escapes them in a quoted string, what a
// terminal would act on in a message quoting a server or a file (HOSTILE.md
// P2): C0 and C1 controls, DEL, bidirectional overrides and invalid UTF-8.
// An OSC in a reason phrase would retitle the window; a CR would write
// over the line. The rest stays as it is, readable.
func escapeControls(s string) string {
	if !strings.ContainsFunc(s, unsafeRune) { // invalid UTF-8 is RuneError
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unsafeRune(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// unsafeRune reports a rune escapeControls escapes (RuneError stands for
// invalid UTF-8, and for U+FFFD itself, which is harmless but rare).
func unsafeRune(r rune) bool {
	return r < ' ' || r == 0x7f || r >= 0x80 && r < 0xa0 || r == utf8.RuneError ||
		r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}

// usageError marks a bad command line: Run prints it with a hint to run
// the command's --help and exits with [ExitUsage].
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usageErrorf returns a usage error formatted as by [fmt.Errorf].
func usageErrorf(format string, a ...any) error {
	return &usageError{fmt.Errorf(format, a...)}
}

// linesError is a message of several lines: a first line, and lines
// already escaped (escapeControls) that Run writes indented under it, each
// on a line of its own.
type linesError struct {
	first string
	lines []string
}

func (e *linesError) Error() string {
	return e.first + "\n  " + strings.Join(e.lines, "\n  ")
}

// printError writes err as errorf does; a linesError in it keeps its
// lines, which errorf would escape into one.
func (e *env) printError(err error) {
	var le *linesError
	if !errors.As(err, &le) {
		e.errorf("%v", err)
		return
	}
	e.errorf("%s", strings.TrimSuffix(err.Error(), le.Error())+le.first)
	for _, l := range le.lines {
		fmt.Fprintf(e.stderr, "  %s\n", l)
	}
}

// constError is an error that can be declared as a constant.
type constError string

func (e constError) Error() string { return string(e) }

// exitError makes Run print err and exit with code, for a command with an
// exit code of its own ([ExitHTTPError]).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// errSilentFailure is returned, possibly wrapped, by a command that has
// already reported its failures on stderr: Run exits with [ExitFailure]
// without printing anything more.
const errSilentFailure constError = "failure already reported"

// Run runs grab with the command-line arguments args (without the program
// name) and returns the process exit code: [ExitOK], [ExitFailure],
// [ExitUsage] or [ExitInterrupted]. It reads and writes only stdin, stdout
// and stderr. Cancelling ctx, as main does on SIGINT, SIGTERM or SIGHUP, interrupts
// the running command. A command that has not ended [StopGrace] after
// that (blocked writing to a pipe nobody reads, which nothing can
// interrupt) is left running, and Run returns ExitInterrupted at once,
// printing nothing (stderr may be that pipe), for the process to exit.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return run(ctx, args, stdin, stdout, stderr, StopGrace)
}

// StopGrace is how long Run waits for a command to end once its context
// is cancelled: longer than a command's own stopping takes (grab serve's
// 10 s, a crawl's 3 s for pages in flight); grab job schedule adds its
// --grace.
const StopGrace = 15 * time.Second

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, grace time.Duration) int {
	if stdin != nil { // nil stays nil: no input at all
		stdin = newCtxReader(ctx, stdin)
	}
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	done := make(chan int, 1)
	go func() { done <- e.execute(ctx, newRoot(e), args) }()
	select {
	case code := <-done:
		return code
	case <-ctx.Done():
	}
	select {
	case code := <-done:
		return code
	case <-time.After(addGrace(grace, e.extraGrace.Load())):
		return ExitInterrupted
	}
}

// addGrace returns grace and extra nanoseconds more, at most the longest
// Duration (a --grace of 2562047h would wrap the sum negative).
func addGrace(grace time.Duration, extra int64) time.Duration {
	return grace + time.Duration(min(extra, int64(math.MaxInt64-grace)))
}

// newRoot returns grab's root command with all its subcommands.
func newRoot(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:               "grab",
		Short:             "Fetch, scrape and crawl the web",
		Long:              rootLong,
		Version:           versionLine(),
		SilenceErrors:     true, // execute prints errors
		SilenceUsage:      true,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
		PersistentPreRunE: checkFlags,
	}
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &usageError{plainFlagError(err)}
	})
	// Our own --version, without cobra's -v shorthand: curl and wget users
	// expect -v to mean verbose.
	root.Flags().Bool("version", false, "print version information and exit")
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetHelpCommand(newHelp())
	root.AddCommand(
		newCompletion(e),
		newCrawl(e),
		newDemo(e),
		newDownload(e),
		newGet(e),
		newHead(e),
		newImages(e),
		newJob(e),
		newRaw(e),
		newServe(e),
		newURL(e),
		newVersion(e),
	)
	return root
}

// execute runs the command tree under root with args and maps the outcome
// to an exit code, printing any error to e.stderr.
func (e *env) execute(ctx context.Context, root *cobra.Command, args []string) int {
	prepare(root)
	if args == nil {
		args = []string{} // cobra reads os.Args when args is nil
	}
	e.args = args
	root.SetArgs(args)
	// cobra prints help and the version without a word on a failed
	// write (grab --help >/dev/full): its writer keeps the error.
	out := &countingWriter{w: e.stdout}
	root.SetOut(out)
	cmd, err := root.ExecuteContextC(ctx)
	if cmd == nil {
		cmd = root
	}
	if err == nil && out.err != nil {
		err = out.err
	}
	return e.exitCode(ctx, cmd, err)
}

// exitCode reports err, returned by cmd, on e.stderr and returns the exit
// code for it.
func (e *env) exitCode(ctx context.Context, cmd *cobra.Command, err error) int {
	var ue *usageError
	var xe *exitError
	switch {
	case ctx.Err() != nil:
		e.errorf("interrupted")
		return ExitInterrupted
	case err == nil:
		return ExitOK
	case errors.As(err, &ue):
		e.printError(err)
		e.errorf("run '%s --help' for usage", cmd.CommandPath())
		return ExitUsage
	case errors.As(err, &xe):
		e.printError(err)
		return xe.code
	case errors.Is(err, errSilentFailure):
		return ExitFailure
	default:
		e.printError(err)
		return ExitFailure
	}
}

// prepare applies the conventions described in the package comment to c
// and the commands under it.
func prepare(c *cobra.Command) {
	if c.HasSubCommands() && c.Run == nil && c.RunE == nil {
		if c.Args == nil {
			c.Args = subcommandArgs
		}
		c.RunE = showHelp
	}
	if c.Args != nil {
		c.Args = usageArgs(c.Args)
	}
	for _, sub := range c.Commands() {
		prepare(sub)
	}
}

// usageArgs returns a validator that turns the errors of args into usage
// errors.
func usageArgs(args cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, a []string) error {
		err := args(cmd, a)
		var ue *usageError
		if err == nil || errors.As(err, &ue) {
			return err
		}
		return &usageError{err}
	}
}

// subcommandArgs is the Args of a command that only groups subcommands: any
// positional argument is an unknown subcommand.
func subcommandArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		for i := range s {
			s[i] = fmt.Sprintf("%q", s[i])
		}
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	}
	return usageErrorf("%s", msg)
}

// showHelp is the RunE of a command that only groups subcommands.
func showHelp(cmd *cobra.Command, _ []string) error {
	return cmd.Help()
}

// checkFlags reports missing required flags and violated flag groups as
// usage errors, before cobra would report them as plain errors.
func checkFlags(cmd *cobra.Command, _ []string) error {
	if err := cmd.ValidateRequiredFlags(); err != nil {
		return &usageError{err}
	}
	if err := cmd.ValidateFlagGroups(); err != nil {
		return &usageError{err}
	}
	return nil
}

// newHelp returns the help command. Unlike cobra's default, it reports an
// unknown topic as a usage error.
func newHelp() *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		Long:  "Help prints the help of any command: grab help [path to command].",
		Args:  cobra.ArbitraryArgs,
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			parent, rest, err := cmd.Root().Find(args)
			if err != nil || len(rest) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var comps []cobra.Completion
			for _, sub := range parent.Commands() {
				if (sub.IsAvailableCommand() || sub == cmd) && strings.HasPrefix(sub.Name(), toComplete) {
					comps = append(comps, cobra.CompletionWithDesc(sub.Name(), sub.Short))
				}
			}
			return comps, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			target, rest, err := cmd.Root().Find(args)
			if err != nil || len(rest) > 0 {
				return usageErrorf("unknown help topic %q", strings.Join(args, " "))
			}
			target.InitDefaultHelpFlag()
			target.InitDefaultVersionFlag()
			return target.Help()
		},
	}
}

// inputs returns the inputs of a command that takes one item per argument
// or, without arguments, one item per line of stdin: args if there are any,
// otherwise the lines of stdin without their "\n" or "\r\n", empty ones too
// (an empty URL or query is an input, as in Python).
// A line longer than 1 MiB or a read error is yielded as an error and ends
// the sequence. A nil stdin has no lines.
func inputs(args []string, stdin io.Reader) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		if len(args) > 0 {
			for _, a := range args {
				if !yield(a, nil) {
					return
				}
			}
			return
		}
		if stdin == nil {
			return
		}
		sc := bufio.NewScanner(stdin)
		// Room for a maximal line and its "\r\n"; longer lines are
		// caught below or by bufio.ErrTooLong.
		sc.Buffer(make([]byte, 0, 64<<10), maxInputLine+len("\r\n"))
		n := 0
		for sc.Scan() {
			n++
			line := sc.Text()
			if len(line) > maxInputLine {
				yield("", lineTooLong(n))
				return
			}
			if !yield(line, nil) {
				return
			}
		}
		switch err := sc.Err(); {
		case errors.Is(err, bufio.ErrTooLong):
			yield("", lineTooLong(n+1))
		case err != nil:
			yield("", fmt.Errorf("reading stdin: %w", err))
		}
	}
}

func lineTooLong(n int) error {
	return fmt.Errorf("stdin line %d longer than %d bytes", n, maxInputLine)
}

// withScheme is raw with "http://" in front when it names no scheme of its
// own, as curl and wget guess: "example.com/x" and "localhost:8080/x" are
// http URLs. A URL starting "scheme://", or a data: or file: URL, is left
// as it is ("://" later on, as in "h/?next=http://x", is no scheme).
func withScheme(raw string) string {
	scheme, rest, ok := strings.Cut(raw, ":")
	if ok && urlpath.IsScheme(scheme) && (strings.HasPrefix(rest, "//") || strings.EqualFold(scheme, "data") || strings.EqualFold(scheme, "file")) {
		return raw
	}
	return "http://" + raw
}

// plainFlagError replaces the strconv text in pflag's error for a number
// flag ('invalid argument "abc" for "-j, --jobs" flag: strconv.ParseInt:
// parsing "abc": invalid syntax') with what is wrong: "not a whole number",
// "out of range", "want true or false".
func plainFlagError(err error) error {
	var ne *strconv.NumError // pflag's InvalidValueError wraps it
	if !errors.As(err, &ne) {
		return err
	}
	reason := "not a whole number"
	switch {
	case errors.Is(ne.Err, strconv.ErrRange):
		reason = "out of range"
	case ne.Func == "ParseBool":
		reason = "want true or false"
	case ne.Func == "ParseFloat":
		reason = "not a number"
	}
	return errors.New(strings.TrimSuffix(err.Error(), ne.Error()) + reason)
}
