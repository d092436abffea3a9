// Package httpserve builds the HTTP servers pacer exposes (`pacer run`'s
// status, metrics and webhook endpoints, `pacer lb --metrics-listen`) with
// the same limits: slow headers cut, idle keep-alive connections closed
// after an idle timeout, and a cap on concurrent connections so a flood of
// clients cannot exhaust file descriptors or memory.
package httpserve
