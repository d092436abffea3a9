package specs

import (
	"errors"
	"flag"
	"testing"
	"testing/fstest"
)

var update = flag.Bool("update", false, "rewrite golden files")

// clusterAMS is a valid Cluster most test trees need.
const clusterAMS = `apiVersion: pacer.dev/v1
kind: Cluster
metadata: {name: ams}
spec:
  marathon: {urls: ["http://m1.ams:8080"]}
`

// mapFS builds a spec tree from file names and contents.
func mapFS(files map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for name, data := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(data), Mode: 0o644}
	}
	return fsys
}

// problemLines loads and validates fsys and returns every problem as its
// printed line.
func problemLines(t *testing.T, fsys fstest.MapFS) []string {
	t.Helper()
	set, err := Load(fsys)
	if set == nil {
		t.Fatalf("Load: %v", err)
	}
	return lines(t, set.Validate())
}

func lines(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("error %v is not ErrInvalid", err)
	}
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("error %T is not Errors", err)
	}
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Error()
	}
	return out
}
