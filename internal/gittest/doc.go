// Package gittest is test support for code that follows a git repository:
// a bare repository on disk and a work clone that commits and pushes spec
// trees to it, with the git binary and no user or system configuration.
//
// It is imported only by tests (cmd/pacer, e2e).
package gittest
