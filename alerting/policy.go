package alerting

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Urgency is an environment's PagerDuty urgency, as written in the spec.
type Urgency string

// Urgencies. UrgencyNone means the environment does not page: its conditions
// are tracked (and visible in Snapshot) but produce no incidents.
const (
	UrgencyNone Urgency = ""
	UrgencyHigh Urgency = "high"
	UrgencyLow  Urgency = "low"
)

// Severity is the PagerDuty Events API v2 payload severity.
type Severity string

// Severities, most severe first.
const (
	SeverityCritical Severity = "critical"
	SeverityError    Severity = "error"
	SeverityWarning  Severity = "warning"
	SeverityInfo     Severity = "info"
)

func (s Severity) rank() int {
	switch s {
	case SeverityCritical:
		return 3
	case SeverityError:
		return 2
	case SeverityWarning:
		return 1
	}
	return 0
}

// Policy says how one environment (or, for cluster-level conditions, the
// operator) pages. Build it from the spec with NewPolicy.
type Policy struct {
	Urgency Urgency
	// Test caps every severity at warning.
	Test bool
	// For overrides how long a condition must hold before it pages.
	For map[Condition]time.Duration
	// Severity overrides the severity of a condition (still capped by Test).
	Severity map[Condition]Severity
	// RoutingKey says where the routing key comes from; the zero value means
	// the default key (--pagerduty-routing-key-file).
	RoutingKey KeyRef
}

// NewPolicy builds the policy of an environment from its spec fields:
// urgency "high" or "low", the `alerting.for` map (condition names) and the routing key reference. Environments named like test
// environments (test, testing, qa, dev, sandbox, test-*, *-test) are capped
// at warning.
func NewPolicy(environment, urgency string, forOverrides map[string]time.Duration, key KeyRef) (Policy, error) {
	p := Policy{Urgency: Urgency(urgency), Test: IsTestEnvironment(environment), RoutingKey: key}
	var errs []error
	switch p.Urgency {
	case UrgencyHigh, UrgencyLow, UrgencyNone:
	default:
		errs = append(errs, fmt.Errorf("environment %s: urgency %q: want high or low", environment, urgency))
	}
	for name, d := range forOverrides {
		c, err := ParseCondition(name)
		if err != nil {
			errs = append(errs, fmt.Errorf("environment %s: alerting.for: %w", environment, err))
			continue
		}
		if d < 0 {
			errs = append(errs, fmt.Errorf("environment %s: alerting.for.%s: negative duration %s", environment, name, d))
			continue
		}
		if p.For == nil {
			p.For = make(map[Condition]time.Duration, len(forOverrides))
		}
		p.For[c] = d
	}
	return p, errors.Join(errs...)
}

// IsTestEnvironment reports whether an environment name looks like a test
// environment, whose incidents never exceed warning.
func IsTestEnvironment(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "test", "testing", "qa", "dev", "development", "sandbox":
		return true
	}
	return strings.HasPrefix(n, "test-") || strings.HasSuffix(n, "-test")
}

// pages reports whether the policy sends incidents at all.
func (p Policy) pages() bool { return p.Urgency != UrgencyNone }

// forDuration is how long c must hold: the policy's override, else the
// operator's, else the condition's default.
func (p Policy) forDuration(c Condition, operator map[Condition]time.Duration) time.Duration {
	if d, ok := p.For[c]; ok {
		return d
	}
	if d, ok := operator[c]; ok {
		return d
	}
	return c.DefaultFor()
}

// SeverityOf returns the severity an incident for c gets under the policy:
// an override if set, else the default (below), capped at warning in test
// environments.
//
// Defaults: Unhealthy, Underprovisioned, CrashLooping and
// MarathonUnreachable are critical at high urgency; SyncFailed,
// DeploymentStuck and the other cluster conditions are error; OutOfSync is
// always warning; low urgency is warning throughout.
func (p Policy) SeverityOf(c Condition) Severity {
	s, ok := p.Severity[c]
	if !ok {
		s = defaultSeverity(c, p.Urgency)
	}
	if p.Test && s.rank() > SeverityWarning.rank() {
		return SeverityWarning
	}
	return s
}

func defaultSeverity(c Condition, u Urgency) Severity {
	if c == OutOfSync || u != UrgencyHigh {
		return SeverityWarning
	}
	switch c {
	case Unhealthy, Underprovisioned, CrashLooping, MarathonUnreachable:
		return SeverityCritical
	}
	return SeverityError
}
