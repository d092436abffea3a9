package reconciler

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"pacer.dev/pacer/internal/marathon"
)

// ErrWrongMarathon means the Marathon pacer reached is not the one of the
// cluster it was asked to converge: its /v2/info differs from what the
// Cluster spec expects or from what pacer saw there before.
var ErrWrongMarathon = errors.New("wrong Marathon")

// Identity is what tells one Marathon from another in /v2/info.
type Identity struct {
	// Name is marathon_config.framework_name.
	Name string `json:"name,omitempty"`
	// FrameworkID is Marathon's Mesos framework id.
	FrameworkID string `json:"frameworkId,omitempty"`
	// ZK is zookeeper_config.zk.
	ZK string `json:"zk,omitempty"`
}

// IdentityOf picks the identity out of /v2/info.
func IdentityOf(info marathon.Info) Identity {
	return Identity{Name: info.FrameworkName, FrameworkID: info.FrameworkID, ZK: info.ZK}
}

// IsZero reports whether no field is set.
func (id Identity) IsZero() bool { return id == Identity{} }

// CheckIdentity compares the identity a Marathon reports (got) with the one
// expected for cluster (want, from the place named by from); only the
// fields want sets are compared. The error names every field that differs.
func CheckIdentity(cluster string, got, want Identity, from string) error {
	var diffs []string
	cmp := func(field, g, w string) {
		switch {
		case w == "" || g == w:
		case g == "":
			diffs = append(diffs, fmt.Sprintf("%s: Marathon reports none, want %q", field, w))
		default:
			diffs = append(diffs, fmt.Sprintf("%s: Marathon reports %q, want %q", field, g, w))
		}
	}
	cmp("frameworkId", got.FrameworkID, want.FrameworkID)
	cmp("zk", redactZK(got.ZK), redactZK(want.ZK))
	cmp("name (framework_name)", got.Name, want.Name)
	if len(diffs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: this Marathon is not cluster %s's according to %s (%s); refusing to plan or write anything (check --marathon and the Cluster spec's marathon.urls)",
		ErrWrongMarathon, cluster, from, strings.Join(diffs, "; "))
}

// redactZK hides credentials in a zk:// URL (zk://user:pass@host/path).
func redactZK(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return "zk://(redacted)"
	}
	return u.Redacted()
}
