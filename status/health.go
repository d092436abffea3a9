package status

import (
	"encoding/json"

	"pacer.dev/pacer/internal/marathon"
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

// Healths lists every Health, in the order summaries count them.
func Healths() []Health {
	return []Health{Healthy, Progressing, Degraded, Suspended, Missing, HealthUnknown}
}

// Reason says why an app has its Health; a code to switch on, with
// Message for people.
type Reason string

// Health reasons, one per rule of HealthOf.
const (
	ReasonAllTasksHealthy    Reason = "AllTasksHealthy"    // Healthy
	ReasonDeploymentRunning  Reason = "DeploymentRunning"  // Progressing
	ReasonScaledToZero       Reason = "ScaledToZero"       // Suspended
	ReasonTasksNotRunning    Reason = "TasksNotRunning"    // Degraded: fewer running tasks than instances
	ReasonTasksUnhealthy     Reason = "TasksUnhealthy"     // Degraded: a task fails its health checks
	ReasonHealthChecksUnmet  Reason = "HealthChecksUnmet"  // Degraded: fewer tasks passing health checks than instances
	ReasonNotInMarathon      Reason = "NotInMarathon"      // Missing
	ReasonMarathonUnreadable Reason = "MarathonUnreadable" // Unknown
)

// Message is the reason for people.
func (r Reason) Message() string {
	switch r {
	case ReasonAllTasksHealthy:
		return "every instance runs and passes its health checks"
	case ReasonDeploymentRunning:
		return "a deployment is running"
	case ReasonScaledToZero:
		return "scaled to 0 instances"
	case ReasonTasksNotRunning:
		return "fewer tasks running than instances"
	case ReasonTasksUnhealthy:
		return "tasks fail their health checks"
	case ReasonHealthChecksUnmet:
		return "fewer tasks passing their health checks than instances"
	case ReasonNotInMarathon:
		return "not in Marathon"
	case ReasonMarathonUnreadable:
		return "Marathon could not be read"
	}
	return string(r)
}

// HealthOf rates a live app (nil: not in Marathon). The rules apply in
// order, first match wins:
//
//  1. not in Marathon: Missing
//  2. a deployment is running: Progressing, whatever the instance count (an
//     app being scaled to 0 is still changing: its tasks are being killed)
//  3. scaled to 0: Suspended
//  4. fewer running tasks than instances, or any task failing its health
//     checks: Degraded
//  5. with health checks, fewer tasks passing them than instances: Degraded
//  6. else Healthy
//
// Marathon's tasksHealthy does not count tasks without health info
// (src/main/scala/mesosphere/marathon/core/appinfo/TaskCounts.scala:12 at
// v1.4.13), so an app without health checks has tasksHealthy 0 and rule 5
// applies only to apps that define checks.
func HealthOf(live *marathon.App) (Health, Reason) {
	switch {
	case live == nil:
		return Missing, ReasonNotInMarathon
	case len(live.DeploymentIDs) > 0:
		return Progressing, ReasonDeploymentRunning
	case live.Instances == 0:
		return Suspended, ReasonScaledToZero
	case live.TasksRunning < live.Instances:
		return Degraded, ReasonTasksNotRunning
	case live.TasksUnhealthy > 0:
		return Degraded, ReasonTasksUnhealthy
	case hasHealthChecks(live.Raw) && live.TasksHealthy < live.Instances:
		return Degraded, ReasonHealthChecksUnmet
	}
	return Healthy, ReasonAllTasksHealthy
}

func hasHealthChecks(raw json.RawMessage) bool {
	var v struct {
		HealthChecks []json.RawMessage `json:"healthChecks"`
	}
	return json.Unmarshal(raw, &v) == nil && len(v.HealthChecks) > 0
}
