// Package operator is the loop of `pacer run`: it keeps one Marathon cluster
// converged on the newest valid revision of the specs.
//
// A pass loads the revision's spec tree, plans it against the live apps and,
// for environments whose sync policy is automated, applies the plan while
// this instance leads; manual environments, dry runs and followers only
// report drift. Passes run on a new revision, on the sync interval and soon
// after Marathon events that touch managed apps (events only enqueue; a burst
// is drained into one pass). A revision that fails validation leaves the last
// good one in force. Per-app failures back off exponentially with jitter and
// never block the other apps. Status, Prometheus metrics and health endpoints
// are served by Handler.
package operator
