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
