package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"

	"pacer.dev/pacer/internal/marathon"
	"pacer.dev/pacer/reconciler"
	"pacer.dev/pacer/status"
)

// statusOutput is pacer status -o json: the apps, and the custom checks
// rendered for the cluster in the status model's form (status.Check).
type statusOutput struct {
	Apps   []statusRow    `json:"apps"`
	Checks []status.Check `json:"checks"`
}

// statusRow is one app of pacer status.
type statusRow struct {
	ID           string        `json:"id"`
	Sync         status.Sync   `json:"sync"`   // Synced, OutOfSync
	Action       string        `json:"action"` // what reconcile would do
	Health       status.Health `json:"health"` // Healthy, Degraded, Progressing, Suspended, Missing
	HealthReason status.Reason `json:"healthReason"`
	Instances    int           `json:"instances"`
	Running      int           `json:"running"`
	Healthy      int           `json:"healthy"`
	Unhealthy    int           `json:"unhealthy"`
	Deployments  []string      `json:"deployments,omitempty"`
	LastFailure  string        `json:"lastFailure,omitempty"`
	Reason       string        `json:"reason,omitempty"`
}

func newStatusCmd(a *app) *cobra.Command {
	o := &reconcileOptions{}
	var output string
	var detailed bool
	var checksFrom string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show sync and health per app, from Marathon and the specs",
		Long: `Compare the specs rendered for --cluster with live Marathon (one read) and
print, per app, whether it is in sync with git and how healthy its tasks are.
Nothing is written. With --detailed-exitcode the exit code is 2 when any app
is out of sync or not healthy.`,
		Example: `  pacer status --specs specs --cluster ams
  pacer status --specs specs --cluster ams --environment production -o json | jq '.apps[] | select(.health != "Healthy")'
  PACER_URL=http://pacer.ams:8080 pacer status --cluster ams -o json | jq '.checks[] | select(.state != "OK")'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output != "text" && output != "json" {
				return fmt.Errorf("-o %q: want text or json", output)
			}
			ctx := logr.NewContext(cmd.Context(), a.log.WithName("status"))
			cp, err := planCluster(ctx, a, o)
			if err != nil {
				return err
			}
			rows := statusRows(cp.plan, cp.live)
			cs, err := statusChecks(ctx, a, checksFrom)
			if err != nil {
				return err
			}
			if output == "json" {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				err = enc.Encode(statusOutput{Apps: rows, Checks: cs})
			} else {
				err = writeStatusTable(a.stdout, rows)
				if err == nil && len(cs) > 0 {
					fmt.Fprintln(a.stdout)
					err = writeCheckStates(a.stdout, cs)
				}
			}
			if err != nil {
				return err
			}
			if detailed && !allGood(rows) {
				return &exitCodeError{code: exitChanges, quiet: true}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&output, "output", "o", "text", "text or json")
	f.BoolVar(&detailed, "detailed-exitcode", false, "exit 2 when an app is out of sync or not healthy")
	f.StringVar(&checksFrom, "checks-from", os.Getenv("PACER_URL"), "pacer run's base URL (env PACER_URL): show the custom checks' state from its /api/v1/checks")
	f.IntVar(&o.retries, "retries", 2, "retry a Marathon request that no URL answered this many times")
	return cmd
}

// statusRows joins the plan (sync) with the live apps (health), sorted by
// id as the plan is.
func statusRows(plan *reconciler.Plan, live []marathon.App) []statusRow {
	byID := make(map[string]*marathon.App, len(live))
	for i := range live {
		byID[live[i].ID] = &live[i]
	}
	rows := make([]statusRow, 0, len(plan.Apps))
	for _, p := range plan.Apps {
		r := statusRow{ID: p.ID, Action: string(p.Action), Sync: status.SyncOf(p.Action == reconciler.ActionUnchanged), Reason: p.Reason}
		l := byID[p.ID]
		r.Health, r.HealthReason = status.HealthOf(l)
		if l != nil {
			r.Instances, r.Running, r.Healthy, r.Unhealthy = l.Instances, l.TasksRunning, l.TasksHealthy, l.TasksUnhealthy
			r.Deployments = l.DeploymentIDs
			if f := l.LastTaskFailure; f != nil {
				r.LastFailure = fmt.Sprintf("%s at %s: %s", f.State, f.Timestamp, f.Message)
			}
		}
		rows = append(rows, r)
	}
	return rows
}

func allGood(rows []statusRow) bool {
	for _, r := range rows {
		if r.Sync != status.Synced || (r.Health != status.Healthy && r.Health != status.Suspended) {
			return false
		}
	}
	return true
}

func writeStatusTable(w io.Writer, rows []statusRow) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "APP\tSYNC\tHEALTH\tTASKS (running/healthy/wanted)\tDEPLOYMENTS\tLAST FAILURE")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d/%d/%d\t%d\t%s\n", r.ID, r.Sync, r.Health, r.Running, r.Healthy, r.Instances, len(r.Deployments), r.LastFailure)
	}
	return tw.Flush()
}
