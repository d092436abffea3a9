// Package probe performs health checks the way Marathon's HTTP and TCP
// health checks do: HTTP is healthy on a 200–399 response (redirects are
// not followed, so a 3xx counts as healthy), TCP is healthy when a
// connection can be opened. The caller's context carries the check's
// timeoutSeconds.
package probe
