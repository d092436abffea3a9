package operator

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"pacer.dev/pacer/internal/marathon"
	"pacer.dev/pacer/reconciler/reconcilertest"
)

// runtimeMarathon adds what the fake leaves out: deployment versions, a
// launch queue entry and a last task failure.
type runtimeMarathon struct {
	*reconcilertest.FakeMarathon
	deployments []marathon.Deployment
	failure     *marathon.TaskFailure
}

func (m *runtimeMarathon) ListApps(ctx context.Context) ([]marathon.App, error) {
	apps, err := m.FakeMarathon.ListApps(ctx)
	for i := range apps {
		if apps[i].ID == api {
			apps[i].LastTaskFailure = m.failure
		}
	}
	return apps, err
}

func (m *runtimeMarathon) Deployments(ctx context.Context) ([]marathon.Deployment, error) {
	if _, err := m.FakeMarathon.Deployments(ctx); err != nil {
		return nil, err
	}
	return m.deployments, nil
}

func TestPassReadsDeploymentsAndQueueOnce(t *testing.T) {
	fm := reconcilertest.NewFakeMarathon()
	fm.Queued = []marathon.QueueItem{{AppID: strings.TrimPrefix(api, "/"), Count: 2, Delayed: true, TimeLeftSeconds: 30,
		Since: "2025-03-01T11:58:00.000Z", ProcessedOffers: 10, UnusedOffers: 10}}
	m := &runtimeMarathon{FakeMarathon: fm,
		deployments: []marathon.Deployment{{ID: "d-1", Version: "2025-03-01T11:30:00.000Z", AffectedApps: []string{api, worker},
			CurrentStep: 1, TotalSteps: 2, CurrentActions: []marathon.Action{{Action: "RestartApplication", App: api}, {Type: "ScaleApplication", App: worker}}}},
		failure: &marathon.TaskFailure{TaskID: "api.1", State: "TASK_FAILED", Message: "exit 1", Timestamp: "2025-03-01T11:59:00.000Z"},
	}
	h := newHarness(t, m, nil)
	h.start()
	first := h.pass()

	// The first pass creates the apps: Marathon accepted these writes.
	var applied []string
	for _, c := range first.Applied {
		applied = append(applied, c.Action+" "+c.App+" "+c.Revision)
		if c.DeploymentID == "" || !c.At.Equal(h.clock.Now()) {
			t.Errorf("applied change lacks its deployment or time: %+v", c)
		}
	}
	if diff := cmp.Diff([]string{"create " + api + " rev1", "create " + worker + " rev1"}, applied); diff != "" {
		t.Errorf("applied (-want +got):\n%s", diff)
	}

	h.clock.Advance(time.Minute) // the interval pass: nothing to write
	st := h.pass()
	if len(st.Applied) != 0 {
		t.Errorf("applied in a pass without writes: %+v", st.Applied)
	}
	a := appsByID(st)[api]
	want := AppStatus{
		RunningDeployments: []DeploymentStatus{{ID: "d-1", Started: time.Date(2025, 3, 1, 11, 30, 0, 0, time.UTC), AffectedApps: 2,
			CurrentStep: 1, TotalSteps: 2, Actions: []string{"RestartApplication"}}},
		LaunchQueue: &LaunchQueueStatus{Count: 2, Delayed: true, DelayLeft: 30 * time.Second,
			Since: time.Date(2025, 3, 1, 11, 58, 0, 0, time.UTC), ProcessedOffers: 10, UnusedOffers: 10},
		LastTaskFailure: "TASK_FAILED exit 1", LastTaskFailureAt: time.Date(2025, 3, 1, 11, 59, 0, 0, time.UTC),
		LastTaskFailureTask: "api.1",
	}
	got := AppStatus{RunningDeployments: a.RunningDeployments, LaunchQueue: a.LaunchQueue, LastTaskFailure: a.LastTaskFailure,
		LastTaskFailureAt: a.LastTaskFailureAt, LastTaskFailureTask: a.LastTaskFailureTask}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("runtime of %s (-want +got):\n%s", api, diff)
	}
	// The worker shares the deployment, with its own action (Marathon's
	// older "type" field), and not api's queue entry.
	if w := appsByID(st)[worker]; w.LaunchQueue != nil || len(w.RunningDeployments) != 1 ||
		!cmp.Equal(w.RunningDeployments[0].Actions, []string{"ScaleApplication"}) {
		t.Errorf("worker's runtime: %+v", w)
	}

	// Reads per pass stay constant in the number of apps.
	count := map[string]int{}
	for _, c := range fm.Calls() {
		count[strings.Fields(c)[0]]++
	}
	if diff := cmp.Diff(map[string]int{"ListApps": 2, "Deployments": 2, "Queue": 2, "PutApp": 2}, count); diff != "" {
		t.Errorf("Marathon calls in two passes (-want +got):\n%s", diff)
	}
}
