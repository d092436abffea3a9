package status

import (
	"time"

	"pacer.dev/pacer/specs"
)

// Cluster is the operator's view of its cluster after its last pass, for
// /api/v1/status, metrics and paging.
type Cluster struct {
	Cluster     string `json:"cluster"`
	Environment string `json:"environment,omitempty"`
	// Ready is true once the first pass with a good revision is done.
	Ready  bool `json:"ready"`
	DryRun bool `json:"dryRun"`
	Leader bool `json:"leader"`
	// Revision is the revision in force (the last good one).
	Revision Revision `json:"revision"`
	// InvalidRevision is the newest revision when it failed validation; the
	// one in Revision stays in force.
	InvalidRevision *InvalidRevision `json:"invalidRevision,omitempty"`
	// SourceError is why the last source sync failed, if it did.
	SourceError string `json:"sourceError,omitempty"`
	// MarathonError is why Marathon could not be read in the last pass.
	MarathonError string `json:"marathonError,omitempty"`
	// PassError is why the last pass could not apply (prune guard).
	PassError string `json:"passError,omitempty"`
	// ConcurrentWriter is set while another writer was seen changing the
	// apps this instance writes (within the operator's writer window).
	ConcurrentWriter *ConcurrentWriter `json:"concurrentWriter,omitempty"`
	LastPass         time.Time         `json:"lastPass"`
	PassDuration     time.Duration     `json:"passDurationNanos"`
	Summary          Summary           `json:"summary"`
	Apps             []App             `json:"apps"`
	// Applied are the writes Marathon accepted in this pass, for change
	// events.
	Applied []AppliedChange `json:"applied,omitempty"`
}

// Revision names a revision of the specs.
type Revision struct {
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
	Sync   map[Sync]int   `json:"sync"`
	Health map[Health]int `json:"health"`
}

// Summarize counts apps by Sync and Health; every value is present, zero
// when no app has it.
func Summarize(apps []App) Summary {
	s := Summary{Sync: map[Sync]int{}, Health: map[Health]int{}}
	for _, v := range Syncs() {
		s.Sync[v] = 0
	}
	for _, h := range Healths() {
		s.Health[h] = 0
	}
	for _, a := range apps {
		s.Sync[a.Sync]++
		s.Health[a.Health]++
	}
	return s
}

// App is one app's state.
type App struct {
	ID           string `json:"id"`
	Group        string `json:"group,omitempty"`
	ServiceGroup string `json:"serviceGroup,omitempty"`
	Environment  string `json:"environment,omitempty"`
	SyncPolicy   string `json:"syncPolicy,omitempty"`
	Sync         Sync   `json:"sync"`
	Health       Health `json:"health"`
	// HealthReason is the rule of HealthOf that gave Health.
	HealthReason Reason `json:"healthReason,omitempty"`
	// Action is what a pass would do (or did) to converge the app: the
	// reconciler's plan action (create, update, scale, delete, skip).
	Action string `json:"action,omitempty"`
	// Changes are the pending differences, live → git.
	Changes []string `json:"changes,omitempty"`
	// Reason is the typed cause when pacer holds the app back
	// (ReasonNotConverging: the loop breaker; Changes are the diff that
	// does not go away, LastError says why).
	Reason SyncReason `json:"reason,omitempty"`
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
	RunningDeployments []Deployment `json:"runningDeployments,omitempty"`
	// LaunchQueue is the app's launch queue entry, when tasks wait to launch.
	LaunchQueue *LaunchQueue `json:"launchQueue,omitempty"`
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
	// Wanted is how many instances git wants (the spec's instances); nil
	// when the app is not in git (an app to prune).
	Wanted *int `json:"wanted,omitempty"`
	// Links are the app's links from its spec labels (LinkLabels).
	Links []Link `json:"links,omitempty"`
	// Exposure is how the app's spec labels expose it on the load
	// balancers (nixy realm, HAProxy group); nil when it is not exposed.
	Exposure *Exposure `json:"exposure,omitempty"`
	// Live is the live Marathon definition, masked on use as plans mask
	// env, secrets and docker env parameters; nil when the app is not in
	// Marathon. Not in /api/v1/status (its size); the status page shows it.
	Live *LiveDefinition `json:"-"`
	// Alerting is the environment's paging policy (nil: does not page).
	Alerting *specs.Alerting `json:"-"`
}

// Deployment is a running Marathon deployment touching an app.
type Deployment struct {
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
	// CurrentStep of TotalSteps is where the deployment is (Marathon counts
	// from 1); zero when unknown.
	CurrentStep int `json:"currentStep,omitempty"`
	TotalSteps  int `json:"totalSteps,omitempty"`
	// Actions are the current step's actions on this app (e.g.
	// RestartApplication, ScaleApplication).
	Actions []string `json:"actions,omitempty"`
}

// LaunchQueue is an app's entry in Marathon's launch queue: tasks waiting
// for an offer, or for the launch backoff after failures.
type LaunchQueue struct {
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
