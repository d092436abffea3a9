// Package proctest is test support for tests that run real servers (nginx,
// HAProxy) as child processes: each in its own process group, stopped with
// the test, its output shown when the test failed.
//
// It is imported only by tests (lb, cmd/pacer, e2e).
package proctest
