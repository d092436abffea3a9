package main

import "github.com/spf13/cobra"

// Placeholders until the specs package lands (issue #2); replaced by
// validate.go, render.go and schema.go.
func newValidateCmd(*app) *cobra.Command {
	return newNotYetCmd("validate", "Check the spec tree offline", "#2")
}

func newRenderCmd(*app) *cobra.Command {
	return newNotYetCmd("render", "Print the Marathon app definitions for a cluster", "#2")
}

func newSchemaCmd(*app) *cobra.Command {
	return newNotYetCmd("schema", "Print the JSON Schema of the spec kinds", "#2")
}
