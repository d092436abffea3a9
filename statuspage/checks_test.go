package statuspage

import (
	"strings"
	"testing"

	"pacer.dev/pacer/status"
)

// TestChecksOnThePage: a failing check makes an otherwise healthy app need
// attention, on the overview and its own page; the summary bar counts the
// failing checks; a follower (which runs no checks) says so instead of
// showing stale states; a runbook link that is not a URL is not a link.
func TestChecksOnThePage(t *testing.T) {
	app := status.App{ID: "/s/prod/web", ServiceGroup: "/s", Environment: "prod", Sync: status.Synced, Health: status.Healthy,
		HealthReason: status.ReasonAllTasksHealthy, Instances: 1, Running: 1, Healthy: 1, Wanted: intp(1)}
	cluster := func(leader bool) status.Cluster {
		apps := []status.App{app}
		return status.Cluster{Cluster: "ams", Ready: true, Leader: leader, LastPass: t0, Apps: apps, Summary: status.Summarize(apps)}
	}
	checks := func() []status.Check {
		return []status.Check{
			{ID: "/s/prod:http", Name: "http", Kind: "http", App: "/s/prod/web", State: status.CheckCritical, Since: t0, Runs: 2,
				Summary: "HTTP 503 from 1 of 1 tasks", Tip: "the web app answers 503", Runbook: "javascript:alert(1)"},
			{ID: "/s/prod:tcp", Name: "tcp", Kind: "tcp", App: "/s/prod/web", State: status.CheckOK, Runs: 2, Summary: "1 of 1 tasks OK"},
			{ID: "/s/prod:q", Name: "q", Kind: "prometheus", State: status.CheckUnknown, Runs: 1, Summary: "no data"},
		}
	}
	tests := []struct {
		name, target string
		leader       bool
		want, dont   []string
	}{
		{"overview on the leader", "/", true, []string{
			"1 of 1 apps need attention", `<li class="bad"><span aria-hidden="true">✗</span> 2 of 3 failing</li>`,
			`<h2 class="attention">Needs attention</h2>`, "1 of 2 failing", "<b>http</b>", "HTTP 503 from 1 of 1 tasks", "<b>q</b>", "no data",
		}, []string{"Healthy and in sync"}},
		{"only problems keeps the app", "/?problems=1", true, []string{"/s/prod/web</a></th>"}, nil},
		{"app page on the leader", "/apps/s/prod/web", true, []string{
			`<tr id="check:/s/prod:http" class="problem">`, "HTTP 503 from 1 of 1 tasks", "the web app answers 503", `href="#ZgotmplZ"`, "1 of 1 tasks OK",
		}, []string{"javascript:", "no data"}},
		{"overview on a follower", "/", false, []string{"known to the leader only", "0 of 1 apps need attention"}, []string{"failing", "HTTP 503"}},
		{"app page on a follower", "/apps/s/prod/web", false, []string{"Known to the leader only."}, []string{"HTTP 503"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newPage(t, cluster(tc.leader), func(o *Options) { o.Checks, o.Incidents, o.LB = checks, nil, nil })
			body := get(t, p.Handler(nil), tc.target).Body.String()
			for _, s := range tc.want {
				if !strings.Contains(body, s) {
					t.Errorf("GET %s lacks %q\n%s", tc.target, s, body)
				}
			}
			for _, s := range tc.dont {
				if strings.Contains(body, s) {
					t.Errorf("GET %s shows %q", tc.target, s)
				}
			}
		})
	}
}
