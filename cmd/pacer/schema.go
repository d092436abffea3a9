package main

import (
	"github.com/spf13/cobra"

	"pacer.dev/pacer/specs"
)

func newSchemaCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of the spec kinds",
		Long: `Print a JSON Schema (draft-07) of one spec document (Cluster or ServiceGroup)
for editors. With yaml-language-server, save it and start a spec file with
  # yaml-language-server: $schema=path/to/pacer-schema.json`,
		Example: `  pacer schema > .vscode/pacer-schema.json`,
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := a.stdout.Write(specs.Schema())
			return err
		},
	}
}
