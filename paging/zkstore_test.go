package paging

import (
	"context"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-zookeeper/zk"
	"github.com/google/go-cmp/cmp"

	"pacer.dev/pacer/alerting"
	"pacer.dev/pacer/election"
	"pacer.dev/pacer/election/zktest"
)

const prodAPI = "/services/web/production/api"

// startElector runs an elector whose leader work lasts until the test
// ends, whatever happens to its term (a deposed leader that still writes);
// the channel says when it is elected.
func startElector(t *testing.T, server, id string) (*election.Elector, <-chan struct{}) {
	t.Helper()
	e, err := election.New(election.Options{Servers: []string{server}, Path: "/pacer/ams", ID: id,
		SessionTimeout: 2 * time.Second, RetryInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	elected := make(chan struct{}, 1)
	release := make(chan struct{})
	ctx, cancel := context.WithCancel(logr.NewContext(t.Context(), logr.Discard()))
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = e.Run(ctx, func(context.Context) {
			elected <- struct{}{}
			<-release
		})
	}()
	t.Cleanup(func() {
		close(release)
		cancel()
		<-done
	})
	return e, elected
}

func waitElected(t *testing.T, elected <-chan struct{}, who string) {
	t.Helper()
	select {
	case <-elected:
	case <-time.After(15 * time.Second):
		t.Fatalf("%s not elected", who)
	}
}

// TestZKStoreSurvivesLeaderChange: what one leader saves in ZooKeeper on
// its election session the next leader, on its own, loads, so it neither
// pages again nor forgets to resolve, and sends the change events still
// pending; the deposed leader, still running, cannot overwrite what its
// successor saved.
func TestZKStoreSurvivesLeaderChange(t *testing.T) {
	t.Parallel()
	srv := zktest.Start(t)
	a, aElected := startElector(t, srv.Addr(), "a")
	waitElected(t, aElected, "a")
	b, bElected := startElector(t, srv.Addr(), "b")

	first := NewZKStore(a, "/pacer/ams/alerting")
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
	follower := NewZKStore(b, "/pacer/ams/alerting")
	if err := follower.Save(t.Context(), alerting.Persisted{}); err == nil {
		t.Error("a follower saved the incident state")
	}

	// a is deposed at the server (its election znode goes, as with an
	// expired session) while its work still runs.
	admin, _, err := zk.Connect([]string{srv.Addr()}, 2*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if err := admin.Delete(a.Status().Node, -1); err != nil {
		t.Fatal(err)
	}
	waitElected(t, bElected, "b")

	next := NewZKStore(b, "/pacer/ams/alerting")
	got, err := next.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the next leader loaded (-want +got):\n%s", diff)
	}
	resolved := alerting.Persisted{Open: []alerting.Open{}, Changes: changes}
	if err := next.Save(t.Context(), resolved); err != nil {
		t.Fatal(err)
	}
	if err := first.Save(t.Context(), want); err == nil {
		t.Error("the deposed leader overwrote its successor's state")
	}
	got, err = NewZKStore(b, "/pacer/ams/alerting").Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(resolved, got); diff != "" {
		t.Errorf("stored after the deposed leader's write (-want +got):\n%s", diff)
	}
}
