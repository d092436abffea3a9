package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"pacer.dev/pacer/checks"
	"pacer.dev/pacer/status"
)

// statusChecks lists the checks rendered for --cluster (and
// --environment) with their state as the pacer at from reports it
// (/api/v1/checks), or with no state when from is empty.
func statusChecks(ctx context.Context, a *app, from string) ([]status.Check, error) {
	set, err := loadValid(a)
	if err != nil {
		return nil, err
	}
	list, err := set.Checks(a.opts.cluster, a.opts.environment)
	if err != nil {
		return nil, err
	}
	reported := map[string]status.Check{}
	if from != "" {
		resp, err := fetchChecks(ctx, from)
		if err != nil {
			return nil, err
		}
		for _, st := range resp.Checks {
			reported[st.ID] = st
		}
	}
	out := make([]status.Check, len(list))
	for i := range list {
		c, ok := reported[list[i].ID]
		if !ok {
			c = checks.StateOf(&list[i]).Record()
		}
		out[i] = c
	}
	return out, nil
}

func fetchChecks(ctx context.Context, base string) (*checks.APIResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	url := strings.TrimSuffix(base, "/") + checks.APIPath
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("checks: %w", err)
	}
	resp, err := (&http.Client{}).Do(req)
	if err != nil {
		return nil, fmt.Errorf("checks: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("checks: GET %s: HTTP %d", url, resp.StatusCode)
	}
	var out checks.APIResponse
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&out); err != nil {
		return nil, fmt.Errorf("checks: decode %s: %w", url, err)
	}
	return &out, nil
}
