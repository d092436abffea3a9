package paging

import (
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/google/go-cmp/cmp"

	"pacer.dev/pacer/alerting"
	"pacer.dev/pacer/election/zktest"
)

const prodAPI = "/services/web/production/api"

// TestZKStoreSurvivesLeaderChange: what one leader saves in ZooKeeper
// (next to the election znode, as --zk makes pacer run do) the next
// leader, on its own session, loads, so it neither pages again nor
// forgets to resolve, and sends the change events still pending.
func TestZKStoreSurvivesLeaderChange(t *testing.T) {
	t.Parallel()
	zk := zktest.Start(t)
	first, err := NewZKStore([]string{zk.Addr()}, "/pacer/ams/alerting", 2*time.Second, logr.Discard())
	if err != nil {
		t.Fatal(err)
	}
	if saved, err := first.Load(t.Context()); err != nil || saved.Open != nil || saved.Changes != nil {
		t.Fatalf("empty store: %v %v", saved, err)
	}
	since := time.Date(2025, 3, 4, 3, 0, 0, 0, time.UTC)
	open := []alerting.Open{{Condition: alerting.Unhealthy, Cluster: "ams", App: prodAPI, Route: alerting.KeyRef{FromEnv: "PD_WEB_PROD"},
		Severity: alerting.SeverityCritical, Summary: prodAPI + ": 1 of 2 tasks unhealthy for 5m on ams", Since: since}}
	changes := []alerting.Change{{Route: alerting.KeyRef{FromEnv: "PD_WEB_PROD"}, Cluster: "ams", App: prodAPI, Action: "scale",
		DeploymentID: "d1", Revision: "r2", PreviousRevision: "r1", What: []string{"instances: 2 → 3"}, At: since}}
	want := alerting.Persisted{Open: open, Changes: changes}
	for _, save := range []alerting.Persisted{{}, want} { // creates, then updates the znode
		if err := first.Save(t.Context(), save); err != nil {
			t.Fatal(err)
		}
	}
	first.Close() // the old leader is gone

	next, err := NewZKStore([]string{zk.Addr()}, "/pacer/ams/alerting", 2*time.Second, logr.Discard())
	if err != nil {
		t.Fatal(err)
	}
	defer next.Close()
	got, err := next.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the next leader loaded (-want +got):\n%s", diff)
	}
}
