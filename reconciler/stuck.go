package reconciler

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"pacer.dev/pacer/internal/marathon"
)

// StuckError says why deployments were still running at the wait limit:
// per app, its task counts, Marathon's last task failure and the launch
// queue's backoff. It matches ErrDeploymentTimeout.
type StuckError struct {
	Limit time.Duration
	Apps  []StuckApp
}

// StuckApp is one app of a deployment that did not finish.
type StuckApp struct {
	ID            string
	DeploymentIDs []string
	// Instances is the target; Running, Healthy and Staged the live counts.
	Instances, Running, Healthy, Staged int
	// LastTaskFailure is Marathon's lastTaskFailure, if any.
	LastTaskFailure *marathon.TaskFailure
	// Queued is the app's launch queue entry, if it has one.
	Queued *marathon.QueueItem
}

// Error lists the stuck apps with their reasons.
func (e *StuckError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s after %s", ErrDeploymentTimeout, e.Limit)
	for _, a := range e.Apps {
		b.WriteString("\n  " + a.String())
	}
	return b.String()
}

// Is reports whether target is ErrDeploymentTimeout.
func (e *StuckError) Is(target error) bool { return target == ErrDeploymentTimeout }

// String is the app's reason, e.g. "app /x (deployment d1): 0 of 2 tasks
// running, 0 healthy; last task failure TASK_FAILED on host-1 at ...:
// Command exited with status 1; launch delayed 30s (backoff)".
func (a StuckApp) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "app %s", a.ID)
	if len(a.DeploymentIDs) > 0 {
		fmt.Fprintf(&b, " (deployment %s)", strings.Join(a.DeploymentIDs, ", "))
	}
	fmt.Fprintf(&b, ": %d of %d tasks running, %d healthy", a.Running, a.Instances, a.Healthy)
	if a.Staged > 0 {
		fmt.Fprintf(&b, ", %d staged", a.Staged)
	}
	if f := a.LastTaskFailure; f != nil {
		fmt.Fprintf(&b, "; last task failure %s", f.State)
		if f.Host != "" {
			fmt.Fprintf(&b, " on %s", f.Host)
		}
		if f.Timestamp != "" {
			fmt.Fprintf(&b, " at %s", f.Timestamp)
		}
		fmt.Fprintf(&b, ": %s", f.Message)
	}
	if q := a.Queued; q != nil {
		switch {
		case q.Delayed:
			fmt.Fprintf(&b, "; launch delayed %ds (backoff after failures)", q.TimeLeftSeconds)
		case q.Count > 0:
			fmt.Fprintf(&b, "; %d task(s) waiting for offers", q.Count)
		}
	}
	return b.String()
}

// explainStuck reads the apps and the launch queue once to say why pending
// deployments did not finish. Read errors are left out of the explanation:
// the timeout is the error.
func (a *applier) explainStuck(ctx context.Context, pending []marathon.Deployment, limit time.Duration) error {
	byApp := map[string][]string{}
	for _, d := range pending {
		for _, id := range d.AffectedApps {
			byApp[id] = append(byApp[id], d.ID)
		}
	}
	stuck := &StuckError{Limit: limit}
	apps, err := a.m.ListApps(ctx)
	if err != nil {
		a.log.Error(err, "Cannot explain the stuck deployments")
	}
	queue, err := a.m.Queue(ctx)
	if err != nil {
		a.log.Error(err, "Cannot read the launch queue")
	}
	queued := map[string]*marathon.QueueItem{}
	for i := range queue {
		queued[queue[i].AppID] = &queue[i]
	}
	for _, app := range apps {
		deps, ok := byApp[app.ID]
		if !ok {
			continue
		}
		stuck.Apps = append(stuck.Apps, StuckApp{
			ID: app.ID, DeploymentIDs: deps, Instances: app.Instances,
			Running: app.TasksRunning, Healthy: app.TasksHealthy, Staged: app.TasksStaged,
			LastTaskFailure: app.LastTaskFailure, Queued: queued[app.ID],
		})
	}
	sort.Slice(stuck.Apps, func(i, j int) bool { return stuck.Apps[i].ID < stuck.Apps[j].ID })
	return stuck
}
