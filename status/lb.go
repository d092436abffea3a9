package status

import "time"

// LB is the load-balancer pipeline's last run, as the status page shows
// it (cmd maps the lb package's status to it).
type LB struct {
	At                time.Time
	Backends, Servers int
	// ConfigInvalid: the newest config was refused; the last good one
	// keeps serving. ReloadFailed: it is in place but the reload failed.
	ConfigInvalid, ReloadFailed bool
	Error                       string
	// Problems are why apps (or some of their ports) are left out of the
	// config or lose a conflict, by app id.
	Problems map[string][]string
}
