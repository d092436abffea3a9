package reconciler

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"pacer.dev/pacer/internal/marathon"
	"pacer.dev/pacer/reconciler/reconcilertest"
)

var _ Marathon = (*reconcilertest.FakeMarathon)(nil)

func desiredApp(id, def string, ignore ...string) DesiredApp {
	return DesiredApp{ID: id, Definition: json.RawMessage(def), IgnoreDifferences: ignore, Source: "s.yaml:1"}
}

// managed returns a live app JSON carrying the ownership label.
func managed(def string) json.RawMessage {
	m, err := decodeObject([]byte(def))
	if err != nil {
		panic(err)
	}
	m["labels"] = map[string]any{LabelManagedBy: ManagedByValue}
	b, _ := json.Marshal(m)
	return b
}

func planAndApply(t *testing.T, f *reconcilertest.FakeMarathon, desired []DesiredApp, popts PlanOptions, aopts ApplyOptions) (*ApplyResult, error) {
	t.Helper()
	live, err := f.ListApps(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan(desired, live, popts)
	if err != nil {
		t.Fatal(err)
	}
	if aopts.Clock == nil {
		aopts.Clock = reconcilertest.NewFakeClock(time.Unix(0, 0))
	}
	return Apply(t.Context(), f, p, aopts)
}

func TestApplyCalls(t *testing.T) {
	tests := []struct {
		name    string
		live    []json.RawMessage
		desired []DesiredApp
		popts   PlanOptions
		polls   int
		want    []string
	}{
		{
			name:    "in sync writes nothing",
			live:    []json.RawMessage{managed(`{"id":"/a","cmd":"x","instances":2}`)},
			desired: []DesiredApp{desiredApp("/a", `{"cmd":"x","instances":2}`)},
			want:    []string{"ListApps"},
		},
		{
			name:    "scale-only is sent as a scale",
			live:    []json.RawMessage{managed(`{"id":"/a","cmd":"x","instances":2}`)},
			desired: []DesiredApp{desiredApp("/a", `{"cmd":"x","instances":5}`)},
			want:    []string{"ListApps", "ScaleApp /a force=false instances=5"},
		},
		{
			name: "dependencies are created first, after their deployment ends",
			desired: []DesiredApp{
				desiredApp("/g/app", `{"cmd":"x","dependencies":["db"]}`),
				desiredApp("/g/db", `{"cmd":"x"}`),
			},
			polls: 1,
			want:  []string{"ListApps", "PutApp /g/db force=false", "Deployments", "Deployments", "PutApp /g/app force=false"},
		},
		{
			name: "dependents are deleted first",
			live: []json.RawMessage{
				managed(`{"id":"/g/app","cmd":"x","dependencies":["/g/db"]}`),
				managed(`{"id":"/g/db","cmd":"x"}`),
				managed(`{"id":"/g/keep1","cmd":"x"}`), managed(`{"id":"/g/keep2","cmd":"x"}`),
				managed(`{"id":"/g/keep3","cmd":"x"}`), managed(`{"id":"/g/keep4","cmd":"x"}`),
				managed(`{"id":"/g/keep5","cmd":"x"}`), managed(`{"id":"/g/keep6","cmd":"x"}`),
			},
			desired: []DesiredApp{
				desiredApp("/g/keep1", `{"cmd":"x"}`), desiredApp("/g/keep2", `{"cmd":"x"}`),
				desiredApp("/g/keep3", `{"cmd":"x"}`), desiredApp("/g/keep4", `{"cmd":"x"}`),
				desiredApp("/g/keep5", `{"cmd":"x"}`), desiredApp("/g/keep6", `{"cmd":"x"}`),
			},
			popts: PlanOptions{Prune: true},
			want:  []string{"ListApps", "DeleteApp /g/app force=false", "Deployments", "DeleteApp /g/db force=false"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := reconcilertest.NewFakeMarathon(tc.live...)
			f.DeploymentPolls = tc.polls
			if _, err := planAndApply(t, f, tc.desired, tc.popts, ApplyOptions{}); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, f.Calls()); d != "" {
				t.Errorf("calls (-want +got):\n%s", d)
			}
		})
	}
}

