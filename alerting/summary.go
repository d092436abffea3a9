package alerting

import (
	"fmt"
	"strings"
	"time"
)

// maxSummary is PagerDuty's limit on payload.summary.
const maxSummary = 1024

// maxMessage keeps Marathon's messages short enough to read on a phone.
const maxMessage = 200

// Summary is the one line a responder reads at 3 a.m.: what, how much, for
// how long, where, e.g.
// "/services/autofill/production/app: 3 of 12 tasks unhealthy for 5m on ams".
func Summary(c Condition, cluster, app string, held time.Duration, d Details) string {
	if c == DeploymentStuck && d.Age > held {
		held = d.Age // how long it has been stuck, not how long we have known
	}
	what := describe(c, d)
	s := what + " for " + FormatDuration(held) + " on " + cluster
	if !c.ClusterLevel() && app != "" {
		s = app + ": " + s
	}
	if tail := reason(c, d); tail != "" {
		s += ": " + tail
	}
	return truncate(s, maxSummary)
}

func describe(c Condition, d Details) string {
	switch c {
	case Unhealthy:
		if d.Unhealthy > 0 && d.Instances > 0 {
			return fmt.Sprintf("%d of %d tasks unhealthy", d.Unhealthy, d.Instances)
		}
		return "tasks unhealthy"
	case Underprovisioned:
		// Marathon counts no task healthy when the app has no health
		// checks (and none while they are in their grace period): then
		// the running tasks are what serves.
		if d.Instances > 0 && d.Healthy+d.Unhealthy == 0 {
			return fmt.Sprintf("%d of %d instances running", d.Running, d.Instances)
		}
		if d.Instances > 0 {
			return fmt.Sprintf("%d of %d instances running and healthy", d.Healthy, d.Instances)
		}
		return "fewer tasks than wanted"
	case CrashLooping:
		return "tasks crash-looping"
	case OutOfSync:
		if d.Revision != "" {
			return "live differs from git revision " + shortRev(d.Revision)
		}
		return "live differs from git"
	case SyncFailed:
		if d.Revision != "" {
			return "sync of revision " + shortRev(d.Revision) + " failing"
		}
		return "sync failing"
	case DeploymentStuck:
		s := "deployment"
		if d.DeploymentID != "" {
			s += " " + d.DeploymentID
		}
		return s + " stuck"
	case MarathonUnreachable:
		return "Marathon unreachable"
	case GitSourceFailing:
		return "git source failing"
	case InvalidSpecRevision:
		if d.Revision != "" {
			return "spec revision " + shortRev(d.Revision) + " invalid"
		}
		return "spec revision invalid"
	case LBConfigInvalid:
		return "load balancer config invalid"
	case LBReloadFailed:
		return "load balancer reload failing"
	case ConcurrentWriter:
		return "another writer on the cluster"
	case CheckFailed, CheckUnknown, CheckAgentStale:
		return describeCheck(c, d)
	}
	return string(c)
}

// reason is the part after the colon: Marathon's or the source's own words.
func reason(c Condition, d Details) string {
	msg := oneLine(d.Message)
	switch c {
	case Underprovisioned:
		if msg != "" {
			return "launch queue: " + truncate(msg, maxMessage)
		}
		return ""
	case CrashLooping, Unhealthy:
		if msg != "" {
			return "last failure: " + truncate(msg, maxMessage)
		}
		return ""
	case DeploymentStuck:
		return ""
	}
	return truncate(msg, maxMessage)
}

// FormatDuration prints a duration the way people say it: 45s, 5m, 1h30m,
// 2d3h. Seconds are dropped above an hour.
func FormatDuration(d time.Duration) string {
	d = d.Round(time.Second)
	if d < time.Minute {
		return fmt.Sprintf("%ds", int(d/time.Second))
	}
	if d < time.Hour {
		m, s := int(d/time.Minute), int(d%time.Minute/time.Second)
		if s == 0 {
			return fmt.Sprintf("%dm", m)
		}
		return fmt.Sprintf("%dm%ds", m, s)
	}
	d = d.Round(time.Minute)
	days, h, m := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	var b strings.Builder
	if days > 0 {
		fmt.Fprintf(&b, "%dd", days)
	}
	if h > 0 {
		fmt.Fprintf(&b, "%dh", h)
	}
	if m > 0 && days == 0 {
		fmt.Fprintf(&b, "%dm", m)
	}
	return b.String()
}

func shortRev(r string) string {
	if len(r) > 12 {
		return r[:12]
	}
	return r
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// truncate cuts s to at most n bytes on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const mark = "…"
	cut := n - len(mark)
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
