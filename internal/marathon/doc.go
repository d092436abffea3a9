// Package marathon is pacer's only HTTP client for the Marathon v2 REST API.
//
// It speaks raw JSON so that writes send exactly the app definition pacer
// rendered (go-marathon's Application type drops fields it does not know and
// cannot send zero values such as cpus 0). Every call takes a context and has
// a per-request timeout; several Marathon URLs are tried in order on
// connection errors and 5xx, and the one that answered is remembered. HTTP
// status codes are mapped to the sentinel errors ErrNotFound, ErrLocked,
// ErrInvalid and ErrUnavailable, with typed errors carrying Marathon's details.
package marathon
