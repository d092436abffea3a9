package alerting

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strings"
	"time"
)

// State is what a Notifier does with an incident.
type State string

// Incident states; the values are PagerDuty's event actions.
const (
	Triggered State = "trigger"
	Resolved  State = "resolve"
)

// Incident is one trigger or resolve of a condition for a subject. It holds
// no secret: Route names where the routing key comes from.
type Incident struct {
	State       State
	DedupKey    string
	Route       KeyRef
	Condition   Condition
	Cluster     string // PagerDuty source
	App         string // PagerDuty component; empty for cluster-level conditions
	Group       string
	Environment string
	Severity    Severity
	Summary     string
	Since       time.Time // the condition was first seen
	At          time.Time // of this transition
	Details     Details
	Links       []Link
}

// Link is a link shown on the PagerDuty alert.
type Link struct {
	Href string `json:"href"`
	Text string `json:"text,omitempty"`
}

// maxDedupKey is PagerDuty's limit on dedup_key.
const maxDedupKey = 255

// DedupKey is the stable PagerDuty dedup key of a condition:
// pacer/<cluster>/<app id>/<Condition>, or pacer/<cluster>/-/<Condition> for
// cluster-level ones. The app id's leading "/" is dropped so the key has no
// empty segment: pacer/ams/services/autofill/production/app/Unhealthy. Keys
// over PagerDuty's 255 characters keep their start and condition around a
// hash of the whole.
func DedupKey(cluster, app string, c Condition) string {
	app = strings.TrimPrefix(app, "/")
	if c.ClusterLevel() || app == "" {
		app = "-"
	}
	k := "pacer/" + cluster + "/" + app + "/" + string(c)
	if len(k) <= maxDedupKey {
		return k
	}
	sum := sha256.Sum256([]byte(k))
	h := "~" + hex.EncodeToString(sum[:8]) + "~"
	tail := "/" + string(c)
	head := k[:maxDedupKey-len(h)-len(tail)]
	return head + h + tail
}

// LinkOptions build the links of an incident.
type LinkOptions struct {
	// MarathonURL maps a cluster to its Marathon UI base, e.g.
	// http://marathon-1.ams:8080.
	MarathonURL map[string]string
	// StatusURL is pacer's status page, e.g. http://pacer.ams:9090/status.
	StatusURL string
}

// Links are the links of an incident or change of app on cluster (app
// empty for cluster-level ones).
func (o LinkOptions) Links(cluster, app string) []Link {
	var out []Link
	if base := strings.TrimSuffix(o.MarathonURL[cluster], "/"); base != "" {
		if app != "" {
			out = append(out, Link{Href: base + "/ui/#/apps/" + url.PathEscape(app), Text: "Marathon: " + app})
		} else {
			out = append(out, Link{Href: base + "/ui/", Text: "Marathon " + cluster})
		}
	}
	if o.StatusURL != "" {
		href := o.StatusURL
		if app != "" {
			href += "?app=" + url.QueryEscape(app)
		}
		out = append(out, Link{Href: href, Text: "pacer status"})
	}
	return out
}
