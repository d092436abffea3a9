package operator

import (
	"cmp"
	"context"
	"strings"
	"time"

	"github.com/go-logr/logr"

	"pacer.dev/pacer/internal/marathon"
)

// runtime is what a pass reads from Marathon besides the apps: one
// /v2/deployments and one /v2/queue read, whatever the number of apps.
type runtime struct {
	deployments map[string][]DeploymentStatus // by app id
	queue       map[string]LaunchQueueStatus  // by app id
}

// readRuntime reads the running deployments and the launch queue. They
// only add detail to the status (deployment ages, launch backoff), so a
// failed read is logged and leaves that detail out.
func (o *Operator) readRuntime(ctx context.Context) runtime {
	log := logr.FromContextOrDiscard(ctx)
	rt := runtime{deployments: map[string][]DeploymentStatus{}, queue: map[string]LaunchQueueStatus{}}
	deps, err := o.opts.Marathon.Deployments(ctx)
	if err != nil {
		log.V(1).Info("Cannot read deployments; their ages are unknown this pass", "reason", err.Error())
	}
	now := o.opts.Clock.Now()
	for _, d := range deps {
		for _, app := range d.AffectedApps {
			id := canonical(app)
			ds := DeploymentStatus{ID: d.ID, Started: onOurClock(parseMarathonTime(d.Version), d.AnsweredAt, now), AffectedApps: len(d.AffectedApps),
				CurrentStep: d.CurrentStep, TotalSteps: d.TotalSteps}
			for _, a := range d.CurrentActions {
				if canonical(a.App) == id {
					ds.Actions = append(ds.Actions, cmp.Or(a.Action, a.Type))
				}
			}
			rt.deployments[id] = append(rt.deployments[id], ds)
		}
	}
	queue, err := o.opts.Marathon.Queue(ctx)
	if err != nil {
		log.V(1).Info("Cannot read the launch queue; launch reasons are unknown this pass", "reason", err.Error())
	}
	for _, q := range queue {
		rt.queue[canonical(q.AppID)] = LaunchQueueStatus{
			Count: q.Count, Delayed: q.Delayed, DelayLeft: time.Duration(q.TimeLeftSeconds) * time.Second,
			Since: parseMarathonTime(q.Since), ProcessedOffers: q.ProcessedOffers, UnusedOffers: q.UnusedOffers,
		}
	}
	return rt
}

// addTo completes each app's status with its deployments, launch queue
// entry and last task failure time.
func (rt runtime) addTo(apps []AppStatus, live []marathon.App) {
	byID := make(map[string]*marathon.App, len(live))
	for i := range live {
		byID[live[i].ID] = &live[i]
	}
	for i := range apps {
		rt.addApp(&apps[i], byID[apps[i].ID])
	}
}

func (rt runtime) addApp(a *AppStatus, live *marathon.App) {
	a.RunningDeployments = rt.deployments[a.ID]
	if q, ok := rt.queue[a.ID]; ok {
		a.LaunchQueue = &q
	}
	if live != nil && live.LastTaskFailure != nil {
		a.LastTaskFailureAt = parseMarathonTime(live.LastTaskFailure.Timestamp)
		a.LastTaskFailureTask = live.LastTaskFailure.TaskID
	}
}

// onOurClock moves t, a time on Marathon's clock, onto this instance's:
// t + (now − answered), answered being Marathon's clock when it answered.
// Without answered (no Date header) t stays as Marathon wrote it. The Date
// header has a resolution of one second.
func onOurClock(t, answered, now time.Time) time.Time {
	if t.IsZero() || answered.IsZero() {
		return t
	}
	return t.Add(now.Sub(answered))
}

func canonical(id string) string { return "/" + strings.TrimPrefix(id, "/") }

// parseMarathonTime reads Marathon's ISO 8601 timestamps; zero if invalid.
func parseMarathonTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}
