package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"pacer.dev/pacer/specs"
)

func newValidateCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "validate",
		Short: "Check the spec tree offline",
		Long: `Parse and validate every spec file under --specs, without contacting Marathon.
Every problem is printed on its own line as file:line:col: message (file
relative to --specs), sorted; the exit code is 1 when there is any.`,
		Example: `  pacer validate --specs ./specs
  PACER_SPECS=examples/specs pacer validate`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			set, err := loadValid(a)
			if err != nil {
				return err
			}
			apps := 0
			for _, g := range set.Groups {
				apps += len(g.Apps)
			}
			fmt.Fprintf(a.stdout, "ok: %d files, %d clusters, %d service groups, %d apps\n",
				len(set.Files), len(set.Clusters), len(set.Groups), apps)
			return nil
		},
	}
}

// loadValid loads and validates --specs. Spec problems are printed one per
// line on stdout and end the command with exit code 1, quietly; an unreadable
// tree is an ordinary error.
func loadValid(a *app) (*specs.Set, error) {
	set, err := specs.LoadDir(a.opts.specs)
	if set == nil {
		return nil, err
	}
	if err := set.Validate(); err != nil {
		var problems specs.Errors
		if !errors.As(err, &problems) {
			return nil, err
		}
		for _, p := range problems {
			fmt.Fprintln(a.stdout, p)
		}
		fmt.Fprintf(a.stderr, "%d problem(s) in %s\n", len(problems), a.opts.specs)
		return nil, &exitCodeError{code: exitError, quiet: true, err: err}
	}
	return set, nil
}
