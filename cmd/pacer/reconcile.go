package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"

	"pacer.dev/pacer/internal/marathon"
	"pacer.dev/pacer/reconciler"
	"pacer.dev/pacer/specs"
)

// reconcileOptions are the flags of reconcile and diff.
type reconcileOptions struct {
	dryRun           bool
	output           string
	detailedExitcode bool
	force            bool
	prune            bool
	adopt            bool
	maxDeleteRatio   float64
	waitTimeout      time.Duration
	lockWait         time.Duration
	retries          int
	revision         string
	showUnchanged    bool
	apps             []string
	autoApprove      bool
	noColor          bool
	// only are the apps resolved from --app by the first plan, so the
	// plan that verifies the apply selects the same ones (a deleted app
	// no longer resolves).
	only []string
}

func newReconcileCmd(a *app) *cobra.Command {
	o := &reconcileOptions{}
	cmd := &cobra.Command{
		Use:   "reconcile",
		Short: "Plan the specs against a Marathon cluster and apply the plan",
		Long: `Read the live apps of --marathon in one call, compare them with what the specs
render for --cluster, print the plan and, unless --dry-run, apply it and wait
until Marathon reports every deployment done.

Only apps labelled pacer.dev/managed-by=pacer are ever changed or deleted;
deletes happen only with --prune, never to apps with persistent volumes or the
label pacer.dev/protect=true, and a pass that would delete more than
--max-delete-ratio of the managed apps is refused.

--app (repeatable) limits the plan and the apply to those apps; an id
without a leading / is relative to an environment group (api means
/services/shop/production/api when only one group has an api). Apps outside
the selection are never changed or deleted.

An apply that deletes apps asks first, as terraform apply does (only 'yes'
approves); with no terminal on stdin it is refused unless --auto-approve.

After the apply it plans once more: an app Marathon still shows different
from git is an error (exit 1) naming the changes that did not go away.

Exit codes: 0 converged (or, with --dry-run, nothing to do), 1 error,
2 changes pending, or a managed app in Marathon that git no longer has and
the plan keeps (with --dry-run --detailed-exitcode).`,
		Example: `  # in GitLab CI, on a merge request
  pacer reconcile --dry-run --specs specs --marathon $MARATHON_URL --cluster ams \
    --detailed-exitcode -o markdown > plan.md
  # by hand
  pacer reconcile --specs specs --cluster ams
  # one app of one environment, deleting it if git no longer has it
  pacer reconcile --specs specs --cluster ams --environment test --app statsd --prune
  # CI, with pruning: no one to ask
  pacer reconcile --specs specs --cluster ams --prune --auto-approve`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runReconcile(cmd, a, o)
		},
	}
	addReconcileFlags(cmd, o, true)
	return cmd
}

func newDiffCmd(a *app) *cobra.Command {
	o := &reconcileOptions{dryRun: true}
	cmd := &cobra.Command{
		Use:   "diff",
		Short: "Show the plan without applying it (reconcile --dry-run)",
		Example: `  pacer diff --specs specs --cluster ams
  pacer diff --specs specs --cluster ams --app /services/autofill/production/app
  pacer diff --specs specs --cluster ams -o json | jq .summary`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runReconcile(cmd, a, o)
		},
	}
	addReconcileFlags(cmd, o, false)
	return cmd
}

