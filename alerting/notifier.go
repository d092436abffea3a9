package alerting

import (
	"context"
	"strings"
	"time"

	"github.com/go-logr/logr"
)

// Notifier sends an incident: a trigger or a resolve, decided by inc.State.
// inc.DedupKey is stable per condition and subject.
type Notifier interface {
	Notify(ctx context.Context, inc Incident) error
}

// ChangeNotifier records a successful deployment next to the incidents
// (PagerDuty Change Events).
type ChangeNotifier interface {
	NotifyChange(ctx context.Context, c Change) error
}

// Change is a successful deployment of an app: what changed and which
// revision of the specs it came from.
type Change struct {
	Route       KeyRef
	Cluster     string
	App         string
	Group       string
	Environment string
	// Action is what pacer did: create, update, scale or delete (empty
	// reads as a deployment).
	Action           string
	DeploymentID     string
	Revision         string
	PreviousRevision string
	// What lists the changed fields in a line each, e.g.
	// "container.docker.image: registry.example/autofill:3fb4278".
	What  []string
	Diff  string // excerpt of the applied diff
	At    time.Time
	Links []Link
}

// maxWhat is how many changed fields the summary names.
const maxWhat = 3

// Summary is the change event's one line:
// "/services/autofill/production/app deployed revision 3fb4278 on ams: container.docker.image, instances".
func (c Change) Summary() string {
	verb := "deployed"
	switch c.Action {
	case "create":
		verb = "created"
	case "delete":
		verb = "deleted"
	case "scale":
		verb = "scaled"
	}
	s := c.App + " " + verb
	if c.Revision != "" {
		s += " revision " + shortRev(c.Revision)
	}
	s += " on " + c.Cluster
	if len(c.What) > 0 {
		fields := make([]string, 0, maxWhat)
		for i, w := range c.What {
			if i == maxWhat {
				fields = append(fields, "…")
				break
			}
			field, _, _ := strings.Cut(w, ":")
			fields = append(fields, strings.TrimSpace(field))
		}
		s += ": " + strings.Join(fields, ", ")
	}
	return truncate(s, maxSummary)
}

// LogNotifier only logs incidents and changes (logger from ctx). cmd uses it
// when no PagerDuty routing key is configured; Delivery uses it for an
// incident whose routing key does not resolve.
type LogNotifier struct{}

var (
	_ Notifier       = LogNotifier{}
	_ ChangeNotifier = LogNotifier{}
)

// Notify logs the incident.
func (LogNotifier) Notify(ctx context.Context, inc Incident) error {
	log := logr.FromContextOrDiscard(ctx).WithValues("incident", inc.DedupKey, "severity", inc.Severity, "summary", inc.Summary)
	if inc.State == Resolved {
		log.Info("Incident resolved (not sent: no PagerDuty routing key)")
		return nil
	}
	log.Info("Incident triggered (not sent: no PagerDuty routing key)", "details", inc.Details)
	return nil
}

// NotifyChange logs the change.
func (LogNotifier) NotifyChange(ctx context.Context, c Change) error {
	logr.FromContextOrDiscard(ctx).Info("Deployment recorded (not sent: no PagerDuty routing key)",
		"app", c.App, "revision", c.Revision, "summary", c.Summary())
	return nil
}
