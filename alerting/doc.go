// Package alerting turns what pacer observes into PagerDuty incidents that
// fire once and resolve themselves.
//
// Every pass the operator hands a Tracker the full list of Signals that hold
// (a condition such as Unhealthy for an app on a cluster); a condition absent
// from a pass is clear. The Tracker applies each condition's `for` duration,
// a clear-for hysteresis, MarathonUnreachable inhibition and Silences, and
// returns the Incidents to trigger or resolve; OpenIncidents/Restore carry
// open incidents over a restart or a leader change, kept in a Store
// (FileStore here; cmd keeps them in ZooKeeper when leader election is on). A Notifier sends them: Delivery queues per
// PagerDuty routing key (rate limited, retried with backoff, never dropped)
// in front of the PagerDuty sender, and LogNotifier stands in when no routing
// key is configured. The package imports nothing of pacer's; cmd translates
// reconciler and lb state into Signals.
package alerting