func addReconcileFlags(cmd *cobra.Command, o *reconcileOptions, withApply bool) {
	f := cmd.Flags()
	f.StringVarP(&o.output, "output", "o", "text", "plan format: text, json, yaml or markdown")
	f.BoolVar(&o.detailedExitcode, "detailed-exitcode", false, "exit 2 when changes are pending or a managed app is no longer in git")
	f.BoolVar(&o.prune, "prune", false, "delete managed apps that are no longer in the specs (of --environment only, when given)")
	f.BoolVar(&o.adopt, "adopt", false, "take over apps that exist in Marathon without pacer's ownership label")
	f.Float64Var(&o.maxDeleteRatio, "max-delete-ratio", reconciler.DefaultMaxDeleteRatio, "refuse a pass deleting more than this share of managed apps (1 disables the guard)")
	f.StringVar(&o.revision, "revision", firstEnv("PACER_REVISION", "CI_COMMIT_SHA"), "git revision of the specs, recorded in the pacer.dev/revision label (env PACER_REVISION, CI_COMMIT_SHA)")
	f.BoolVar(&o.showUnchanged, "show-unchanged", false, "list unchanged apps too")
	f.BoolVar(&o.noColor, "no-color", false, "no ANSI colours in the text plan (also NO_COLOR=1 or TERM=dumb; there are none when stdout is not a terminal)")
	f.StringArrayVar(&o.apps, "app", nil, "plan (and apply) only this app; repeatable; an id without a leading / is relative to an environment group, e.g. api for /services/shop/production/api")
	f.IntVar(&o.retries, "retries", 4, "retry a Marathon request that no URL answered (network error, 5xx) this many times, with backoff from 0.5s to 8s")
	if withApply {
		f.BoolVar(&o.dryRun, "dry-run", false, "print the plan, change nothing")
		f.BoolVar(&o.autoApprove, "auto-approve", false, "apply a plan that deletes apps without asking; without it such an apply asks on a terminal and is refused without one (CI)")
		f.BoolVar(&o.force, "force", false, "override deployments that lock an app instead of waiting for them")
		f.DurationVar(&o.waitTimeout, "wait-timeout", 15*time.Minute, "how long to wait for Marathon deployments to finish")
		f.DurationVar(&o.lockWait, "lock-wait", 2*time.Minute, "how long to wait, in all, for running deployments that lock apps before giving up on them (without --force)")
	}
}

func runReconcile(cmd *cobra.Command, a *app, o *reconcileOptions) error {
	format, err := reconciler.ParseFormat(o.output)
	if err != nil {
		return err
	}
	ctx := logr.NewContext(cmd.Context(), a.log.WithName("reconciler"))
	cp, err := planCluster(ctx, a, o)
	if err != nil {
		return err
	}
	plan, client := cp.plan, cp.client
	color := format == reconciler.FormatText && wantColor(isTerminal(a.stdout), o.noColor, os.Getenv)
	wopts := reconciler.WriteOptions{Color: color, ShowUnchanged: o.showUnchanged}
	if err := plan.Write(a.stdout, format, wopts); err != nil {
		return err
	}
	if err := plan.Err(); err != nil {
		return err
	}
	if o.dryRun {
		if o.detailedExitcode && !plan.InSync() {
			return &exitCodeError{code: exitChanges, quiet: true}
		}
		return nil
	}
	if !plan.HasChanges() {
		return nil
	}
	if err := confirmDeletes(ctx, a, plan, o.autoApprove); err != nil {
		return err
	}
	res, err := reconciler.Apply(ctx, client, plan, reconciler.ApplyOptions{
		Force:       o.force,
		Wait:        true,
		WaitTimeout: o.waitTimeout,
		LockWait:    o.lockWait,
		Progress:    progressPrinter(a.stderr),
	})
	if err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	if res.Requeue {
		return lockedError(res, o.lockWait)
	}
	if err := verifyConverged(ctx, a, o); err != nil {
		return err
	}
	fmt.Fprintln(a.stderr, "converged")
	return nil
}

// clusterPlan is one plan of the specs against live Marathon, with what it
// was built from.
type clusterPlan struct {
	plan   *reconciler.Plan
	live   []marathon.App
	apps   []specs.App
	client *marathon.Client
}

