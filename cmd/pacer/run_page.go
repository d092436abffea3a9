package main

import (
	"fmt"
	"net/http"

	"pacer.dev/pacer/paging"
	"pacer.dev/pacer/status"
	"pacer.dev/pacer/statuspage"
)

// newStatusPage builds the status page served at / by pacer run and pacer
// dev: the operator's status, the leader's open incidents, the page's
// optional auth (--ui-auth-file).
func newStatusPage(authFile, marathonURL string, st func() status.Cluster, alerts *paging.Alerter) (*statuspage.Page, error) {
	o := statuspage.Options{Status: st, Incidents: alerts.Incidents, MarathonURL: marathonURL}
	if authFile != "" {
		auth, err := statuspage.LoadAuth(authFile)
		if err != nil {
			return nil, fmt.Errorf("run: --ui-auth-file: %w", err)
		}
		o.Auth = auth
	}
	return statuspage.New(o)
}

// withStatusPage serves the page's routes (/, /apps/..., /revision,
// /events, /assets/) and hands the rest to api.
func withStatusPage(page *statuspage.Page, api http.Handler) http.Handler { return page.Handler(api) }
