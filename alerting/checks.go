package alerting

// Custom check conditions (spec.checks). Their subject's App is the check's
// id (e.g. /services/autofill/production:afquery), so every check has its
// own dedup key; CheckAgentStale's is the agent app's id.
const (
	CheckFailed     Condition = "CheckFailed"     // a check's hard state is WARNING or CRITICAL
	CheckUnknown    Condition = "CheckUnknown"    // a check's hard state is UNKNOWN (timeout, plugin error)
	CheckAgentStale Condition = "CheckAgentStale" // no agent of an app running exec checks answers
)

// DetailState is the Details.Extra key of a check's state (WARNING,
// CRITICAL, UNKNOWN).
const DetailState = "state"

func describeCheck(c Condition, d Details) string {
	switch c {
	case CheckFailed:
		if st := d.Extra[DetailState]; st != "" {
			return "check " + st
		}
		return "check failing"
	case CheckUnknown:
		return "check UNKNOWN"
	}
	return "checks agent not answering"
}

// Details.Extra keys of check conditions that links read.
const (
	DetailTarget  = "target"  // the app a check runs in or probes
	DetailRunbook = "runbook" // the check's runbook link
)

// linksOf are an incident's links. A check's incident links its target
// app (its subject, the check id, is no Marathon app) and its runbook.
func (o LinkOptions) linksOf(cluster, app string, c Condition, d Details) []Link {
	if c != CheckFailed && c != CheckUnknown {
		return o.Links(cluster, app)
	}
	out := o.Links(cluster, d.Extra[DetailTarget])
	if rb := d.Extra[DetailRunbook]; rb != "" {
		out = append(out, Link{Href: rb, Text: "Runbook"})
	}
	return out
}
