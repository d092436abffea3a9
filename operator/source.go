package operator

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/go-logr/logr"

	"pacer.dev/pacer/reconciler"
	"pacer.dev/pacer/specs"
)

// syncSource fetches the newest revision and loads it when it is new. A
// revision that fails to load keeps the last good one in force. It returns
// when to retry a failed sync (zero when it did not fail).
func (o *Operator) syncSource(ctx context.Context) (retryAt time.Time) {
	log := logr.FromContextOrDiscard(ctx)
	rev, err := o.opts.Source.Sync(ctx)
	now := o.opts.Clock.Now()
	if err != nil {
		if ctx.Err() != nil {
			return time.Time{}
		}
		o.sourceErr = err
		retryAt = o.passes.fail("source", now)
		log.Error(err, "Spec source sync failed; the last good revision stays in force", "revision", o.goodID(), "retryAt", retryAt)
	} else {
		o.sourceErr = nil
		o.passes.succeed("source")
	}
	if rev.ID == "" || rev.FS == nil {
		return retryAt
	}
	if o.good != nil && rev.ID == o.good.rev.ID {
		o.invalid = nil // the branch went back to the revision in force
		return retryAt
	}
	if o.invalid != nil && rev.ID == o.invalid.ID {
		return retryAt
	}
	l, err := o.load(rev, now)
	o.opts.Metrics.revision(o.goodID(), err != nil)
	if err != nil {
		o.invalid = &InvalidRevision{ID: rev.ID, Subject: rev.Subject, Error: err.Error(), Since: now}
		log.Error(err, "Spec revision is invalid; the last good revision stays in force", "revision", rev.ID, "inForce", o.goodID())
		return retryAt
	}
	o.good, o.invalid = l, nil
	o.opts.Metrics.revision(l.rev.ID, false)
	log.Info("Loaded spec revision", "revision", rev.ID, "subject", rev.Subject, "apps", len(l.apps))
	return retryAt
}

func (o *Operator) goodID() string {
	if o.good == nil {
		return ""
	}
	return o.good.rev.ID
}

// load reads, validates and renders rev for the cluster.
func (o *Operator) load(rev Revision, now time.Time) (*loaded, error) {
	set, err := specs.Load(rev.FS)
	if err != nil && !errors.Is(err, specs.ErrInvalid) {
		return nil, fmt.Errorf("read spec tree: %w", err)
	}
	if err := set.Validate(); err != nil {
		return nil, err
	}
	i := slices.IndexFunc(set.Clusters, func(c *specs.Cluster) bool { return c.Name == o.opts.Cluster })
	if i < 0 {
		return nil, fmt.Errorf("cluster %q is not defined in the specs", o.opts.Cluster)
	}
	cluster := set.Clusters[i]
	apps, err := set.Render(o.opts.Cluster, o.opts.Environment)
	if err != nil {
		return nil, fmt.Errorf("render for cluster %s: %w", o.opts.Cluster, err)
	}
	l := &loaded{rev: rev, at: now, apps: apps, policy: map[string]string{}, byID: map[string]*specs.App{},
		lbs: &reconciler.LoadBalancers{Cluster: cluster.Name, NixyRealms: cluster.NixyRealms, HAProxyGroups: cluster.HAProxyGroups}}
	for _, g := range set.Groups {
		for _, e := range g.Environments {
			if !slices.Contains(e.Clusters, o.opts.Cluster) || (o.opts.Environment != "" && e.Name != o.opts.Environment) {
				continue
			}
			l.policy[e.Path()] = e.Sync.Policy
			if e.Sync.Prune {
				l.prune = append(l.prune, e.Path())
			}
		}
	}
	l.desired = make([]reconciler.DesiredApp, len(apps))
	loc := specs.NewLocator(rev.FS) // places Marathon's 422s at spec lines
	for i := range apps {
		a := &apps[i]
		l.byID[a.ID] = a
		l.desired[i] = reconciler.DesiredApp{
			ID: a.ID, Definition: a.Definition, IgnoreDifferences: a.IgnoreDifferences,
			Source: a.Source.String(), Revision: rev.ID, ShowEnv: a.ShowEnv, Locate: loc.Locate(*a),
		}
	}
	return l, nil
}

// policyOf returns the sync policy of the environment app id belongs to.
func (l *loaded) policyOf(id string) string {
	if a := l.byID[id]; a != nil {
		return a.Sync.Policy
	}
	for g, p := range l.policy {
		if len(id) > len(g) && id[:len(g)] == g && id[len(g)] == '/' {
			return p
		}
	}
	return ""
}
