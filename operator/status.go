package operator

import (
	"encoding/json"
	"time"

	"pacer.dev/pacer/internal/marathon"
	"pacer.dev/pacer/reconciler"
	"pacer.dev/pacer/specs"
)

// SyncStatus says whether an app's live definition matches the specs.
type SyncStatus string

// Sync statuses, as Argo CD's.
const (
	Synced    SyncStatus = "Synced"
	OutOfSync SyncStatus = "OutOfSync"
	Unknown   SyncStatus = "Unknown"
)

// Health is an app's health as Marathon reports it.
type Health string

// Healths.
const (
	Healthy       Health = "Healthy"     // every instance running and passing its health checks
	Progressing   Health = "Progressing" // a deployment is running
	Degraded      Health = "Degraded"    // fewer running or healthy tasks than instances
	Suspended     Health = "Suspended"   // scaled to 0 instances
	Missing       Health = "Missing"     // not in Marathon
	HealthUnknown Health = "Unknown"     // Marathon could not be read
)

// Status is the operator's view after its last pass, for /api/v1/status,
// metrics and alerting.
type Status struct {
	Cluster     string `json:"cluster"`
	Environment string `json:"environment,omitempty"`
	// Ready is true once the first pass with a good revision is done.
	Ready  bool `json:"ready"`
	DryRun bool `json:"dryRun"`
	Leader bool `json:"leader"`
	// Revision is the revision in force (the last good one).
	Revision RevisionStatus `json:"revision"`
	// InvalidRevision is the newest revision when it failed validation; the
	// one in Revision stays in force.
	InvalidRevision *InvalidRevision `json:"invalidRevision,omitempty"`
	// SourceError is why the last source sync failed, if it did.
	SourceError string `json:"sourceError,omitempty"`
	// MarathonError is why Marathon could not be read in the last pass.
	MarathonError string `json:"marathonError,omitempty"`
	// PassError is why the last pass could not apply (prune guard).
	PassError    string        `json:"passError,omitempty"`
	LastPass     time.Time     `json:"lastPass"`
	PassDuration time.Duration `json:"passDurationNanos"`
	Summary      Summary       `json:"summary"`
	Apps         []AppStatus   `json:"apps"`
	// Applied are the writes Marathon accepted in this pass, for change
	// events.
	Applied []AppliedChange `json:"applied,omitempty"`

	// ConcurrentWriter is set while another writer was seen changing the
	// apps this instance writes (within Options.WriterWindow).
	ConcurrentWriter *ConcurrentWriter `json:"concurrentWriter,omitempty"`
}

// RevisionStatus names a revision of the specs.
type RevisionStatus struct {
	ID       string    `json:"id,omitempty"`
	Subject  string    `json:"subject,omitempty"`
	LoadedAt time.Time `json:"loadedAt,omitzero"`
}

// InvalidRevision is a revision that failed to load, validate or render.
type InvalidRevision struct {
	ID      string    `json:"id"`
	Subject string    `json:"subject,omitempty"`
	Error   string    `json:"error"`
	Since   time.Time `json:"since"`
}

// Summary counts apps by sync status and by health.
type Summary struct {
	Sync   map[SyncStatus]int `json:"sync"`
	Health map[Health]int     `json:"health"`
}

// AppStatus is one app's state.
type AppStatus struct {
	ID           string     `json:"id"`
	Group        string     `json:"group,omitempty"`
	ServiceGroup string     `json:"serviceGroup,omitempty"`
	Environment  string     `json:"environment,omitempty"`
	SyncPolicy   string     `json:"syncPolicy,omitempty"`
	Sync         SyncStatus `json:"sync"`
	Health       Health     `json:"health"`
	// Action is what a pass would do (or did) to converge the app.
	Action reconciler.Action `json:"action,omitempty"`
	// Changes are the pending differences, live → git.
	Changes []string `json:"changes,omitempty"`
	// Message explains a skip or why a change is not applied.
	Message      string   `json:"message,omitempty"`
	SpecRevision string   `json:"specRevision,omitempty"`
	LiveRevision string   `json:"liveRevision,omitempty"`
	Source       string   `json:"source,omitempty"`
	Instances    int      `json:"instances"`
	Running      int      `json:"running"`
	Healthy      int      `json:"healthy"`
	Unhealthy    int      `json:"unhealthy"`
	Deployments  []string `json:"deployments,omitempty"`
	// RunningDeployments are the deployments touching the app, with when
	// they started (from /v2/deployments).
	RunningDeployments []DeploymentStatus `json:"runningDeployments,omitempty"`
	// LaunchQueue is the app's launch queue entry, when tasks wait to launch.
	LaunchQueue *LaunchQueueStatus `json:"launchQueue,omitempty"`
	// LastTaskFailure is Marathon's last task failure message, if any;
	// LastTaskFailureAt and LastTaskFailureTask say when and which task.
	LastTaskFailure     string    `json:"lastTaskFailure,omitempty"`
	LastTaskFailureAt   time.Time `json:"lastTaskFailureAt,omitzero"`
	LastTaskFailureTask string    `json:"lastTaskFailureTask,omitempty"`
	// LastError is the last write's error; cleared by a successful write.
	LastError   string    `json:"lastError,omitempty"`
	LastErrorAt time.Time `json:"lastErrorAt,omitzero"`
	// LastSyncTime is when pacer last wrote the app successfully.
	LastSyncTime time.Time `json:"lastSyncTime,omitzero"`
	// RetryAt is when a failing app is tried again.
	RetryAt time.Time `json:"retryAt,omitzero"`
	// Alerting is the environment's paging policy (nil: does not page).
	Alerting *specs.Alerting `json:"-"`
}

// health derives an app's health from its live counts.
func health(live *marathon.App) Health {
	switch {
	case live == nil:
		return Missing
	case len(live.DeploymentIDs) > 0:
		return Progressing
	case live.Instances == 0:
		return Suspended
	case live.TasksRunning < live.Instances || live.TasksUnhealthy > 0:
		return Degraded
	case hasHealthChecks(live.Raw) && live.TasksHealthy < live.Instances:
		return Degraded
	}
	return Healthy
}

func hasHealthChecks(raw json.RawMessage) bool {
	var v struct {
		HealthChecks []json.RawMessage `json:"healthChecks"`
	}
	return json.Unmarshal(raw, &v) == nil && len(v.HealthChecks) > 0
}

func summarize(apps []AppStatus) Summary {
	s := Summary{Sync: map[SyncStatus]int{Synced: 0, OutOfSync: 0, Unknown: 0}, Health: map[Health]int{}}
	for _, h := range []Health{Healthy, Progressing, Degraded, Suspended, Missing, HealthUnknown} {
		s.Health[h] = 0
	}
	for _, a := range apps {
		s.Sync[a.Sync]++
		s.Health[a.Health]++
	}
	return s
}
