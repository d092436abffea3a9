package marathon

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
)

// Deployments returns the running deployments.
func (c *Client) Deployments(ctx context.Context) ([]Deployment, error) {
	var ds []Deployment
	hdr, err := c.do(ctx, "GET", "/v2/deployments", nil, nil, &ds)
	if err != nil {
		return nil, fmt.Errorf("list deployments: %w", err)
	}
	answered, _ := http.ParseTime(hdr.Get("Date"))
	for i := range ds {
		ds[i].AnsweredAt = answered
		for j := range ds[i].CurrentActions {
			a := &ds[i].CurrentActions[j]
			if a.Action == "" {
				a.Action = a.Type
			}
		}
	}
	return ds, nil
}

// CancelDeployment stops deployment id without rolling it back (force=true).
func (c *Client) CancelDeployment(ctx context.Context, id string) error {
	q := url.Values{"force": {"true"}}
	if _, err := c.do(ctx, "DELETE", "/v2/deployments/"+url.PathEscape(id), q, nil, nil); err != nil {
		return fmt.Errorf("cancel deployment %s: %w", id, err)
	}
	return nil
}
