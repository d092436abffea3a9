package specs

import (
	"testing"
	"testing/fstest"
)

// FuzzLoad feeds arbitrary bytes to the loader as a spec file next to a valid
// Cluster. Whatever the input, Load, Validate and Render must return (an
// error is fine) without panicking, and every problem must name the file.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(clusterAMS))
	f.Add([]byte("apiVersion: pacer.dev/v1\nkind: ServiceGroup\nmetadata: {name: a}\nspec:\n  environments: {p: {clusters: [ams]}}\n  apps: {x: {cmd: run, dependencies: [y]}, y: {cmd: run, dependencies: [x]}}\n"))
	f.Add([]byte("a: &a [x]\nb: {<<: *a}\n"))
	f.Add([]byte("\t- bad"))
	f.Add([]byte("a: &x {k: 1}\n---\nb: {<<: *x}\n---\n*x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := fstest.MapFS{
			"clusters.yaml": {Data: []byte(clusterAMS)},
			"fuzz.yaml":     {Data: data},
		}
		set, err := Load(fsys)
		if set == nil {
			t.Fatalf("Load returned no set: %v", err)
		}
		if err := set.Validate(); err != nil {
			for _, e := range lines(t, err) {
				if e == "" {
					t.Fatal("empty problem")
				}
			}
			return
		}
		if _, err := set.Render("ams", ""); err != nil {
			t.Fatalf("Render of a valid set: %v", err)
		}
	})
}
