// Package marathon is pacer's only HTTP client for the Marathon v2 REST API.
//
// It speaks raw JSON so that writes send exactly the app definition pacer
// rendered (go-marathon's Application type drops fields it does not know and
// cannot send zero values such as cpus 0). Every call takes a context and has
// a per-request timeout; several Marathon URLs are tried in order on
// connection errors and 5xx, and the one that answered is remembered. HTTP
// status codes are mapped to the sentinel errors ErrNotFound, ErrLocked,
// ErrInvalid, ErrUnauthorized and ErrUnavailable, with typed errors carrying
// Marathon's details; an answer that is not Marathon's (a proxy's HTML page)
// is ErrNotMarathon. Access (access.go) merges the timeout, credentials
// (basic auth or a DC/OS token, read from a file or an env var) and TLS
// trust from flags, environment and the Cluster spec; credentials go on
// every request, the event stream included, and never into a message.
package marathon
