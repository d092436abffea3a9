package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"pacer.dev/pacer/checks"
	"pacer.dev/pacer/internal/marathon"
	"pacer.dev/pacer/specs"
)

func newCheckCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Custom checks declared in the specs (spec.checks)",
	}
	cmd.AddCommand(newCheckRunCmd(a), newCheckListCmd(a))
	return cmd
}

// checkEnv is -e, a short form of --environment for the check commands.
func checkEnv(a *app, e string) string {
	if e != "" {
		return e
	}
	return a.opts.environment
}

func newCheckRunCmd(a *app) *cobra.Command {
	var env string
	var retries int
	cmd := &cobra.Command{
		Use:   "run NAME",
		Short: "Run one check now and print its result as a Nagios plugin would",
		Long: `Run the check NAME of --environment on --cluster once and print
STATE: summary | perfdata, then its long output, tip and runbook. The exit
code is the Nagios state (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN), so the
command works as a Nagios plugin itself. http and tcp checks probe the live
tasks Marathon reports; exec checks run their command here, as pacer agent
would (run it inside the checks container); prometheus checks query their URL.`,
		Example: `  pacer check run app-http -e production --cluster ams --specs specs
  pacer check run afquery -e test --cluster ams   # inside the checks container`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, cluster, err := findCheck(a, args[0], checkEnv(a, env))
			if err != nil {
				return err
			}
			runner := &checks.Runner{Prober: newProber(true), Querier: &checks.Querier{HTTP: &http.Client{}, Now: time.Now}, Now: time.Now,
				App: func(ctx context.Context, id string) (marathon.App, error) {
					client, err := newMarathonClient(a, cluster, retries)
					if err != nil {
						return marathon.App{}, err
					}
					return liveApp(ctx, client, id)
				}}
			r := runner.Run(cmd.Context(), c)
			printCheckResult(a, c, r)
			if r.State != checks.OK {
				return &exitCodeError{code: int(r.State), quiet: true}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&env, "env", "e", "", "environment of the check (short for --environment)")
	cmd.Flags().IntVar(&retries, "retries", 2, "retry a Marathon request that no URL answered this many times")
	return cmd
}

func printCheckResult(a *app, c *specs.Check, r checks.Result) {
	fmt.Fprintln(a.stdout, r.Line())
	if r.Long != "" {
		fmt.Fprintln(a.stdout, r.Long)
	}
	fmt.Fprintf(a.stdout, "check: %s (%s, %s)\n", c.ID, c.Kind, c.Source)
	if c.Tip != "" {
		fmt.Fprintf(a.stdout, "tip: %s\n", c.Tip)
	}
	if c.Runbook != "" {
		fmt.Fprintf(a.stdout, "runbook: %s\n", c.Runbook)
	}
}

// findCheck renders the checks of env on --cluster and returns the one
// named name.
func findCheck(a *app, name, env string) (*specs.Check, *specs.Cluster, error) {
	if a.opts.cluster == "" {
		return nil, nil, errors.New("--cluster is required (or PACER_CLUSTER)")
	}
	if env == "" {
		return nil, nil, errors.New("-e ENV (--environment) is required: a check runs in one environment")
	}
	set, err := loadValid(a)
	if err != nil {
		return nil, nil, err
	}
	cluster := findCluster(set, a.opts.cluster)
	if cluster == nil {
		return nil, nil, fmt.Errorf("cluster %q is not defined in %s", a.opts.cluster, a.opts.specs)
	}
	list, err := set.Checks(cluster.Name, env)
	if err != nil {
		return nil, nil, err
	}
	var names []string
	for i := range list {
		if list[i].Name == name {
			return &list[i], cluster, nil
		}
		names = append(names, list[i].Name)
	}
	if len(names) == 0 {
		names = []string{"none"}
	}
	return nil, nil, fmt.Errorf("no enabled check %q in environment %s on cluster %s; checks: %s", name, env, cluster.Name, strings.Join(names, ", "))
}

// newProber probes tasks for the leader's schedule; starting: also the
// tasks still starting (pacer check run).
func newProber(starting bool) *checks.Prober {
	return &checks.Prober{
		HTTP:     &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		Dialer:   &net.Dialer{},
		Now:      time.Now,
		Starting: starting,
	}
}

// liveApp reads one app with its tasks from the live list.
func liveApp(ctx context.Context, client *marathon.Client, id string) (marathon.App, error) {
	apps, err := client.ListApps(ctx)
	if err != nil {
		return marathon.App{}, err
	}
	for _, app := range apps {
		if app.ID == id {
			return app, nil
		}
	}
	return marathon.App{}, fmt.Errorf("app %s is not in Marathon", id)
}

func newCheckListCmd(a *app) *cobra.Command {
	var env string
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List the checks rendered for --cluster (and -e ENV)",
		Example: `  pacer check list --cluster ams -e production --specs specs`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if a.opts.cluster == "" {
				return errors.New("--cluster is required (or PACER_CLUSTER)")
			}
			set, err := loadValid(a)
			if err != nil {
				return err
			}
			list, err := set.Checks(a.opts.cluster, checkEnv(a, env))
			if err != nil {
				return err
			}
			return writeCheckList(a.stdout, list)
		},
	}
	cmd.Flags().StringVarP(&env, "env", "e", "", "only this environment (short for --environment)")
	return cmd
}
