package alerting

import (
	"fmt"
	"strings"
	"time"
)

// Condition names something wrong that may page. Its string is the
// PagerDuty class and the last segment of the dedup key.
type Condition string

// Per-app conditions.
const (
	OutOfSync        Condition = "OutOfSync"        // live differs from git (manual policy, or healing fails)
	SyncFailed       Condition = "SyncFailed"       // Marathon rejected the change or its deployment failed
	Unhealthy        Condition = "Unhealthy"        // some tasks fail their health checks
	Underprovisioned Condition = "Underprovisioned" // fewer running, healthy tasks than instances
	DeploymentStuck  Condition = "DeploymentStuck"  // a deployment older than its limit
	CrashLooping     Condition = "CrashLooping"     // tasks fail repeatedly, or the app is in launch backoff
)

// Per-cluster conditions.
const (
	MarathonUnreachable Condition = "MarathonUnreachable" // no Marathon master answers
	GitSourceFailing    Condition = "GitSourceFailing"    // the specs repository cannot be fetched
	InvalidSpecRevision Condition = "InvalidSpecRevision" // the newest revision fails validation; the last good one stays
	LBConfigInvalid     Condition = "LBConfigInvalid"     // the rendered load-balancer config fails validation
	LBReloadFailed      Condition = "LBReloadFailed"      // the new load-balancer config is in place but its reload did not take
	ConcurrentWriter    Condition = "ConcurrentWriter"    // something else writes the apps this instance writes (a second pacer without --zk)
)

// Conditions lists every condition, per-app ones first.
func Conditions() []Condition {
	return []Condition{OutOfSync, SyncFailed, Unhealthy, Underprovisioned, DeploymentStuck, CrashLooping,
		CheckFailed, CheckUnknown, CheckAgentStale,
		MarathonUnreachable, GitSourceFailing, InvalidSpecRevision, LBConfigInvalid, LBReloadFailed, ConcurrentWriter}
}

// ParseCondition returns the condition named s, as written in the spec's
// `alerting.for` and in --alert-for.
func ParseCondition(s string) (Condition, error) {
	for _, c := range Conditions() {
		if string(c) == s {
			return c, nil
		}
	}
	names := make([]string, 0, len(Conditions()))
	for _, c := range Conditions() {
		names = append(names, string(c))
	}
	return "", fmt.Errorf("unknown alert condition %q; want one of %s", s, strings.Join(names, ", "))
}

// ClusterLevel reports whether the condition concerns a whole cluster
// rather than one app.
func (c Condition) ClusterLevel() bool {
	switch c {
	case MarathonUnreachable, GitSourceFailing, InvalidSpecRevision, LBConfigInvalid, LBReloadFailed, ConcurrentWriter:
		return true
	}
	return false
}

// DefaultFor is how long the condition must hold before it pages, unless the
// environment or the operator sets another duration. For DeploymentStuck it
// is the deployment's age limit: the signal holds while a deployment runs
// and carries its age (Details.Age).
func (c Condition) DefaultFor() time.Duration {
	switch c {
	case CheckFailed, CheckUnknown:
		return 0 // the check's own for and clearFor (soft and hard states) are its hysteresis
	case OutOfSync, GitSourceFailing, DeploymentStuck:
		return 15 * time.Minute
	case SyncFailed, Unhealthy, Underprovisioned, CrashLooping, InvalidSpecRevision:
		return 5 * time.Minute
	case MarathonUnreachable, LBConfigInvalid, LBReloadFailed:
		return 2 * time.Minute
	case ConcurrentWriter:
		// Seen once is enough: the status holds it for the writer window.
		return 0
	}
	return 5 * time.Minute
}
