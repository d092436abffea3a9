package reconciler

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"pacer.dev/pacer/internal/marathon"
	"pacer.dev/pacer/marathonsim"
	"pacer.dev/pacer/reconciler/reconcilertest"
)

// simClient starts a recorded simulator and a client for it whose retries
// do not wait.
func simClient(t *testing.T, opts marathonsim.Options) (*reconcilertest.Sim, *marathon.Client) {
	t.Helper()
	sim := reconcilertest.NewSim(t, opts)
	c, err := marathon.New(marathon.Options{URLs: []string{sim.URL}, Retry: marathon.Retry{Attempts: 5, Initial: time.Millisecond, Max: 5 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	return sim, c
}

var simApply = ApplyOptions{Wait: true, PollInterval: 5 * time.Millisecond, WaitTimeout: 30 * time.Second}

// converge plans desired against the simulator and applies the plan.
func converge(t *testing.T, c *marathon.Client, desired []DesiredApp, popts PlanOptions) *Plan {
	t.Helper()
	p := planSim(t, c, desired, popts)
	if _, err := Apply(t.Context(), c, p, simApply); err != nil {
		t.Fatalf("apply: %v\nplan:\n%s", err, p)
	}
	return p
}

func liveApp(t *testing.T, c *marathon.Client, id string) marathon.App {
	t.Helper()
	apps, err := c.ListApps(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range apps {
		if a.ID == id {
			return a
		}
	}
	t.Fatalf("app %s not in Marathon", id)
	return marathon.App{}
}

func taskIDs(a marathon.App) []string {
	var ids []string
	for _, t := range a.Tasks {
		ids = append(ids, t.ID)
	}
	slices.Sort(ids)
	return ids
}

func TestSimScaleOnly(t *testing.T) {
	sim, c := simClient(t, marathonsim.Options{})
	converge(t, c, []DesiredApp{desiredApp("/s/web", `{"cmd":"sleep 1000","instances":2}`)}, PlanOptions{})
	before := taskIDs(liveApp(t, c, "/s/web"))
	events := sim.Events(t)
	sim.Rec.Reset()

	p := converge(t, c, []DesiredApp{desiredApp("/s/web", `{"cmd":"sleep 1000","instances":3}`)}, PlanOptions{})
	if p.Apps[0].Action != ActionScale {
		t.Fatalf("action = %s, want scale\n%s", p.Apps[0].Action, p)
	}
	if diff := cmp.Diff([]string{"PUT /v2/apps/s/web?partialUpdate=true"}, sim.Rec.Writes()); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"ScaleApplication /s/web"}, reconcilertest.StepActions(events())); diff != "" {
		t.Errorf("deployment steps (-want +got):\n%s", diff)
	}
	after := liveApp(t, c, "/s/web")
	for _, id := range before {
		if !slices.Contains(taskIDs(after), id) {
			t.Errorf("task %s was restarted by a scale; tasks now %v", id, taskIDs(after))
		}
	}
	if after.TasksRunning != 3 {
		t.Errorf("tasks running = %d, want 3", after.TasksRunning)
	}
}

func TestSimImageChangeRollsThrough(t *testing.T) {
	sim, c := simClient(t, marathonsim.Options{})
	def := func(tag string) string {
		return `{"instances":2,"container":{"type":"DOCKER","docker":{"image":"registry.example/web:` + tag + `","network":"BRIDGE",
			"portMappings":[{"containerPort":8080}]}}}`
	}
	converge(t, c, []DesiredApp{desiredApp("/s/web", def("1"))}, PlanOptions{})
	before := taskIDs(liveApp(t, c, "/s/web"))
	events := sim.Events(t)

	p := converge(t, c, []DesiredApp{desiredApp("/s/web", def("2"))}, PlanOptions{})
	if p.Apps[0].Action != ActionUpdate || !strings.Contains(p.String(), `container.docker.image: "registry.example/web:1" → "registry.example/web:2"`) {
		t.Fatalf("plan is not an image update:\n%s", p)
	}
	if diff := cmp.Diff([]string{"RestartApplication /s/web"}, reconcilertest.StepActions(events())); diff != "" {
		t.Errorf("deployment steps (-want +got):\n%s", diff)
	}
	// Apply waited: the deployment is over and every task runs the new image.
	ds, err := c.Deployments(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 0 {
		t.Errorf("deployments still running after Apply returned: %+v", ds)
	}
	after := liveApp(t, c, "/s/web")
	if len(after.Tasks) != 2 {
		t.Fatalf("tasks = %d, want 2", len(after.Tasks))
	}
	for _, task := range after.Tasks {
		if slices.Contains(before, task.ID) || task.Version != after.Version {
			t.Errorf("task %s (version %s) is not of the new version %s", task.ID, task.Version, after.Version)
		}
	}
	if p := planSim(t, c, []DesiredApp{desiredApp("/s/web", def("2"))}, PlanOptions{}); p.HasChanges() {
		t.Errorf("second plan not empty:\n%s", p)
	}
}

func TestSimRetries5xx(t *testing.T) {
	sim, c := simClient(t, marathonsim.Options{})
	p := planSim(t, c, []DesiredApp{desiredApp("/s/a", `{"cmd":"sleep 1000"}`)}, PlanOptions{})
	// Marathon answers 503 to the next three requests, then recovers.
	failures := 0
	sim.Rec.After = func(r reconcilertest.Request) {
		if r.Status == http.StatusServiceUnavailable {
			if failures++; failures == 3 {
				sim.Control(t, "DELETE", "/sim/v1/faults", "")
			}
		}
	}
	if code, body := sim.Control(t, "POST", "/sim/v1/faults", `{"errorRate":1,"errorStatus":503}`); code != 200 {
		t.Fatalf("set fault: %d %s", code, body)
	}
	sim.Rec.Reset()
	if _, err := Apply(t.Context(), c, p, simApply); err != nil {
		t.Fatalf("apply did not survive three 503s: %v", err)
	}
	var puts []int
	for _, r := range sim.Rec.Requests() {
		if r.Method == http.MethodPut {
			puts = append(puts, r.Status)
		}
	}
	if diff := cmp.Diff([]int{503, 503, 503, 201}, puts); diff != "" {
		t.Errorf("PUT statuses (-want +got):\n%s", diff)
	}
	liveApp(t, c, "/s/a")
}

func TestSimDependencyOrder(t *testing.T) {
	sim, c := simClient(t, marathonsim.Options{})
	apps := []DesiredApp{
		desiredApp("/d/web", `{"cmd":"sleep 1000","dependencies":["/d/app"]}`),
		desiredApp("/d/app", `{"cmd":"sleep 1000","dependencies":["/d/db"]}`),
		desiredApp("/d/db", `{"cmd":"sleep 1000"}`),
	}
	converge(t, c, apps, PlanOptions{})
	if diff := cmp.Diff([]string{
		"PUT /v2/apps/d/db?partialUpdate=false",
		"PUT /v2/apps/d/app?partialUpdate=false",
		"PUT /v2/apps/d/web?partialUpdate=false",
	}, sim.Rec.Writes()); diff != "" {
		t.Errorf("create order (-want +got):\n%s", diff)
	}
	// Each level waits for the one before it: a deployments read between writes.
	var seq []string
	for _, r := range sim.Rec.Requests() {
		seq = append(seq, r.Method+" "+r.Path)
	}
	seq = slices.Compact(seq)
	wantSeq := []string{"GET /v2/apps", "PUT /v2/apps/d/db", "GET /v2/deployments", "PUT /v2/apps/d/app", "GET /v2/deployments", "PUT /v2/apps/d/web", "GET /v2/deployments"}
	if diff := cmp.Diff(wantSeq, seq); diff != "" {
		t.Errorf("request sequence (-want +got):\n%s", diff)
	}

	sim.Rec.Reset()
	converge(t, c, nil, PlanOptions{Prune: true, MaxDeleteRatio: 1})
	if diff := cmp.Diff([]string{
		"DELETE /v2/apps/d/web?force=false",
		"DELETE /v2/apps/d/app?force=false",
		"DELETE /v2/apps/d/db?force=false",
	}, sim.Rec.Writes()); diff != "" {
		t.Errorf("delete order (-want +got):\n%s", diff)
	}
}

func TestSimInvalidPlacedInSpecs(t *testing.T) {
	sim, c := simClient(t, marathonsim.Options{})
	bad := desiredApp("/v/bad", `{"cmd":"sleep 1000","upgradeStrategy":{"minimumHealthCapacity":2}}`)
	bad.Source = "services/v.yaml:4:5"
	bad.Locate = func(p string) string {
		if p == "/upgradeStrategy/minimumHealthCapacity" {
			return "services/v.yaml:9:32"
		}
		return ""
	}
	good := desiredApp("/v/good", `{"cmd":"sleep 1000"}`)
	p := planSim(t, c, []DesiredApp{bad, good}, PlanOptions{})
	_, err := Apply(t.Context(), c, p, simApply)
	if !errors.Is(err, marathon.ErrInvalid) {
		t.Fatalf("err = %v, want ErrInvalid", err)
	}
	want := "services/v.yaml:9:32: create app /v/bad: rejected by Marathon (Object is not valid): /upgradeStrategy/minimumHealthCapacity: got 2.0, expected between 0.0 and 1.0"
	if err.Error() != want {
		t.Errorf("error =\n%s\nwant\n%s", err, want)
	}
	// One app's rejection does not stop the others.
	liveApp(t, c, "/v/good")
	if w := sim.Rec.Writes(); len(w) != 2 {
		t.Errorf("writes = %v, want both apps tried", w)
	}
}

func TestSimLocked(t *testing.T) {
	tests := []struct {
		name string
		// startLock locks /l/a: before planning (the plan sees the
		// deployment) or after it (the write gets Marathon's 409).
		lockAfterPlan bool
		force         bool
		wantWrites    []string
	}{
		{name: "deployment seen in the plan, waited for, reported", wantWrites: nil},
		{name: "409 on the write, waited for, reported", lockAfterPlan: true, wantWrites: []string{"PUT /v2/apps/l/a?partialUpdate=false"}},
		{name: "force overrides", force: true, wantWrites: []string{"PUT /v2/apps/l/a?force=true&partialUpdate=false"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sim, c := simClient(t, marathonsim.Options{})
			converge(t, c, []DesiredApp{desiredApp("/l/a", `{"cmd":"sleep 1000","instances":1}`)}, PlanOptions{})
			sim.Control(t, "POST", "/sim/v1/faults", `{"stallDeployments":true}`)
			lock := func() string {
				code, body := sim.Control(t, "PUT", "/v2/apps/l/a", `{"instances":2}`)
				if code != 200 {
					t.Fatalf("lock: %d %s", code, body)
				}
				var res struct{ DeploymentID string }
				_ = json.Unmarshal([]byte(body), &res)
				return res.DeploymentID
			}
			var blocking string
			if !tc.lockAfterPlan {
				blocking = lock()
			}
			p := planSim(t, c, []DesiredApp{desiredApp("/l/a", `{"cmd":"sleep 2000","instances":1}`)}, PlanOptions{})
			if tc.lockAfterPlan {
				blocking = lock()
			}
			sim.Rec.Reset()
			res, err := Apply(t.Context(), c, p, ApplyOptions{
				Force: tc.force, LockWait: time.Minute, PollInterval: time.Second,
				Clock: reconcilertest.NewFakeClock(time.Unix(0, 0)),
			})
			if err != nil {
				t.Fatalf("apply: %v", err)
			}
			if diff := cmp.Diff(tc.wantWrites, sim.Rec.Writes()); diff != "" {
				t.Errorf("writes (-want +got):\n%s", diff)
			}
			ds, err := c.Deployments(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if tc.force {
				if res.Requeue || len(ds) != 1 || ds[0].ID == blocking {
					t.Errorf("force: requeue %v, deployments %+v; want the blocking one %s replaced", res.Requeue, ds, blocking)
				}
				return
			}
			want := []AppResult{{ID: "/l/a", Action: ActionUpdate, Locked: true, LockedBy: []string{blocking}}}
			if diff := cmp.Diff(want, res.Apps); diff != "" || !res.Requeue {
				t.Errorf("results (-want +got):\n%s\nrequeue %v", diff, res.Requeue)
			}
		})
	}
}

func TestSimStuckDeploymentExplained(t *testing.T) {
	_, c := simClient(t, marathonsim.Options{Executor: "process"})
	// The health check matters: without one Marathon (and the simulator)
	// count a task as deployed as soon as it is running, even if it dies
	// a moment later.
	p := planSim(t, c, []DesiredApp{desiredApp("/f/crash", `{"cmd":"echo boom; exit 3","instances":1,"backoffSeconds":30,
		"healthChecks":[{"protocol":"HTTP","path":"/health","portIndex":0}]}`)}, PlanOptions{})
	_, err := Apply(t.Context(), c, p, ApplyOptions{Wait: true, PollInterval: 20 * time.Millisecond, WaitTimeout: 500 * time.Millisecond})
	var stuck *StuckError
	if !errors.As(err, &stuck) || !errors.Is(err, ErrDeploymentTimeout) {
		t.Fatalf("err = %v, want a StuckError", err)
	}
	if len(stuck.Apps) != 1 || stuck.Apps[0].ID != "/f/crash" || stuck.Apps[0].LastTaskFailure == nil {
		t.Fatalf("stuck apps = %+v, want /f/crash with its last task failure", stuck.Apps)
	}
	msg := err.Error()
	for _, want := range []string{"app /f/crash", "0 of 1 tasks running", "last task failure TASK_FAILED", "launch delayed"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error does not say %q:\n%s", want, msg)
		}
	}
}

func TestSimPruneProtectedUnmanaged(t *testing.T) {
	sim, c := simClient(t, marathonsim.Options{})
	var all []DesiredApp
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		all = append(all, desiredApp("/p/"+id, `{"cmd":"sleep 1000","instances":0}`))
	}
	all = append(all,
		desiredApp("/p/protected", `{"cmd":"sleep 1000","instances":0,"labels":{"pacer.dev/protect":"true"}}`),
		desiredApp("/p/volume", `{"instances":0,"cmd":"sleep 1000","container":{"type":"MESOS","volumes":[{"containerPath":"data","mode":"RW","persistent":{"size":16}}]},
			"residency":{"relaunchEscalationTimeoutSeconds":3600,"taskLostBehavior":"WAIT_FOREVER"}}`),
	)
	converge(t, c, all, PlanOptions{})
	if code, body := sim.Control(t, "PUT", "/v2/apps/p/unmanaged", `{"cmd":"sleep 1000","instances":0}`); code >= 300 {
		t.Fatalf("unmanaged app: %d %s", code, body)
	}
	if !liveApp(t, c, "/p/volume").PersistentVolumes {
		t.Fatalf("the simulator did not keep the persistent volume: %s", liveApp(t, c, "/p/volume").Raw)
	}

	// Without --prune nothing is deleted.
	kept := all[1:5] // b..e; a, protected and volume are gone from git
	sim.Rec.Reset()
	p := converge(t, c, kept, PlanOptions{})
	if len(sim.Rec.Writes()) != 0 {
		t.Errorf("writes without prune: %v", sim.Rec.Writes())
	}

	p = converge(t, c, kept, PlanOptions{Prune: true})
	got := map[string]string{}
	for _, a := range p.Apps {
		if a.Action != ActionUnchanged {
			got[a.ID] = string(a.Action) + ": " + a.Reason
		}
	}
	want := map[string]string{
		"/p/a":         "delete: ",
		"/p/protected": "skip: not in git, protected by pacer.dev/protect=true",
		"/p/volume":    "skip: not in git, has persistent volumes",
		"/p/unmanaged": "skip: unmanaged",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("prune plan (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"DELETE /v2/apps/p/a?force=false"}, sim.Rec.Writes()); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
	for _, id := range []string{"/p/protected", "/p/volume", "/p/unmanaged", "/p/b"} {
		liveApp(t, c, id)
	}

	// The guard: an emptied checkout must not wipe the cluster.
	sim.Rec.Reset()
	p = planSim(t, c, nil, PlanOptions{Prune: true})
	if !errors.Is(p.Err(), ErrPruneGuard) {
		t.Fatalf("plan error = %v, want the prune guard\n%s", p.Err(), p)
	}
	if _, err := Apply(t.Context(), c, p, simApply); !errors.Is(err, ErrPruneGuard) {
		t.Fatalf("apply error = %v, want the prune guard", err)
	}
	if w := sim.Rec.Writes(); len(w) != 0 {
		t.Errorf("a refused pass wrote: %v", w)
	}
}
