// Package specs reads pacer's spec tree and turns it into the Marathon app
// definitions pacer submits.
//
// A tree is a directory (or any fs.FS, such as a git checkout) of multi-document
// YAML files holding two kinds, Cluster and ServiceGroup (apiVersion
// pacer.dev/v1). Load decodes them strictly, keeping every YAML position, so
// each problem is reported as file:line:col; Validate checks the whole set at
// once, including the rules of Marathon 1.4.13's own app validator (see
// docs/validation.md), and Warnings gives its advice; Render produces, for one cluster, the app definitions with overlays
// merged, ids made absolute and pacer's ownership labels set. Schema describes
// the same kinds as JSON Schema for editors.
//
// The package is pure: no network, no clock, no mutable globals.
package specs
