// Package statuspage serves pacer's read-only status page for the person
// on call: an overview of the cluster's apps (environments → service
// groups → apps, filtered, searched and paged with plain GET parameters),
// one page per app (pending plan diff, masked live definition,
// deployments, last task failure, links) and the revision page (revision
// in force, an invalid newer one with its file:line errors, recent
// passes). It renders the status model (package status) with html/template
// and embedded assets, and pushes a server-sent event after each pass so a
// tiny script can swap the rows that changed. It never writes: every route
// is a GET.
package statuspage
