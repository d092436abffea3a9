package status

import (
	"encoding/json"
	"sync"
)

// LiveDefinition is an app's live Marathon definition as the status page
// shows it: masked (env, secrets) on first use, and at most once, so a
// pass over 10,000 apps masks none until someone opens an app's page. The
// unmasked definition is never handed out. Safe for concurrent use.
type LiveDefinition struct {
	raw  json.RawMessage
	mask func(json.RawMessage) (json.RawMessage, error)

	maskOnce sync.Once
	masked   json.RawMessage
	err      error

	checksOnce sync.Once
	checks     bool
}

// NewLiveDefinition wraps a live definition with the function that masks
// it (reconciler.MaskDefinition with the cluster's salt).
func NewLiveDefinition(raw json.RawMessage, mask func(json.RawMessage) (json.RawMessage, error)) *LiveDefinition {
	return &LiveDefinition{raw: raw, mask: mask}
}

// Masked is the masked definition.
func (l *LiveDefinition) Masked() (json.RawMessage, error) {
	l.maskOnce.Do(func() { l.masked, l.err = l.mask(l.raw) })
	return l.masked, l.err
}

// HealthChecks reports whether the definition has health checks (without
// them Marathon counts no task healthy).
func (l *LiveDefinition) HealthChecks() bool {
	l.checksOnce.Do(func() { l.checks = hasHealthChecks(l.raw) })
	return l.checks
}

// HasHealthChecks reports whether the live app defines health checks
// (false when it is not in Marathon).
func (a *App) HasHealthChecks() bool { return a.Live != nil && a.Live.HealthChecks() }
