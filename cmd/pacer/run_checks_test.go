package main

import (
	"context"
	"testing"
	"testing/fstest"

	"pacer.dev/pacer/checks"
	"pacer.dev/pacer/operator"
)

type revSource struct{ rev operator.Revision }

func (s *revSource) Sync(context.Context) (operator.Revision, error) { return s.rev, nil }

// TestChecksSourceFollowsGoodRevisions: each new good revision's checks
// reach the checks service; an invalid revision keeps the last good ones.
func TestChecksSourceFollowsGoodRevisions(t *testing.T) {
	tree := func(check string) fstest.MapFS {
		return fstest.MapFS{
			"clusters.yaml": {Data: []byte(clusterYAML)},
			"web.yaml": {Data: []byte(`apiVersion: pacer.dev/v1
kind: ServiceGroup
metadata: {name: web, parent: /services}
spec:
  environments:
    production: {clusters: [ams]}
  apps:
    app: {cmd: sleep 1000}
  checks:
    ` + check + "\n")},
		}
	}
	src := &revSource{}
	svc := checks.NewService(checks.ServiceOptions{})
	cs := &checksSource{next: src, cluster: "ams", svc: svc}
	ids := func() []string {
		states, _ := svc.Snapshot()
		var out []string
		for _, s := range states {
			out = append(out, s.ID)
		}
		return out
	}
	for _, step := range []struct {
		rev, check string
		want       string
	}{
		{"r1", "a: {tcp: {app: app}}", "/services/web/production:a"},
		{"r2", "b: {tcp: {app: app}}", "/services/web/production:b"},
		{"r3", "c: {tcp: {app: nope}}", "/services/web/production:b"}, // invalid: b stays
	} {
		src.rev = operator.Revision{ID: step.rev, FS: tree(step.check)}
		if _, err := cs.Sync(t.Context()); err != nil {
			t.Fatal(err)
		}
		if got := ids(); len(got) != 1 || got[0] != step.want {
			t.Errorf("after %s: checks %v, want [%s]", step.rev, got, step.want)
		}
	}
}
