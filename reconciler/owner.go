package reconciler

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"pacer.dev/pacer/internal/marathon"
)

// LabelCluster names the cluster (the Cluster spec's metadata.name) an app
// was written for. specs.Render sets it on every app.
const LabelCluster = "pacer.dev/cluster"

// ErrForeignCluster means the Marathon read holds apps pacer wrote for
// another cluster: it is not the cluster the pass is for (a wrong
// --marathon URL or Cluster spec). The whole pass is refused.
var ErrForeignCluster = errors.New("wrong cluster")

// maxForeignListed bounds the apps ErrForeignCluster's message names.
const maxForeignListed = 5

// checkOwnership refuses a pass for cluster when a live app that the pass
// could write (one managed by pacer, or one git wants) is labelled for
// another cluster. Apps without the label (written before pacer labelled
// clusters) are ours: the next write adds the label. An empty cluster
// turns the check off.
func checkOwnership(live []marathon.App, desired map[string]bool, cluster string) error {
	if cluster == "" {
		return nil
	}
	var foreign []string
	others := map[string]bool{}
	for i := range live {
		l := &live[i]
		c := l.Labels[LabelCluster]
		if c == "" || c == cluster {
			continue
		}
		if !isManaged(l.Labels) && !desired[canonicalID(l.ID)] {
			continue // not pacer's and not wanted: never written
		}
		foreign = append(foreign, fmt.Sprintf("%s (%s=%s)", canonicalID(l.ID), LabelCluster, c))
		others[c] = true
	}
	if len(foreign) == 0 {
		return nil
	}
	sort.Strings(foreign)
	n := len(foreign)
	if n > maxForeignListed {
		foreign = append(foreign[:maxForeignListed], fmt.Sprintf("and %d more", n-maxForeignListed))
	}
	names := make([]string, 0, len(others))
	for c := range others {
		names = append(names, c)
	}
	sort.Strings(names)
	return fmt.Errorf("%w: this pass is for cluster %q, but %d app(s) of this Marathon are labelled for cluster %s: %s; "+
		"refusing the whole pass, nothing is planned or written (check --marathon and the Cluster spec's marathon.urls)",
		ErrForeignCluster, cluster, n, strings.Join(names, ", "), strings.Join(foreign, ", "))
}