// planCluster loads and renders the specs for --cluster, reads the live apps
// in one call and plans; shared by reconcile, diff and status.
func planCluster(ctx context.Context, a *app, o *reconcileOptions) (*clusterPlan, error) {
	if a.opts.cluster == "" {
		return nil, errors.New("--cluster is required (or PACER_CLUSTER)")
	}
	set, err := loadValid(a)
	if err != nil {
		return nil, err
	}
	cluster := findCluster(set, a.opts.cluster)
	if cluster == nil {
		return nil, fmt.Errorf("cluster %q is not defined in %s", a.opts.cluster, a.opts.specs)
	}
	apps, err := set.Render(cluster.Name, a.opts.environment)
	if err != nil {
		return nil, err
	}
	client, err := newMarathonClient(a, cluster, o.retries)
	if err != nil {
		return nil, err
	}
	if _, err := checkSpecIdentity(ctx, client, cluster); err != nil {
		return nil, err
	}
	live, err := client.ListApps(ctx)
	if err != nil {
		return nil, fmt.Errorf("read live apps: %w", err)
	}
	groups := environmentGroups(set, cluster.Name, a.opts.environment)
	if a.opts.environment != "" && len(groups) == 0 {
		// An empty list would let pruning reach every group.
		return nil, fmt.Errorf("environment %q has no service group on cluster %q", a.opts.environment, cluster.Name)
	}
	if o.only == nil {
		if o.only, err = resolveApps(o.apps, set, cluster.Name, a.opts.environment, apps, live); err != nil {
			return nil, err
		}
	}
	plan, err := reconciler.NewPlan(desiredApps(apps, o.revision, specs.NewLocator(os.DirFS(a.opts.specs))), live, reconciler.PlanOptions{
		Only:           o.only,
		Prune:          o.prune,
		PruneGroups:    groups,
		MaxDeleteRatio: o.maxDeleteRatio,
		Adopt:          o.adopt,
		LoadBalancers:  &reconciler.LoadBalancers{Cluster: cluster.Name, NixyRealms: cluster.NixyRealms, HAProxyGroups: cluster.HAProxyGroups},
		Cluster:        cluster.Name,
		MaskSalt:       os.Getenv(maskSaltEnv),
	})
	if err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	plan.Cluster, plan.Revision, plan.Marathon = cluster.Name, o.revision, client.URL()
	return &clusterPlan{plan: plan, live: live, apps: apps, client: client}, nil
}

// desiredApps translates rendered specs into the reconciler's input.
func desiredApps(apps []specs.App, revision string, loc *specs.Locator) []reconciler.DesiredApp {
	out := make([]reconciler.DesiredApp, len(apps))
	for i, app := range apps {
		out[i] = reconciler.DesiredApp{
			ID:                app.ID,
			Definition:        app.Definition,
			IgnoreDifferences: app.IgnoreDifferences,
			Source:            app.Source.String(),
			Revision:          revision,
			Locate:            loc.Locate(app),
			ShowEnv:           app.ShowEnv,
		}
	}
	return out
}

// lockedError names the apps that running deployments kept pacer from
// writing, and the deployments.
func lockedError(res *reconciler.ApplyResult, waited time.Duration) error {
	var lines []string
	for _, r := range res.Apps {
		if r.Locked {
			lines = append(lines, fmt.Sprintf("  %s %s: locked by deployment(s) %s", r.Action, r.ID, strings.Join(r.LockedBy, ", ")))
		}
	}
	return fmt.Errorf("apply: %d app(s) still locked by running deployments after waiting %s; nothing was written to them; run again later, or use --force to override the deployments:\n%s",
		len(lines), waited, strings.Join(lines, "\n"))
}

// environmentGroups limits pruning to the Marathon groups of one environment
// when --environment is set; without it (nil) every managed app of the
// cluster that the specs no longer render may be pruned.
func environmentGroups(set *specs.Set, cluster, environment string) []string {
	if environment == "" {
		return nil
	}
	var groups []string
	for _, g := range set.Groups {
		for _, e := range g.Environments {
			if e.Name == environment && slices.Contains(e.Clusters, cluster) {
				groups = append(groups, g.Path()+"/"+e.Name)
			}
		}
	}
	return groups
}

func findCluster(set *specs.Set, name string) *specs.Cluster {
	for _, c := range set.Clusters {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// newMarathonClient uses --marathon when given, else the Cluster spec's URLs;
// retries are printed to stderr as progress.
func newMarathonClient(a *app, cluster *specs.Cluster, retries int) (*marathon.Client, error) {
	urls := cluster.MarathonURLs
	if a.opts.marathon != "" {
		urls = splitURLs(a.opts.marathon)
	}
	if retries < 0 {
		return nil, fmt.Errorf("--retries %d: want 0 or more", retries)
	}
	c, err := a.newClient(clientSpec{urls: urls, cluster: cluster, agent: "pacer", retries: retries, progress: a.stderr})
	if err != nil {
		return nil, fmt.Errorf("marathon client: %w", err)
	}
	return c, nil
}

func progressPrinter(w io.Writer) func(reconciler.Progress) {
	return func(p reconciler.Progress) {
		switch p.Event {
		case "waiting":
			fmt.Fprintf(w, "waiting for %d deployment(s)\n", p.Pending)
		case "done":
			fmt.Fprintln(w, "deployments done")
		default:
			fmt.Fprintf(w, "%s %s %s %s\n", p.Event, p.Action, p.App, p.DeploymentID)
		}
	}
}

func firstEnv(keys ...string) string {
	for _, k := range keys {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return ""
}
