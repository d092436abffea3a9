package marathon

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// ListApps returns every app with its tasks, deployments and last task
// failure, in one request. The list is decoded as it streams in, one app at
// a time: only each app's own JSON (App.Raw) is kept, never the whole body.
func (c *Client) ListApps(ctx context.Context) ([]App, error) {
	q := url.Values{"embed": {"apps.tasks", "apps.deployments", "apps.lastTaskFailure"}}
	var list appList
	if _, err := c.do(ctx, "GET", "/v2/apps", q, nil, &list); err != nil {
		return nil, fmt.Errorf("list apps: %w", err)
	}
	return list.apps, nil
}

// deploymentResult is the body of a write that starts a deployment.
type deploymentResult struct {
	Version      string `json:"version"`
	DeploymentID string `json:"deploymentId"`
}

// PutApp creates or fully replaces app id with definition, the raw JSON
// pacer rendered. It uses partialUpdate=false so that fields missing from
// definition are reset to Marathon's defaults instead of surviving.
// force overrides deployments that lock the app.
func (c *Client) PutApp(ctx context.Context, id string, definition []byte, force bool) (string, error) {
	q := url.Values{"partialUpdate": {"false"}}
	if force {
		q.Set("force", "true")
	}
	var res deploymentResult
	hdr, err := c.do(ctx, "PUT", appPath(id), q, definition, &res)
	if err != nil {
		return "", fmt.Errorf("put app %s: %w", id, err)
	}
	if res.DeploymentID == "" && hdr != nil {
		res.DeploymentID = hdr.Get("Marathon-Deployment-Id")
	}
	return res.DeploymentID, nil
}

// ScaleApp changes only the instance count of app id (a partial update,
// which Marathon turns into a scale deployment without restarting tasks).
func (c *Client) ScaleApp(ctx context.Context, id string, instances int, force bool) (string, error) {
	q := url.Values{"partialUpdate": {"true"}}
	if force {
		q.Set("force", "true")
	}
	body := []byte(`{"instances":` + strconv.Itoa(instances) + `}`)
	var res deploymentResult
	hdr, err := c.do(ctx, "PUT", appPath(id), q, body, &res)
	if err != nil {
		return "", fmt.Errorf("scale app %s: %w", id, err)
	}
	if res.DeploymentID == "" && hdr != nil {
		res.DeploymentID = hdr.Get("Marathon-Deployment-Id")
	}
	return res.DeploymentID, nil
}

// DeleteApp destroys app id. Marathon's DELETE defaults to force=true; pacer
// sends force explicitly so a delete never cancels a running deployment
// unless asked to.
func (c *Client) DeleteApp(ctx context.Context, id string, force bool) (string, error) {
	q := url.Values{"force": {strconv.FormatBool(force)}}
	var res deploymentResult
	if _, err := c.do(ctx, "DELETE", appPath(id), q, nil, &res); err != nil {
		return "", fmt.Errorf("delete app %s: %w", id, err)
	}
	return res.DeploymentID, nil
}

// appPath builds /v2/apps/<id> with each segment escaped.
func appPath(id string) string {
	segs := strings.Split(strings.Trim(id, "/"), "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return "/v2/apps/" + strings.Join(segs, "/")
}
