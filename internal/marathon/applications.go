package marathon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"

	gomarathon "github.com/gambol99/go-marathon"
)

// DecodeError reports apps of a list that could not be decoded as
// go-marathon types. The apps that did decode are returned with it, so one
// odd app never hides the others.
type DecodeError struct {
	// Apps maps the id of each skipped app ("" when unknown) to its error.
	Apps map[string]error
}

func (e *DecodeError) Error() string {
	errs := make([]error, 0, len(e.Apps))
	for id, err := range e.Apps {
		errs = append(errs, fmt.Errorf("app %q: %w", id, err))
	}
	return fmt.Sprintf("decode %d apps: %v", len(e.Apps), errors.Join(errs...))
}

// ListApplications returns every app with its tasks (and their health
// results) and its deployments as go-marathon values, in one request:
// GET /v2/apps?embed=apps.tasks&embed=apps.deployments.
//
// Fields the load balancer never reads and that go-marathon v0.7.1 cannot
// decode in every Marathon version (env with secret references, secrets)
// are dropped before decoding. An app that still fails to decode is left
// out and reported in a *DecodeError returned with the other apps.
func (c *Client) ListApplications(ctx context.Context) ([]gomarathon.Application, error) {
	q := url.Values{"embed": {"apps.tasks", "apps.deployments"}}
	var body struct {
		Apps []json.RawMessage `json:"apps"`
	}
	if _, err := c.do(ctx, "GET", "/v2/apps", q, nil, &body); err != nil {
		return nil, fmt.Errorf("list applications: %w", err)
	}
	apps := make([]gomarathon.Application, 0, len(body.Apps))
	var bad *DecodeError
	for _, raw := range body.Apps {
		a, err := DecodeApplication(raw)
		if err != nil {
			if bad == nil {
				bad = &DecodeError{Apps: map[string]error{}}
			}
			bad.Apps[a.ID] = err
			continue
		}
		apps = append(apps, a)
	}
	if bad != nil {
		return apps, bad
	}
	return apps, nil
}

// DecodeApplication decodes one app JSON object (from GET /v2/apps or an
// api_post_event's appDefinition) as a go-marathon Application, without env
// and secrets. On error the returned app carries the id when it could be read.
func DecodeApplication(raw []byte) (gomarathon.Application, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return gomarathon.Application{}, fmt.Errorf("decode app: %w", err)
	}
	delete(fields, "env")
	delete(fields, "secrets")
	var id string
	_ = json.Unmarshal(fields["id"], &id)
	trimmed, err := json.Marshal(fields)
	if err != nil {
		return gomarathon.Application{ID: id}, fmt.Errorf("decode app %s: %w", id, err)
	}
	var a gomarathon.Application
	if err := json.Unmarshal(trimmed, &a); err != nil {
		return gomarathon.Application{ID: id}, fmt.Errorf("decode app %s: %w", id, err)
	}
	return a, nil
}

// ListDeployments returns the running deployments as go-marathon values
// (currentActions say which apps are being stopped or restarted).
func (c *Client) ListDeployments(ctx context.Context) ([]gomarathon.Deployment, error) {
	var deps []gomarathon.Deployment
	if _, err := c.do(ctx, "GET", "/v2/deployments", nil, nil, &deps); err != nil {
		return nil, fmt.Errorf("list deployments: %w", err)
	}
	return deps, nil
}
