package alerting

import "time"

// Signal says that a condition holds for a subject in this pass. Signals
// are level-based: Observe gets every condition that holds, and a condition
// missing from a pass is clear.
type Signal struct {
	Condition Condition
	Cluster   string
	// App is the Marathon app id; empty for cluster-level conditions.
	App string
	// Group is the service group (PagerDuty group), e.g. /services/autofill.
	Group       string
	Environment string
	// Policy is the paging policy of the app's environment. For per-app
	// conditions nil means the environment does not page (tracked, not
	// sent). For cluster-level conditions nil means TrackerOptions.ClusterPolicy.
	Policy  *Policy
	Details Details
}

// Details is what a responder needs to act; it becomes custom_details and
// feeds the summary. Zero fields are left out.
type Details struct {
	Instances int `json:"instances,omitempty"` // wanted
	Running   int `json:"running,omitempty"`
	Healthy   int `json:"healthy,omitempty"`
	Unhealthy int `json:"unhealthy,omitempty"`
	// Message is Marathon's or the source's own words: the last task
	// failure, the rejection message, the launch-queue reason, the error.
	Message      string `json:"message,omitempty"`
	Revision     string `json:"revision,omitempty"` // spec revision (git commit)
	Diff         string `json:"diff,omitempty"`     // excerpt of the live/desired diff
	DeploymentID string `json:"deploymentId,omitempty"`
	// Age is how long the condition has held by Marathon's account (the
	// running deployment's age): a condition with an Age has held at least
	// that long, even if pacer saw it only now (after a restart).
	Age time.Duration `json:"-"`
	// Extra holds anything else worth showing, sorted by key in the payload.
	Extra map[string]string `json:"extra,omitempty"`
}

// subject identifies one tracked condition.
type subject struct {
	Cluster   string
	App       string
	Condition Condition
}

func (s Signal) subject() subject {
	app := s.App
	if s.Condition.ClusterLevel() {
		app = ""
	}
	return subject{Cluster: s.Cluster, App: app, Condition: s.Condition}
}
