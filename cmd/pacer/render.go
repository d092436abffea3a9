package main

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/spf13/cobra"
)

func newRenderCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "render",
		Short: "Print the Marathon app definitions for a cluster",
		Long: `Print, as one JSON array sorted by id, the Marathon app definitions pacer
would submit to --cluster: overlays merged, ids absolute, pacer's labels set.
--environment limits the output to one environment. Nothing is contacted.`,
		Example: `  pacer render --specs examples/specs --cluster ams
  pacer render --specs examples/specs --cluster ams --environment test | jq '.[].id'`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if a.opts.cluster == "" {
				return errors.New("render: --cluster is required (or PACER_CLUSTER)")
			}
			set, err := loadValid(a)
			if err != nil {
				return err
			}
			apps, err := set.Render(a.opts.cluster, a.opts.environment)
			if err != nil {
				return err
			}
			defs := make([]json.RawMessage, len(apps))
			for i, app := range apps {
				defs[i] = app.Definition
			}
			out, err := json.MarshalIndent(defs, "", "  ")
			if err != nil {
				return fmt.Errorf("render: %w", err)
			}
			_, err = fmt.Fprintf(a.stdout, "%s\n", out)
			return err
		},
	}
}
