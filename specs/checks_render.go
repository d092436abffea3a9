package specs

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
)

// Env vars pacer sets on an app whose tasks run exec checks (its command is
// pacer agent): the checks as a JSON list of Check, and its hash. They are
// part of the rendered definition, so a change of checks is an ordinary
// deployment shown in the plan.
const (
	EnvAgentChecks     = "PACER_CHECKS"
	EnvAgentChecksHash = "PACER_CHECKS_HASH"
)

// Checks returns the enabled checks of cluster, sorted by ID: every
// environment deployed there, or only environment when it is not empty. It
// fails like Render.
func (s *Set) Checks(cluster, environment string) ([]Check, error) {
	if _, err := s.Render(cluster, environment); err != nil {
		return nil, err
	}
	var out []Check
	for _, g := range s.Groups {
		for _, e := range g.Environments {
			if (environment != "" && e.Name != environment) || !slices.Contains(e.Clusters, cluster) {
				continue
			}
			for _, c := range g.Checks {
				if rc, ok := renderCheck(g, e, c, cluster); ok {
					out = append(out, rc)
				}
			}
		}
	}
	slices.SortFunc(out, func(x, y Check) int { return strings.Compare(x.ID, y.ID) })
	return out, nil
}

// renderCheck applies e's override to c; ok is false when c is disabled in e.
func renderCheck(g *ServiceGroup, e *Environment, c *CheckSpec, cluster string) (Check, bool) {
	st := c.Settings
	if o, ok := c.Overrides[e.Name]; ok {
		if o.Enabled != nil {
			st.Enabled = *o.Enabled
		}
		if o.Page != nil {
			st.Page = *o.Page
		}
		if o.Interval != nil {
			st.Interval = *o.Interval
		}
		if o.For != nil {
			st.For = *o.For
		}
		if o.ClearFor != nil {
			st.ClearFor = *o.ClearFor
		}
	}
	if !st.Enabled {
		return Check{}, false
	}
	urgency := ""
	if e.Alerting != nil {
		urgency = e.Alerting.Urgency
	} else {
		st.Page = false
	}
	out := Check{
		ID:           CheckID(e.Path(), c.Name),
		Name:         c.Name,
		Kind:         c.Kind,
		ServiceGroup: g.Path(),
		Environment:  e.Name,
		Group:        e.Path(),
		Cluster:      cluster,
		Settings:     st,
		Tip:          c.Tip,
		Runbook:      c.Runbook,
		Urgency:      urgency,
		Source:       c.Source,
	}
	switch {
	case c.Exec != nil:
		x := *c.Exec
		x.App = joinID(e.Path(), x.App)
		x.Command = slices.Clone(x.Command)
		out.Exec = &x
	case c.Probe != nil:
		p := *c.Probe
		if p.App != "" {
			p.App = joinID(e.Path(), p.App)
		}
		p.ExpectStatus = slices.Clone(p.ExpectStatus)
		out.Probe = &p
	case c.Query != nil:
		q := *c.Query
		out.Query = &q
	}
	return out, true
}

// agentChecks returns the exec checks app a runs in e on cluster, or nil.
func agentChecks(g *ServiceGroup, e *Environment, a *AppSpec, cluster string) []Check {
	var out []Check
	for _, c := range g.Checks {
		if c.Exec == nil || c.Exec.App != a.Name {
			continue
		}
		if rc, ok := renderCheck(g, e, c, cluster); ok {
			out = append(out, rc)
		}
	}
	return out
}

// AgentEnv returns the values of EnvAgentChecks and EnvAgentChecksHash for
// checks: the JSON list of what an agent needs to run them, and the hex
// SHA-256 of it. What only the leader reads (source position, tip,
// runbook, paging) is left out, so editing it, or a line above the check,
// does not redeploy the agent's app.
func AgentEnv(checks []Check) (list, hash string) {
	view := make([]Check, len(checks))
	for i, c := range checks {
		c.Source, c.Tip, c.Runbook, c.Urgency, c.Settings.Page = Source{}, "", "", "", false
		view[i] = c
	}
	checks = view
	// Check holds only strings, numbers, bools and slices of them:
	// marshalling it cannot fail.
	b, _ := json.Marshal(checks)
	sum := sha256.Sum256(b)
	return string(b), hex.EncodeToString(sum[:])
}

// withAgentEnv returns m with the agent's env vars added when a runs exec
// checks in e; m itself is not changed.
func withAgentEnv(m map[string]any, g *ServiceGroup, e *Environment, a *AppSpec, cluster string) map[string]any {
	checks := agentChecks(g, e, a, cluster)
	if len(checks) == 0 {
		return m
	}
	list, hash := AgentEnv(checks)
	out := make(map[string]any, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	env := map[string]any{}
	for k, v := range asMap(m["env"]) {
		env[k] = v
	}
	env[EnvAgentChecks] = list
	env[EnvAgentChecksHash] = hash
	out["env"] = env
	return out
}

// runsExecChecks reports whether app a runs exec checks of g (in some
// environment).
func runsExecChecks(g *ServiceGroup, a *AppSpec) bool {
	for _, c := range g.Checks {
		if c.Exec != nil && c.Exec.App == a.Name {
			return true
		}
	}
	return false
}
