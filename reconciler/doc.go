// Package reconciler makes Marathon follow the desired state rendered from git.
//
// A pass reads live state in one bulk call, normalizes desired and live app
// definitions into a canonical form (Marathon 1.4.13 defaults filled in,
// server-set fields stripped, sets sorted, nil and empty alike), diffs them
// per field, builds a Plan (create / update / scale / delete / unchanged /
// skip) under the safety rules (ownership label, prune guard, protected apps)
// and, unless it is a dry run, applies it through the narrow Marathon
// interface and waits for the deployments to finish.
package reconciler
