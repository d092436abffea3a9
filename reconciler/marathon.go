package reconciler

import (
	"context"

	"pacer.dev/pacer/internal/marathon"
)

// Marathon is what the reconciler needs from a Marathon client.
// *marathon.Client implements it; tests use a fake.
type Marathon interface {
	// ListApps returns every live app (tasks, deployments and last task
	// failure embedded) in one call.
	ListApps(ctx context.Context) ([]marathon.App, error)
	// PutApp creates or fully replaces an app (partialUpdate=false) with the
	// raw definition and returns the deployment id.
	PutApp(ctx context.Context, id string, definition []byte, force bool) (deploymentID string, err error)
	// ScaleApp changes only the instance count.
	ScaleApp(ctx context.Context, id string, instances int, force bool) (deploymentID string, err error)
	// DeleteApp destroys an app.
	DeleteApp(ctx context.Context, id string, force bool) (deploymentID string, err error)
	// Deployments lists the running deployments.
	Deployments(ctx context.Context) ([]marathon.Deployment, error)
	// Queue lists the launch queue (read only to explain a stuck deployment).
	Queue(ctx context.Context) ([]marathon.QueueItem, error)
}
