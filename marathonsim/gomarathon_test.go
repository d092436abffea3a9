package marathonsim_test

import (
	"net/http/httptest"
	"testing"
	"time"

	marathon "github.com/gambol99/go-marathon"

	"pacer.dev/pacer/marathonsim"
)

// TestGoMarathonSession drives the simulator with the go-marathon v0.7.1
// client the way pacer does: group, apps, deployments, scale, update with
// and without force, tasks, SSE events, delete.
func TestGoMarathonSession(t *testing.T) {
	if testing.Short() {
		t.Skip("real HTTP with go-marathon's own polling")
	}
	sim, err := marathonsim.New(marathonsim.Options{TaskStart: 10 * time.Millisecond, CPUs: 4})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(func() { _ = sim.Close(); srv.Close() })
	cfg := marathon.NewDefaultConfig()
	cfg.URL = srv.URL
	cfg.EventsTransport = marathon.EventsTransportSSE
	client, err := marathon.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := client.AddEventsListener(marathon.EventIDApplications | marathon.EventIDDeploymentSuccess | marathon.EventIDDeploymentFailed)
	if err != nil {
		t.Fatal(err)
	}
	defer client.RemoveEventsListener(evs)

	g := marathon.NewApplicationGroup("/shop")
	db := marathon.NewDockerApplication().Name("/shop/db").CPU(0.5).Memory(64).Count(1)
	db.Cmd = ptr("sleep 1000")
	db.Container = nil
	web := marathon.NewDockerApplication().Name("/shop/web").CPU(0.5).Memory(64).Count(2)
	web.Cmd = ptr("sleep 1000")
	web.Container = nil
	web.DependsOn("/shop/db")
	web.AddLabel("managed-by", "pacer")
	g.App(db).App(web)
	if err := client.CreateGroup(g); err != nil {
		t.Fatalf("create group: %v", err)
	}
	if err := client.WaitOnGroup("/shop", 10*time.Second); err != nil {
		t.Fatalf("wait on group: %v", err)
	}
	app, err := client.Application("/shop/web")
	if err != nil {
		t.Fatal(err)
	}
	if app.TasksRunning != 2 || len(app.Tasks) != 2 || (*app.Labels)["managed-by"] != "pacer" {
		t.Errorf("web: running %d, tasks %d, labels %v", app.TasksRunning, len(app.Tasks), app.Labels)
	}

	dep, err := client.ScaleApplicationInstances("/shop/web", 3, false)
	if err != nil {
		t.Fatalf("scale: %v", err)
	}
	if err := client.WaitOnDeployment(dep.DeploymentID, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	tasks, err := client.Tasks("/shop/web")
	if err != nil || len(tasks.Tasks) != 3 {
		t.Fatalf("tasks after scale: %v, %v", tasks, err)
	}

	// An update that cannot finish (no capacity) locks the app.
	big := &marathon.Application{ID: "/shop/web"}
	big.CPU(8)
	if _, err := client.UpdateApplication(big, false); err != nil {
		t.Fatalf("update: %v", err)
	}
	small := &marathon.Application{ID: "/shop/web"}
	small.CPU(0.25)
	_, err = client.UpdateApplication(small, false)
	if apiErr, ok := err.(*marathon.APIError); !ok || apiErr.ErrCode != marathon.ErrCodeAppLocked {
		t.Fatalf("update of a locked app: %v, want ErrCodeAppLocked", err)
	}
	dep, err = client.UpdateApplication(small, true)
	if err != nil {
		t.Fatalf("forced update: %v", err)
	}
	if err := client.WaitOnDeployment(dep.DeploymentID, 10*time.Second); err != nil {
		t.Fatal(err)
	}

	if _, err := client.DeleteGroup("/shop", true); err != nil {
		t.Fatalf("delete group: %v", err)
	}
	if ok, _ := client.HasGroup("/shop"); ok {
		t.Error("group still there after delete")
	}

	seen := map[string]bool{}
	timeout := time.After(10 * time.Second)
	for !(seen["deployment_success"] && seen["deployment_failed"] && seen["app_terminated_event"]) {
		select {
		case e := <-evs:
			seen[e.Name] = true
		case <-timeout:
			t.Fatalf("events seen %v; want deployment_success, deployment_failed, app_terminated_event", seen)
		}
	}
}

func ptr[T any](v T) *T { return &v }
