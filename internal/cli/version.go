package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version and commit identify the build; they are the only package-level
// variables of package cli. Release builds set them at link time:
//
//	go build -ldflags "-X github.com/grabhq/grab/internal/cli.version=v1.2.3 -X github.com/grabhq/grab/internal/cli.commit=$(git rev-parse HEAD)" ./cmd/grab
//
// Left unset, they fall back to what the Go toolchain recorded in the
// binary (see [debug.ReadBuildInfo]): the main module's version, as set by
// "go install github.com/grabhq/grab/cmd/grab@v1.2.3", and the VCS revision.
var (
	version = "dev"
	commit  = ""
)

// newVersion returns the version command.
func newVersion(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print version information",
		Long: `Version prints grab's version, the commit it was built from, the Go
version that built it, and the operating system and architecture:

  grab v1.2.3 (commit 0123abcd..., go1.26.0, linux/amd64)

"grab --version" prints the same line.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintln(e.stdout, versionLine())
			return err
		},
	}
}

// versionLine returns the line printed by "grab version" and "grab --version".
func versionLine() string {
	bi, _ := debug.ReadBuildInfo()
	return formatVersion(version, commit, bi)
}

// formatVersion returns the version line for the link-time values v and c,
// falling back to bi (which may be nil) for those left unset.
func formatVersion(v, c string, bi *debug.BuildInfo) string {
	v = buildVersion(v, bi)
	if bi != nil && c == "" {
		c = revision(bi)
	}
	if c == "" {
		c = "unknown"
	}
	return fmt.Sprintf("grab %s (commit %s, %s, %s/%s)", v, c, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// buildVersion returns the link-time version v, or when it is unset the
// main module's version recorded in bi (which may be nil), or "dev".
func buildVersion(v string, bi *debug.BuildInfo) string {
	if bi != nil && (v == "" || v == "dev") && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = bi.Main.Version
	}
	if v == "" {
		v = "dev"
	}
	return v
}

// revision returns the VCS revision recorded in bi, with "-dirty" appended
// if the working tree had local changes, or "" if none was recorded.
func revision(bi *debug.BuildInfo) string {
	var rev string
	var modified bool
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev != "" && modified {
		rev += "-dirty"
	}
	return rev
}
