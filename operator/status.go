package operator

import (
	"pacer.dev/pacer/internal/marathon"
	"pacer.dev/pacer/status"
)

// The operator publishes pacer's one status model (package status); these
// names keep its own code and its callers short.
type (
	// Status is the operator's view after its last pass.
	Status = status.Cluster
	// RevisionStatus names a revision of the specs.
	RevisionStatus = status.Revision
	// InvalidRevision is a revision that failed to load, validate or render.
	InvalidRevision = status.InvalidRevision
	// Summary counts apps by sync status and by health.
	Summary = status.Summary
	// AppStatus is one app's state.
	AppStatus = status.App
	// SyncStatus says whether an app's live definition matches the specs.
	SyncStatus = status.Sync
	// Health is an app's health as Marathon reports it.
	Health = status.Health
	// DeploymentStatus is a running Marathon deployment touching an app.
	DeploymentStatus = status.Deployment
	// LaunchQueueStatus is an app's entry in Marathon's launch queue.
	LaunchQueueStatus = status.LaunchQueue
	// AppliedChange is a write of one app that Marathon accepted in a pass.
	AppliedChange = status.AppliedChange
)

// Sync statuses and healths, from package status.
const (
	Synced        = status.Synced
	OutOfSync     = status.OutOfSync
	Unknown       = status.SyncUnknown
	Healthy       = status.Healthy
	Progressing   = status.Progressing
	Degraded      = status.Degraded
	Suspended     = status.Suspended
	Missing       = status.Missing
	HealthUnknown = status.HealthUnknown
)

// health rates an app from its live counts (status.HealthOf).
func health(live *marathon.App) (Health, status.Reason) { return status.HealthOf(live) }

func summarize(apps []AppStatus) Summary { return status.Summarize(apps) }

// Health reasons the operator sets itself, from package status.
const (
	reasonDeploymentRunning  = status.ReasonDeploymentRunning  // a write started a deployment
	reasonMarathonUnreadable = status.ReasonMarathonUnreadable // the pass could not read Marathon
)
