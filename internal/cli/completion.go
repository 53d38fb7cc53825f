package cli

import (
	"github.com/spf13/cobra"
)

// newCompletion returns the completion command, which replaces cobra's
// default one.
func newCompletion(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish",
		Short: "Print a shell completion script",
		Long: `Completion prints a script to stdout that makes bash, zsh or fish complete
grab's commands, flags and arguments.

Bash (needs the bash-completion package):
  source <(grab completion bash)        # in this shell only
  grab completion bash > ~/.local/share/bash-completion/completions/grab

Zsh (needs "autoload -U compinit; compinit" in ~/.zshrc):
  source <(grab completion zsh)         # in this shell only
  grab completion zsh > "${fpath[1]}/_grab"

Fish:
  grab completion fish | source         # in this shell only
  grab completion fish > ~/.config/fish/completions/grab.fish

Start a new shell for the installed script to take effect.`,
		DisableFlagsInUseLine: true,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErrorf("completion takes one shell (bash, zsh or fish), got %d arguments", len(args))
			}
			return nil
		},
		ValidArgs: []cobra.Completion{"bash", "zsh", "fish"},
		RunE: func(cmd *cobra.Command, args []string) error {
			root := cmd.Root()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(e.stdout, true)
			case "zsh":
				return root.GenZshCompletion(e.stdout)
			case "fish":
				return root.GenFishCompletion(e.stdout, true)
			}
			return usageErrorf("unsupported shell %q (want bash, zsh or fish)", args[0])
		},
	}
}
