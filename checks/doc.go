// Package checks runs pacer's custom checks, the Nagios replacement: the
// Nagios plugin contract (exit codes, summary line, perfdata), commands run
// with a timeout, http and tcp probes of an app's tasks with a threshold over
// the tasks, prometheus queries, the soft/hard state machine of for and
// clearFor, and the schedule that runs each check on its interval. pacer
// agent runs the exec checks of its app with it; the leader runs the probes
// and collects the agents' results.
package checks
