package paging

import (
	"maps"
	"strings"

	"pacer.dev/pacer/alerting"
	"pacer.dev/pacer/checks"
	"pacer.dev/pacer/status"
)

// CheckStatus is what paging reads of the custom checks after a cycle:
// every check's record in the status model, and the agent apps whose
// results could not be read.
type CheckStatus struct {
	States []status.Check
	Stale  []checks.Stale
}

// WatchChecks adds the custom checks' conditions (CheckSignals) to every
// pass the leader observes; last returns their latest state.
func (al *Alerter) WatchChecks(last func() CheckStatus) { al.checkStatus = last }

// CheckSignals maps check states to conditions: CheckFailed for a hard
// WARNING or CRITICAL, CheckUnknown for a hard UNKNOWN, one CheckAgentStale
// per agent app whose running tasks do not answer (its exec checks are not
// judged, so a dead checks app pages once instead of once per check; an
// app with no running task pages through its own conditions). While Marathon is
// unreachable no check signals at all: the task list the probes and the
// agents' addresses come from is unknown. A check with page false, or in an
// environment that does not page, is tracked and never sent. It is pure.
func CheckSignals(in Input, st status.Cluster, cs CheckStatus) []alerting.Signal {
	if st.MarathonError != "" {
		return nil
	}
	// The environment's alerting is read from its apps' status: every
	// environment with checks has apps.
	envs := map[string]status.App{}
	for _, a := range st.Apps {
		if _, ok := envs[a.Group]; !ok {
			envs[a.Group] = a
		}
	}
	policies := map[string]*alerting.Policy{}
	policy := func(group string) *alerting.Policy {
		a, ok := envs[group]
		if !ok {
			return nil
		}
		return policyOf(policies, a.Group, a.Environment, a.Alerting)
	}
	var out []alerting.Signal
	skip := map[string]bool{}
	for _, s := range cs.Stale {
		for _, id := range s.Checks {
			skip[id] = true
		}
		if s.Running == 0 {
			continue // a missing or stopped app pages as such (Underprovisioned, ...)
		}
		group := s.App[:max(strings.LastIndex(s.App, "/"), 0)]
		a := envs[group]
		out = append(out, alerting.Signal{Condition: alerting.CheckAgentStale, Cluster: in.Cluster, App: s.App,
			Group: a.ServiceGroup, Environment: a.Environment, Policy: policy(group),
			Details: alerting.Details{Message: s.Reason, Extra: map[string]string{"checks": strings.Join(s.Checks, ", ")}}})
	}
	for _, c := range cs.States {
		if skip[c.ID] || !c.Failing() {
			continue // OK, or no result yet
		}
		cond := alerting.CheckFailed
		if c.State == status.CheckUnknown {
			cond = alerting.CheckUnknown
		}
		var p *alerting.Policy
		if c.Page {
			p = checkPolicy(policy(c.Group), c.State)
		}
		extra := map[string]string{alerting.DetailState: string(c.State), "check": c.Name, "kind": c.Kind}
		for k, v := range map[string]string{"tip": c.Tip, alerting.DetailRunbook: c.Runbook, "task": c.Task, alerting.DetailTarget: c.App} {
			if v != "" {
				extra[k] = v
			}
		}
		a := envs[c.Group]
		out = append(out, alerting.Signal{Condition: cond, Cluster: in.Cluster, App: c.ID, Group: a.ServiceGroup,
			Environment: c.Environment, Policy: p,
			Details: alerting.Details{Message: c.Summary, Revision: a.SpecRevision, Extra: extra}})
	}
	return out
}

// checkPolicy is the environment's policy with the severity of the exit
// code: WARNING pages as warning, CRITICAL as critical at high urgency
// (low urgency and test environments stay at warning, as every condition).
func checkPolicy(env *alerting.Policy, st status.CheckState) *alerting.Policy {
	if env == nil {
		return nil
	}
	p := *env
	p.Severity = maps.Clone(env.Severity)
	if p.Severity == nil {
		p.Severity = map[alerting.Condition]alerting.Severity{}
	}
	switch {
	case st == status.CheckWarning:
		p.Severity[alerting.CheckFailed] = alerting.SeverityWarning
	case st == status.CheckCritical && p.Urgency == alerting.UrgencyHigh:
		p.Severity[alerting.CheckFailed] = alerting.SeverityCritical
	}
	return &p
}