func TestApplyLocked(t *testing.T) {
	locked := &marathon.LockedError{Message: "locked", DeploymentIDs: []string{"other"}}
	t.Run("waits for the blocking deployment then writes", func(t *testing.T) {
		f := reconcilertest.NewFakeMarathon()
		f.StartDeployment("other", "/a", 2)
		f.Errors = map[string][]error{"PutApp /a": {locked}}
		res, err := planAndApply(t, f, []DesiredApp{desiredApp("/a", `{"cmd":"x"}`)}, PlanOptions{}, ApplyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"ListApps", "PutApp /a force=false", "Deployments", "Deployments", "Deployments", "PutApp /a force=false"}
		if d := cmp.Diff(want, f.Calls()); d != "" {
			t.Errorf("calls (-want +got):\n%s", d)
		}
		if res.Requeue || res.Apps[0].Locked {
			t.Errorf("result %+v: want written, not requeued", res)
		}
	})
	t.Run("still locked after LockWait is a requeue, not an error", func(t *testing.T) {
		f := reconcilertest.NewFakeMarathon()
		f.StartDeployment("other", "/a", 1000)
		f.Errors = map[string][]error{"PutApp /a": {locked}}
		res, err := planAndApply(t, f, []DesiredApp{desiredApp("/a", `{"cmd":"x"}`), desiredApp("/b", `{"cmd":"x"}`)},
			PlanOptions{}, ApplyOptions{LockWait: 10 * time.Second, PollInterval: time.Second})
		if err != nil {
			t.Fatalf("err = %v, want nil", err)
		}
		if !res.Requeue || !res.Apps[0].Locked {
			t.Errorf("result %+v: want /a locked and a requeue", res)
		}
		if res.Apps[1].DeploymentID == "" {
			t.Errorf("/b was not written: %+v", res.Apps[1])
		}
	})
	t.Run("force overrides", func(t *testing.T) {
		f := reconcilertest.NewFakeMarathon(managed(`{"id":"/a","cmd":"x"}`))
		f.StartDeployment("other", "/a", 1000)
		if _, err := planAndApply(t, f, []DesiredApp{desiredApp("/a", `{"cmd":"y"}`)}, PlanOptions{}, ApplyOptions{Force: true}); err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff([]string{"ListApps", "PutApp /a force=true"}, f.Calls()); d != "" {
			t.Errorf("calls (-want +got):\n%s", d)
		}
	})
}

func TestApplySupersede(t *testing.T) {
	locked := &marathon.LockedError{Message: "locked", DeploymentIDs: []string{"stuck"}}
	for _, tc := range []struct {
		name           string
		supersede      bool
		putErrors      []error // what the first PutApp answers
		want           []string
		wantSuperseded []string
		wantLocked     bool
	}{
		{name: "supersede: written at once with force", supersede: true,
			want: []string{"ListApps", "PutApp /a force=true"}, wantSuperseded: []string{"stuck"}},
		{name: "supersede after a 409: the retry forces", supersede: true, putErrors: []error{locked},
			want: []string{"ListApps", "PutApp /a force=false", "PutApp /a force=true"}, wantSuperseded: []string{"stuck"}},
		{name: "no supersede: waits, then locked", supersede: false,
			want: []string{"ListApps", "Deployments", "Deployments", "Deployments"}, wantLocked: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := reconcilertest.NewFakeMarathon(managed(`{"id":"/a","cmd":"x"}`))
			if tc.putErrors == nil {
				f.StartDeployment("stuck", "/a", 1000)
			} else {
				f.Errors = map[string][]error{"PutApp /a": tc.putErrors}
			}
			var asked []string
			opts := ApplyOptions{LockWait: 2 * time.Second, PollInterval: time.Second, Supersede: func(app string, deps []string) bool {
				asked = append(asked, app+" "+strings.Join(deps, ","))
				return tc.supersede
			}}
			res, err := planAndApply(t, f, []DesiredApp{desiredApp("/a", `{"cmd":"y"}`)}, PlanOptions{}, opts)
			if err != nil {
				t.Fatal(err)
			}
			calls := f.Calls()
			if len(calls) > len(tc.want) {
				calls = calls[:len(tc.want)]
			}
			if d := cmp.Diff(tc.want, calls); d != "" {
				t.Errorf("calls (-want +got):\n%s", d)
			}
			if len(asked) == 0 || !strings.HasPrefix(asked[0], "/a stuck") {
				t.Errorf("Supersede asked %q, want about /a and deployment stuck", asked)
			}
			r := res.Apps[0]
			if d := cmp.Diff(tc.wantSuperseded, r.Superseded); d != "" || r.Locked != tc.wantLocked {
				t.Errorf("result %+v: superseded (-want +got) %s, locked %v want %v", r, d, r.Locked, tc.wantLocked)
			}
		})
	}
}

