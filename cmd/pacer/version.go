package main

import (
	"github.com/spf13/cobra"

	"pacer.dev/pacer/internal/buildinfo"
)

// newVersionCmd is `pacer version`; `pacer --version` prints the same line
// (root.go).
func newVersionCmd(a *app) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version, git commit and date, and Go version of this binary",
		Long: `Print what this binary was built from: the module version, the git commit
(and "modified" when the tree had uncommitted changes), the commit's date and
the Go version. The go command records these in every build made inside a git
checkout (go version -m pacer shows them too); a binary built elsewhere or with
-buildvcs=false says "commit unknown".`,
		Example: `  pacer version
  pacer --version
  pacer version -o json | jq -r .commit`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return buildinfo.Read("pacer").Write(a.stdout, output)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "format: text, json or yaml")
	return cmd
}
