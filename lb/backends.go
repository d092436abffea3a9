package lb

import (
	"cmp"
	"context"
	"slices"

	"github.com/gambol99/go-marathon"
	"github.com/go-logr/logr"
)

// Flavor selects whose label semantics Backends follows.
type Flavor string

const (
	// FlavorNixy: NIXY_REALM, subdomain / moxy_subdomain, NIXY_PROTOCOL. One
	// HTTP backend per app (port index 0), or one stream backend per port.
	FlavorNixy Flavor = "nixy"
	// FlavorMarathonLB: HAPROXY_GROUP and HAPROXY_{n}_* labels. One backend
	// per app port.
	FlavorMarathonLB Flavor = "marathon-lb"
)

// SelectOptions configure Backends. They are configuration only; state that
// lives across passes is in HealthMemory.
type SelectOptions struct {
	// Flavor is whose labels to follow; empty means FlavorNixy.
	Flavor Flavor
	// Realm (nixy): when set, only apps whose NIXY_REALM label equals it are
	// served; when empty, all apps.
	Realm string
	// Groups (marathon-lb --group): apps whose HAPROXY_GROUP (or
	// HAPROXY_{n}_GROUP) lists one of them; "*" serves every app.
	Groups []string
	// StrictMode (marathon-lb --strict-mode): a port is served only when
	// HAPROXY_{n}_ENABLED=true.
	StrictMode bool
	// Leaving, when set, reports tasks known to be on their way out (a kill
	// requested during a deployment) before Marathon shows TASK_KILLING.
	Leaving func(taskID string) bool
}

// Backends selects what the load balancer serves from Marathon apps with
// their tasks (GET /v2/apps?embed=apps.tasks). It is pure apart from health,
// which may be nil (no grace for missing health results).
//
// A bad app (invalid id or label) is skipped with a Problem and a V(1) log line;
// it never blocks the others. Backends and their servers are sorted, so the
// same input always gives the same output.
func Backends(ctx context.Context, apps []marathon.Application, opts SelectOptions, health *HealthMemory) Selection {
	log := logr.FromContextOrDiscard(ctx)
	pass := health.begin()
	filter := taskFilter{health: pass, leaving: opts.Leaving}

	order := make([]int, len(apps))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(apps[a].ID, apps[b].ID) })

	var sel Selection
	for _, i := range order {
		app := &apps[i]
		if err := validAppID(app.ID); err != nil {
			sel.Problems = append(sel.Problems, Problem{Kind: ProblemSkipped, AppID: app.ID, PortIndex: -1, Reason: err.Error()})
			continue
		}
		var bs []Backend
		var probs []Problem
		if opts.Flavor == FlavorMarathonLB {
			bs, probs = marathonLBBackends(app, opts, filter)
		} else {
			bs, probs = nixyBackends(app, opts, filter)
		}
		sel.Backends = append(sel.Backends, bs...)
		sel.Problems = append(sel.Problems, probs...)
	}
	pass.end()

	slices.SortFunc(sel.Backends, func(a, b Backend) int { return cmp.Compare(a.Name, b.Name) })
	sel.Backends, sel.Problems = dedupe(sel.Backends, sel.Problems)
	// The pipeline reports each problem once at error level (problemLog);
	// here every call, for debugging.
	for _, p := range sel.Problems {
		log.V(1).Info("Load balancer problem", "app", p.AppID, "port", p.PortIndex, "kind", p.Kind, "reason", p.Reason)
	}
	return sel
}

func appLabels(app *marathon.Application) map[string]string {
	if app.Labels == nil {
		return nil
	}
	return *app.Labels
}

func sortServers(s []Server) {
	slices.SortFunc(s, func(a, b Server) int {
		return cmp.Or(cmp.Compare(a.Host, b.Host), cmp.Compare(a.Port, b.Port), cmp.Compare(a.TaskID, b.TaskID))
	})
}
