// Package gitsource is the git source of `pacer run`: it keeps a bare clone
// of the specs repository in a cache directory, fetches one branch on demand
// (Source.Sync) and hands out the spec subtree of the fetched commit as an
// immutable in-memory fs.FS, so a half-updated checkout is never read.
//
// It also serves the GitLab push webhook (Webhook), which only nudges the
// caller's sync loop through a coalescing Trigger; the caller owns all timing.
// Credentials come from the environment or files and never appear in errors
// or logs: URLs are redacted wherever they are printed.
package gitsource
