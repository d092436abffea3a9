// Package e2e holds pacer's end-to-end tests: the real pacer and marathon-sim
// binaries, built once per run, driven the way users and CI drive them, with
// real nginx, HAProxy, ZooKeeper and git where a scenario needs them.
//
// The tests use public surfaces only (binaries, HTTP APIs, files) and poll
// with one helper, eventually, instead of sleeping.
package e2e