// TestApplyLockWaitIsShared: three apps, each locked by a deployment that
// does not finish: the pass waits LockWait once in all, not once per app.
func TestApplyLockWaitIsShared(t *testing.T) {
	f := reconcilertest.NewFakeMarathon()
	var desired []DesiredApp
	for _, id := range []string{"/a", "/b", "/c"} {
		f.StartDeployment("stuck"+id, id, 1000)
		f.Errors = map[string][]error{}
		desired = append(desired, desiredApp(id, `{"cmd":"x"}`))
	}
	for _, id := range []string{"/a", "/b", "/c"} {
		f.Errors["PutApp "+id] = []error{&marathon.LockedError{Message: "locked", DeploymentIDs: []string{"stuck" + id}}}
	}
	clock := reconcilertest.NewFakeClock(time.Unix(0, 0))
	res, err := planAndApply(t, f, desired, PlanOptions{}, ApplyOptions{LockWait: 10 * time.Second, PollInterval: time.Second, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res.Apps {
		if !r.Locked {
			t.Errorf("%s: %+v, want locked", r.ID, r)
		}
	}
	if waited := clock.Now().Sub(time.Unix(0, 0)); waited > 12*time.Second {
		t.Errorf("waited %v for three locked apps, want about LockWait (10s) in all", waited)
	}
}

func TestApplyErrorsDoNotStopOthers(t *testing.T) {
	f := reconcilertest.NewFakeMarathon()
	f.Errors = map[string][]error{"PutApp /a": {&marathon.InvalidError{Status: 422, Message: "Object is not valid"}}}
	res, err := planAndApply(t, f, []DesiredApp{desiredApp("/a", `{"cmd":"x"}`), desiredApp("/b", `{"cmd":"x"}`)}, PlanOptions{}, ApplyOptions{})
	if !errors.Is(err, marathon.ErrInvalid) {
		t.Fatalf("err = %v, want ErrInvalid", err)
	}
	if res.Apps[1].DeploymentID == "" || f.App("/b") == nil {
		t.Errorf("/b was not written after /a failed")
	}
}

func TestApplyWait(t *testing.T) {
	f := reconcilertest.NewFakeMarathon()
	f.DeploymentPolls = 3
	var events []string
	progress := func(p Progress) { events = append(events, p.Event) }
	_, err := planAndApply(t, f, []DesiredApp{desiredApp("/a", `{"cmd":"x"}`)}, PlanOptions{}, ApplyOptions{Wait: true, Progress: progress})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"submitted", "waiting", "waiting", "waiting", "done"}, events); d != "" {
		t.Errorf("progress (-want +got):\n%s", d)
	}

	f = reconcilertest.NewFakeMarathon()
	f.DeploymentPolls = 1000
	_, err = planAndApply(t, f, []DesiredApp{desiredApp("/a", `{"cmd":"x"}`)}, PlanOptions{},
		ApplyOptions{Wait: true, WaitTimeout: time.Minute, PollInterval: 10 * time.Second})
	if !errors.Is(err, ErrDeploymentTimeout) {
		t.Errorf("err = %v, want ErrDeploymentTimeout", err)
	}
}

// TestApplyIdempotent applies, then plans again: the second plan is empty,
// and ignored fields keep their live value on writes.
func TestApplyIdempotent(t *testing.T) {
	f := reconcilertest.NewFakeMarathon(managed(`{"id":"/auto","cmd":"old","instances":9}`))
	desired := []DesiredApp{
		desiredApp("/auto", `{"cmd":"new","instances":2}`, "/instances"),
		desiredApp("/web", `{"cmd":"x","env":{"A":"1"},"healthChecks":[{"path":"/health"}]}`),
	}
	if _, err := planAndApply(t, f, desired, PlanOptions{}, ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	live, err := f.ListApps(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan(desired, live, PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.HasChanges() {
		t.Errorf("second plan is not empty:\n%s", p)
	}
	var auto struct{ Instances int }
	if err := json.Unmarshal(f.App("/auto"), &auto); err != nil || auto.Instances != 9 {
		t.Errorf("/auto instances = %d (%v), want the live 9 kept", auto.Instances, err)
	}
}
