package main

import (
	"fmt"
	"net/http"

	"pacer.dev/pacer/checks"
	"pacer.dev/pacer/lb"
	"pacer.dev/pacer/paging"
	"pacer.dev/pacer/status"
	"pacer.dev/pacer/statuspage"
)

// newStatusPage builds the status page served at / by pacer run and pacer
// dev: the operator's status, the leader's open incidents and custom
// checks, the page's optional auth (--ui-auth-file).
func newStatusPage(authFile, marathonURL string, st func() status.Cluster, alerts *paging.Alerter, lbp *lb.Pipeline, cs *checks.Service) (*statuspage.Page, error) {
	o := statuspage.Options{Status: st, Incidents: alerts.Incidents, MarathonURL: marathonURL}
	if cs != nil {
		o.Checks = func() []status.Check {
			states, _ := cs.Snapshot()
			return checks.Records(states)
		}
	}
	if lbp != nil {
		o.LB = func() *status.LB { return lbStatus(lbp.LastStatus()) }
	}
	if authFile != "" {
		auth, err := statuspage.LoadAuth(authFile)
		if err != nil {
			return nil, fmt.Errorf("run: --ui-auth-file: %w", err)
		}
		o.Auth = auth
	}
	return statuspage.New(o)
}

// lbStatus maps the LB pipeline's last run for the page (nil before the
// first run).
func lbStatus(s lb.Status) *status.LB {
	if s.At.IsZero() {
		return nil
	}
	out := &status.LB{At: s.At, Backends: s.Backends, Servers: s.Servers, ConfigInvalid: s.ConfigInvalid, ReloadFailed: s.ReloadFailed()}
	if s.Err != nil {
		out.Error = s.Err.Error()
	}
	for _, p := range s.Problems {
		if out.Problems == nil {
			out.Problems = map[string][]string{}
		}
		text := string(p.Kind) + ": " + p.Reason
		if p.PortIndex >= 0 {
			text += fmt.Sprintf(" (port index %d)", p.PortIndex)
		}
		if p.KeptBy != "" {
			text += ", kept by " + p.KeptBy
		}
		out.Problems[p.AppID] = append(out.Problems[p.AppID], text)
	}
	return out
}

// withStatusPage serves the page's routes (/, /apps/..., /revision,
// /events, /assets/) and hands the rest to api.
func withStatusPage(page *statuspage.Page, api http.Handler) http.Handler { return page.Handler(api) }
