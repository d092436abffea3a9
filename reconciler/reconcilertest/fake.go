// Package reconcilertest provides in-memory fakes of the reconciler's
// dependencies: a FakeMarathon that records calls and injects errors, and a
// FakeClock that never sleeps.
package reconcilertest

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	"pacer.dev/pacer/internal/marathon"
)

// FakeMarathon is an in-memory Marathon. Each write starts a deployment
// that stays in Deployments for DeploymentPolls calls.
type FakeMarathon struct {
	// DeploymentPolls is how many Deployments calls a new deployment
	// survives (0: it is finished at once).
	DeploymentPolls int
	// Errors are returned, first in first out, by the call named
	// "<Method> <id>" (e.g. "PutApp /a") or "<Method>" (e.g. "Deployments").
	Errors map[string][]error
	// Lost are returned the same way by PutApp, but after the definition
	// is stored: a write Marathon applied whose answer was lost
	// (marathon.ErrOutcomeUnknown).
	Lost map[string][]error
	// Queued is what Queue returns.
	Queued []marathon.QueueItem

	mu      sync.Mutex
	apps    map[string]json.RawMessage
	running map[string]int // deployment id → polls left
	runApp  map[string]string
	calls   []string
	seq     int
}

// NewFakeMarathon returns a fake holding the given live app JSONs.
func NewFakeMarathon(apps ...json.RawMessage) *FakeMarathon {
	f := &FakeMarathon{apps: map[string]json.RawMessage{}, running: map[string]int{}, runApp: map[string]string{}}
	for _, a := range apps {
		var head struct{ ID string }
		if err := json.Unmarshal(a, &head); err == nil {
			f.apps[head.ID] = a
		}
	}
	return f
}

// Calls returns the calls made so far, e.g. "PutApp /a force=false".
func (f *FakeMarathon) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// App returns the stored JSON of app id.
func (f *FakeMarathon) App(id string) json.RawMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.apps[id]
}

// StartDeployment adds a running deployment on app id, as if another
// client had started it.
func (f *FakeMarathon) StartDeployment(id, app string, polls int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.running[id] = polls
	f.runApp[id] = app
}

func (f *FakeMarathon) takeErr(keys ...string) error {
	for _, k := range keys {
		if errs := f.Errors[k]; len(errs) > 0 {
			f.Errors[k] = errs[1:]
			return errs[0]
		}
	}
	return nil
}

func (f *FakeMarathon) record(method, id string, force bool) error {
	f.calls = append(f.calls, method+" "+id+" force="+strconv.FormatBool(force))
	return f.takeErr(method+" "+id, method)
}

func (f *FakeMarathon) deploy(app string) string {
	f.seq++
	id := fmt.Sprintf("dep-%d", f.seq)
	if f.DeploymentPolls > 0 {
		f.running[id] = f.DeploymentPolls
		f.runApp[id] = app
	}
	return id
}

// ListApps implements reconciler.Marathon.
func (f *FakeMarathon) ListApps(context.Context) ([]marathon.App, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "ListApps")
	if err := f.takeErr("ListApps"); err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(f.apps))
	for id := range f.apps {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	out := make([]marathon.App, 0, len(ids))
	for _, id := range ids {
		var e struct {
			Instances int               `json:"instances"`
			Labels    map[string]string `json:"labels"`
		}
		_ = json.Unmarshal(f.apps[id], &e)
		a := marathon.App{ID: id, Instances: e.Instances, Labels: e.Labels, Raw: f.apps[id]}
		for d, app := range f.runApp {
			if app == id {
				a.DeploymentIDs = append(a.DeploymentIDs, d)
			}
		}
		out = append(out, a)
	}
	return out, nil
}

// PutApp implements reconciler.Marathon; it stores definition verbatim.
func (f *FakeMarathon) PutApp(_ context.Context, id string, definition []byte, force bool) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record("PutApp", id, force); err != nil {
		return "", err
	}
	f.apps[id] = append(json.RawMessage(nil), definition...)
	dep := f.deploy(id)
	if errs := f.Lost["PutApp "+id]; len(errs) > 0 {
		f.Lost["PutApp "+id] = errs[1:]
		return "", errs[0]
	}
	return dep, nil
}

// ScaleApp implements reconciler.Marathon.
func (f *FakeMarathon) ScaleApp(_ context.Context, id string, instances int, force bool) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record("ScaleApp", id, force); err != nil {
		return "", err
	}
	var m map[string]any
	if err := json.Unmarshal(f.apps[id], &m); err != nil {
		return "", fmt.Errorf("scale app %s: %w", id, marathon.ErrNotFound)
	}
	m["instances"] = instances
	f.apps[id], _ = json.Marshal(m)
	f.calls[len(f.calls)-1] += " instances=" + strconv.Itoa(instances)
	return f.deploy(id), nil
}

// DeleteApp implements reconciler.Marathon.
func (f *FakeMarathon) DeleteApp(_ context.Context, id string, force bool) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record("DeleteApp", id, force); err != nil {
		return "", err
	}
	if _, ok := f.apps[id]; !ok {
		return "", fmt.Errorf("delete app %s: %w", id, marathon.ErrNotFound)
	}
	delete(f.apps, id)
	return f.deploy(id), nil
}

// Deployments implements reconciler.Marathon. Each call ages the running
// deployments by one poll.
func (f *FakeMarathon) Deployments(context.Context) ([]marathon.Deployment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "Deployments")
	if err := f.takeErr("Deployments"); err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(f.running))
	for id := range f.running {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var out []marathon.Deployment
	for _, id := range ids {
		if f.running[id] <= 0 {
			delete(f.running, id)
			delete(f.runApp, id)
			continue
		}
		f.running[id]--
		out = append(out, marathon.Deployment{ID: id, AffectedApps: []string{f.runApp[id]}})
	}
	return out, nil
}

// Queue implements reconciler.Marathon; Queued is returned as is.
func (f *FakeMarathon) Queue(context.Context) ([]marathon.QueueItem, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "Queue")
	if err := f.takeErr("Queue"); err != nil {
		return nil, err
	}
	return append([]marathon.QueueItem(nil), f.Queued...), nil
}

// FakeClock is a Clock whose After fires at once and advances Now.
type FakeClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewFakeClock starts at t.
func NewFakeClock(t time.Time) *FakeClock { return &FakeClock{now: t} }

// Now returns the fake time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// After advances the clock by d and returns a channel that is ready.
func (c *FakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}
