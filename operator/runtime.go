package operator

import (
	"context"
	"strings"
	"time"

	"github.com/go-logr/logr"

	"pacer.dev/pacer/internal/marathon"
)

// DeploymentStatus is a running Marathon deployment touching an app.
type DeploymentStatus struct {
	ID string `json:"id"`
	// Started is the deployment's version (when Marathon accepted it) on
	// this instance's clock: Marathon's age of the deployment (its Date
	// header minus the version) before this instance's now, so a skewed or
	// jumping clock on either side neither ages a deployment nor makes it
	// younger. Zero when Marathon did not say.
	Started time.Time `json:"started,omitzero"`
	// AffectedApps is how many apps the deployment touches (Marathon's
	// affectedApps); zero when unknown.
	AffectedApps int `json:"affectedApps,omitempty"`
}

// LaunchQueueStatus is an app's entry in Marathon's launch queue: tasks
// waiting for an offer, or for the launch backoff after failures.
type LaunchQueueStatus struct {
	// Count is how many tasks wait to be launched.
	Count int `json:"count"`
	// Delayed is true while the app is in launch backoff; DelayLeft is how
	// long the backoff still lasts.
	Delayed   bool          `json:"delayed,omitempty"`
	DelayLeft time.Duration `json:"delayLeftNanos,omitempty"`
	// Since is when tasks started waiting.
	Since time.Time `json:"since,omitzero"`
	// ProcessedOffers and UnusedOffers count the offers Marathon looked at
	// for the app and declined (no resources, constraints).
	ProcessedOffers int `json:"processedOffers,omitempty"`
	UnusedOffers    int `json:"unusedOffers,omitempty"`
}

// AppliedChange is a write of one app that Marathon accepted in a pass.
type AppliedChange struct {
	App          string `json:"app"`
	Action       string `json:"action"`
	DeploymentID string `json:"deploymentId,omitempty"`
	// Revision is the spec revision written; PreviousRevision the one the
	// live app carried before (empty for a create).
	Revision         string `json:"revision"`
	PreviousRevision string `json:"previousRevision,omitempty"`
	// Changes are the differences written, live → git.
	Changes []string  `json:"changes,omitempty"`
	At      time.Time `json:"at"`
}

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
		ds := DeploymentStatus{ID: d.ID, Started: onOurClock(parseMarathonTime(d.Version), d.AnsweredAt, now), AffectedApps: len(d.AffectedApps)}
		for _, app := range d.AffectedApps {
			id := canonical(app)
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
