// Package status is pacer's one model of what state a cluster and its apps
// are in: Sync (does the live app match git), Health (how its tasks run)
// and typed reason codes for each, with the per-pass Cluster record the
// operator publishes, and Check: a custom check's state (the checks
// package converts its own soft/hard status to it, in one place).
//
// Every reader uses it: the operator's /api/v1/status and /api/v1/checks,
// `pacer status`, the paging bridge and the status page. Consumers switch on the codes
// (Health, Sync, Reason); people read the messages. The package imports
// only specs types and pacer's Marathon app model.
package status
