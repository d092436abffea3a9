package marathon

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
)

// appEssentials is the typed part of a live app decoded next to its raw JSON.
type appEssentials struct {
	ID             string            `json:"id"`
	Instances      int               `json:"instances"`
	Labels         map[string]string `json:"labels"`
	Version        string            `json:"version"`
	TasksStaged    int               `json:"tasksStaged"`
	TasksRunning   int               `json:"tasksRunning"`
	TasksHealthy   int               `json:"tasksHealthy"`
	TasksUnhealthy int               `json:"tasksUnhealthy"`
	Deployments    []struct {
		ID string `json:"id"`
	} `json:"deployments"`
	Residency json.RawMessage `json:"residency"`
	Container *struct {
		Volumes []struct {
			Persistent json.RawMessage `json:"persistent"`
		} `json:"volumes"`
	} `json:"container"`
	LastTaskFailure *TaskFailure `json:"lastTaskFailure"`
	Tasks           []Task       `json:"tasks"`
}

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

// appList decodes the body of GET /v2/apps ({"apps": [...]}) app by app.
type appList struct{ apps []App }

func (l *appList) decodeBody(r io.Reader) error {
	l.apps = nil
	dec := json.NewDecoder(r)
	if err := expectDelim(dec, '{'); err != nil {
		return err
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return err
		}
		if key != "apps" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return err
			}
			continue
		}
		if err := l.decodeApps(dec); err != nil {
			return err
		}
	}
	return expectDelim(dec, '}')
}

// decodeApps decodes the apps array (or null).
func (l *appList) decodeApps(dec *json.Decoder) error {
	tok, err := dec.Token()
	if err != nil || tok == nil {
		return err
	}
	if tok != json.Delim('[') {
		return fmt.Errorf("apps: want an array, got %v", tok)
	}
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		a, err := decodeApp(raw)
		if err != nil {
			return err
		}
		l.apps = append(l.apps, a)
	}
	return expectDelim(dec, ']')
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != want {
		return fmt.Errorf("want %v, got %v", want, tok)
	}
	return nil
}

func decodeApp(raw json.RawMessage) (App, error) {
	var e appEssentials
	if err := json.Unmarshal(raw, &e); err != nil {
		return App{}, fmt.Errorf("decode app: %w", err)
	}
	a := App{
		ID: e.ID, Instances: e.Instances, Labels: e.Labels, Version: e.Version,
		TasksStaged: e.TasksStaged, TasksRunning: e.TasksRunning,
		TasksHealthy: e.TasksHealthy, TasksUnhealthy: e.TasksUnhealthy,
		LastTaskFailure: e.LastTaskFailure, Tasks: e.Tasks, Raw: raw,
	}
	for _, d := range e.Deployments {
		a.DeploymentIDs = append(a.DeploymentIDs, d.ID)
	}
	if len(e.Residency) > 0 && string(e.Residency) != "null" {
		a.PersistentVolumes = true
	}
	if e.Container != nil {
		for _, v := range e.Container.Volumes {
			if len(v.Persistent) > 0 && string(v.Persistent) != "null" {
				a.PersistentVolumes = true
			}
		}
	}
	return a, nil
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
