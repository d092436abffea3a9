// Package paging sits between the status model and alerting: it turns the
// operator's status after each pass (and the LB pipeline's) into alerting
// signals and keeps the leader's incident state.
//
// Signals is the pure mapping (status, LB status → conditions). An Alerter
// runs it on its own goroutine, fed latest-wins by Offer so that a slow
// store or PagerDuty never stretches a reconcile pass; it counts crash
// loops over a window, holds change events until their deployment ends,
// pages only while this instance leads, and restores and persists the open
// incidents and pending change events. ZKStore keeps them on the leader
// election's ZooKeeper session with fenced writes.
package paging
