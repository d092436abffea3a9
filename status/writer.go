package status

import "time"

// ConcurrentWriter is evidence that something else writes the apps this
// instance writes: a second `pacer run` without --zk on the same cluster,
// or a `pacer reconcile` of another revision.
type ConcurrentWriter struct {
	// App is the last app seen written by the other writer.
	App string `json:"app"`
	// Revision is the pacer.dev/revision the other writer left on it;
	// Previous the one the app carried before.
	Revision string `json:"revision"`
	Previous string `json:"previousRevision,omitempty"`
	// InForce is this instance's revision at that time.
	InForce string `json:"inForce"`
	// Apps counts the apps seen written by the other writer in the window.
	Apps   int       `json:"apps"`
	SeenAt time.Time `json:"seenAt"`
}
