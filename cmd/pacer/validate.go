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
relative to --specs), sorted; the exit code is 1 when there is any. Advice
that does not make the tree invalid (a secret-looking env value written
out) is printed as file:line:col: warning: message and keeps exit code 0.

Spec files are *.yaml and *.yml; hidden files and directories, directory
symlinks and every other file (*.json included) are skipped and counted in
the summary line. A tree without any spec file is an error.`,
		Example: `  pacer validate --specs ./specs
  PACER_SPECS=examples/specs pacer validate`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			set, err := specs.LoadDir(a.opts.specs)
			if set == nil {
				return err
			}
			if len(set.Files) == 0 && set.Validate() == nil {
				skipped := ""
				if s := set.SkippedSummary(); s != "" {
					skipped = " (" + s + ")"
				}
				return fmt.Errorf("no spec files (*.yaml, *.yml) under %s%s; is --specs the specs directory?", a.opts.specs, skipped)
			}
			_, err = printProblems(a, set)
			printWarnings(a, set)
			if err != nil {
				return err
			}
			apps := 0
			for _, g := range set.Groups {
				apps += len(g.Apps)
			}
			files := fmt.Sprintf("%d files", len(set.Files))
			if s := set.SkippedSummary(); s != "" {
				files += " (" + s + ")"
			}
			fmt.Fprintf(a.stdout, "ok: %s, %d clusters, %d service groups, %d apps\n",
				files, len(set.Clusters), len(set.Groups), apps)
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
	return printProblems(a, set)
}

// printWarnings prints the set's warnings on stdout, before the summary.
func printWarnings(a *app, set *specs.Set) {
	for _, w := range set.Warnings() {
		fmt.Fprintln(a.stdout, w)
	}
}

// printProblems validates set and prints its problems as loadValid does.
func printProblems(a *app, set *specs.Set) (*specs.Set, error) {
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
