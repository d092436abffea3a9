package main

import (
	"encoding/json"
	"testing"

	"pacer.dev/pacer/specs"
)

func TestSchemaCommand(t *testing.T) {
	code, out, errOut := runPacer(t, "schema")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if out != string(specs.Schema()) {
		t.Error("pacer schema does not print specs.Schema()")
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if doc["$id"] != specs.SchemaID {
		t.Errorf("$id = %v", doc["$id"])
	}
}
