package conformance

import (
	"errors"
	"net/http"
	"testing"
	"time"

	marathon "github.com/gambol99/go-marathon"

	"pacer.dev/pacer/marathonsim"
)

const waitTimeout = 20 * time.Second

// received gathers the go-marathon events of a session by type.
type received struct {
	ch  marathon.EventsChannel
	got map[int][]*marathon.Event
}

// until returns the first event, received so far or next, with id that
// satisfies ok.
func (r *received) until(t *testing.T, id int, ok func(*marathon.Event) bool) *marathon.Event {
	t.Helper()
	for _, ev := range r.got[id] {
		if ok(ev) {
			return ev
		}
	}
	deadline := time.After(waitTimeout)
	for {
		select {
		case ev := <-r.ch:
			r.got[ev.ID] = append(r.got[ev.ID], ev)
			if ev.ID == id && ok(ev) {
				return ev
			}
		case <-deadline:
			t.Fatalf("go-marathon listener: no matching %d event within %v", id, waitTimeout)
			return nil
		}
	}
}

// TestGoMarathonSession drives the simulator with go-marathon v0.7.1 the way
// pacer does: groups and apps, waits, scaling, locked updates, tasks,
// events, deletes.
func TestGoMarathonSession(t *testing.T) {
	s := newSim(t, marathonsim.Options{})
	cfg := marathon.NewDefaultConfig()
	cfg.URL = s.url
	cfg.HTTPClient = s.hc
	cfg.EventsTransport = marathon.EventsTransportSSE
	cfg.PollingWaitTime = 10 * time.Millisecond
	client, err := marathon.NewClient(cfg)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	if ok, err := client.Ping(); !ok || err != nil {
		t.Fatalf("Ping = %v, %v", ok, err)
	}
	if info, err := client.Info(); err != nil || info.Name != "marathon" {
		t.Fatalf("Info = %+v, %v", info, err)
	}
	ch, err := client.AddEventsListener(marathon.EventIDDeploymentSuccess | marathon.EventIDStatusUpdate |
		marathon.EventIDAPIRequest | marathon.EventIDGroupChangeSuccess | marathon.EventIDDeploymentInfo |
		marathon.EventIDAppTerminated)
	if err != nil {
		t.Fatalf("AddEventsListener: %v", err)
	}
	defer client.RemoveEventsListener(ch)
	ev := &received{ch: ch, got: map[int][]*marathon.Event{}}

	// A group with two apps, one depending on the other.
	db := marathon.NewDockerApplication().Name("/session/db").Command("sleep 600").CPU(0.1).Memory(32).Count(1)
	db.Container = nil
	web := marathon.NewDockerApplication().Name("/session/web").Command("sleep 600").CPU(0.1).Memory(32).Count(2)
	web.Container = nil
	web.AddLabel("tier", "frontend")
	web.DependsOn("/session/db")
	group := &marathon.Group{ID: "/session", Apps: []*marathon.Application{db, web}}
	if err := client.CreateGroup(group); err != nil {
		t.Fatalf("CreateGroup: %v", err)
	}
	if err := client.WaitOnGroup("/session", waitTimeout); err != nil {
		t.Fatalf("WaitOnGroup: %v", err)
	}
	ev.until(t, marathon.EventIDGroupChangeSuccess, func(e *marathon.Event) bool {
		return e.Event.(*marathon.EventGroupChangeSuccess).GroupID == "/session"
	})
	if ok, err := client.HasGroup("/session"); !ok || err != nil {
		t.Errorf("HasGroup = %v, %v", ok, err)
	}
	g, err := client.Group("/session")
	if err != nil || len(g.Apps) != 2 {
		t.Fatalf("Group = %+v, %v; want 2 apps", g, err)
	}

	// A single app, waited for.
	api := marathon.NewDockerApplication().Name("/session/api").Command("sleep 600").CPU(0.1).Memory(32).Count(1)
	api.Container = nil
	created, err := client.CreateApplication(api)
	if err != nil {
		t.Fatalf("CreateApplication: %v", err)
	}
	if len(created.Deployments) != 1 {
		t.Errorf("created app deployments = %v, want its deployment id (§3)", created.Deployments)
	}
	if err := client.WaitOnApplication("/session/api", waitTimeout); err != nil {
		t.Fatalf("WaitOnApplication: %v", err)
	}
	post := ev.until(t, marathon.EventIDAPIRequest, func(e *marathon.Event) bool {
		return e.Event.(*marathon.EventAPIRequest).AppDefinition.ID == "/session/api"
	}).Event.(*marathon.EventAPIRequest)
	if post.AppDefinition.CPUs != 0.1 || post.AppDefinition.Mem == nil || *post.AppDefinition.Mem != 32 {
		t.Errorf("api_post_event appDefinition = %+v", post.AppDefinition)
	}
	if ok, err := client.ApplicationOK("/session/api"); !ok || err != nil {
		t.Errorf("ApplicationOK = %v, %v", ok, err)
	}

	// Scale and wait on the deployment.
	dep, err := client.ScaleApplicationInstances("/session/api", 3, false)
	if err != nil {
		t.Fatalf("ScaleApplicationInstances: %v", err)
	}
	if err := client.WaitOnDeployment(dep.DeploymentID, waitTimeout); err != nil {
		t.Fatalf("WaitOnDeployment(scale): %v", err)
	}
	ev.until(t, marathon.EventIDDeploymentSuccess, func(e *marathon.Event) bool {
		return e.Event.(*marathon.EventDeploymentSuccess).ID == dep.DeploymentID
	})
	tasks, err := client.Tasks("/session/api")
	if err != nil || len(tasks.Tasks) != 3 {
		t.Fatalf("Tasks = %+v, %v; want 3", tasks, err)
	}
	for _, task := range tasks.Tasks {
		if task.AppID != "/session/api" || task.Host == "" || task.StartedAt == "" || len(task.Ports) == 0 {
			t.Errorf("task decoded as %+v", task)
		}
	}
	running := ev.until(t, marathon.EventIDStatusUpdate, func(e *marathon.Event) bool {
		su := e.Event.(*marathon.EventStatusUpdate)
		return su.AppID == "/session/api" && su.TaskStatus == "TASK_RUNNING"
	}).Event.(*marathon.EventStatusUpdate)
	if running.TaskID == "" || running.Host == "" || running.Version == "" {
		t.Errorf("status_update_event decoded as %+v", running)
	}
	all, err := client.AllTasks(&marathon.AllTasksOpts{Status: "running"})
	if err != nil || len(all.Tasks) != 6 {
		t.Errorf("AllTasks(running) = %d tasks, %v; want 6", len(all.Tasks), err)
	}

	// A stuck deployment locks the app: an update without force gets 409,
	// with force it replaces the stuck deployment.
	s.control(http.MethodPost, "/faults", map[string]any{"stallDeployments": true})
	update := marathon.NewDockerApplication().Name("/session/api").Command("sleep 601")
	update.Container = nil
	stuck, err := client.UpdateApplication(update, false)
	if err != nil {
		t.Fatalf("UpdateApplication (first): %v", err)
	}
	update.Command("sleep 602")
	_, err = client.UpdateApplication(update, false)
	var apiErr *marathon.APIError
	if !errors.As(err, &apiErr) || (apiErr.ErrCode != marathon.ErrCodeAppLocked && apiErr.ErrCode != marathon.ErrCodeDuplicateID) {
		t.Fatalf("UpdateApplication while locked = %v, want a 409 APIError (§1 AppLockedException)", err)
	}
	forced, err := client.UpdateApplication(update, true)
	if err != nil {
		t.Fatalf("UpdateApplication(force): %v", err)
	}
	if ok, _ := client.HasDeployment(stuck.DeploymentID); ok {
		t.Errorf("forced update left the stuck deployment %s in place (§1 force)", stuck.DeploymentID)
	}
	s.control(http.MethodDelete, "/faults", nil)
	if err := client.WaitOnDeployment(forced.DeploymentID, waitTimeout); err != nil {
		t.Fatalf("WaitOnDeployment(forced): %v", err)
	}
	app, err := client.Application("/session/api")
	if err != nil || app.Cmd == nil || *app.Cmd != "sleep 602" || app.Instances == nil || *app.Instances != 3 {
		t.Errorf("after forced update: %+v, %v", app, err)
	}

	// Delete the app, then the group.
	del, err := client.DeleteApplication("/session/api", false)
	if err != nil {
		t.Fatalf("DeleteApplication: %v", err)
	}
	if err := client.WaitOnDeployment(del.DeploymentID, waitTimeout); err != nil {
		t.Fatalf("WaitOnDeployment(delete app): %v", err)
	}
	ev.until(t, marathon.EventIDAppTerminated, func(e *marathon.Event) bool {
		return e.Event.(*marathon.EventAppTerminated).AppID == "/session/api"
	})
	if _, err := client.Application("/session/api"); !errors.As(err, &apiErr) || apiErr.ErrCode != marathon.ErrCodeNotFound {
		t.Errorf("Application after delete = %v, want 404", err)
	}
	delGroup, err := client.DeleteGroup("/session", false)
	if err != nil {
		t.Fatalf("DeleteGroup: %v", err)
	}
	if err := client.WaitOnDeployment(delGroup.DeploymentID, waitTimeout); err != nil {
		t.Fatalf("WaitOnDeployment(delete group): %v", err)
	}
	if ok, err := client.HasGroup("/session"); ok || err != nil {
		t.Errorf("HasGroup after delete = %v, %v", ok, err)
	}
	if deps, err := client.Deployments(); err != nil || len(deps) != 0 {
		t.Errorf("Deployments at the end = %v, %v", deps, err)
	}
	if len(ev.got[marathon.EventIDDeploymentInfo]) == 0 {
		t.Error("no deployment_info event decoded by go-marathon")
	}
}
