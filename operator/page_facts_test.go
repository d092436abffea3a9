package operator

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"pacer.dev/pacer/internal/marathon"
	"pacer.dev/pacer/reconciler/reconcilertest"
	"pacer.dev/pacer/specs"
	"pacer.dev/pacer/status"
)

// A pass publishes what the status page shows beyond counts: the instances
// git wants, the links and LB exposure from the spec's labels, and the live
// definition with its env masked.
func TestPassPublishesPageFacts(t *testing.T) {
	tree := fstest.MapFS{"specs.yaml": {Data: []byte(`apiVersion: pacer.dev/v1
kind: Cluster
metadata: {name: ams}
spec:
  marathon: {urls: ["http://marathon.ams:8080"]}
---
apiVersion: pacer.dev/v1
kind: ServiceGroup
metadata: {name: web, parent: /services}
spec:
  environments:
    production: {clusters: [ams], sync: {policy: automated}}
  apps:
    api:
      instances: 3
      cpus: 0.5
      mem: 128
      cmd: "sleep 1000"
      env: {DB_PASSWORD: hunter2}
      labels: {RUNBOOK_URL: "https://wiki.example/api", HAPROXY_GROUP: external}
`)}}
	h := newHarness(t, reconcilertest.NewFakeMarathon(), nil)
	h.source.set("rev1", tree)
	h.start()
	h.pass() // creates the app
	h.trigger <- struct{}{}
	st := h.pass()
	if st.InvalidRevision != nil {
		t.Fatalf("invalid: %s", st.InvalidRevision.Error)
	}
	a := appsByID(st)["/services/web/production/api"]
	if a.Wanted == nil || *a.Wanted != 3 {
		t.Errorf("Wanted = %v, want 3", a.Wanted)
	}
	if d := cmp.Diff([]status.Link{{Text: "Runbook", Href: "https://wiki.example/api"}}, a.Links); d != "" {
		t.Errorf("Links (-want +got):\n%s", d)
	}
	if a.Exposure == nil || a.Exposure.HAProxyGroup != "external" {
		t.Errorf("Exposure = %+v, want HAProxy group external", a.Exposure)
	}
	if a.Live == nil {
		t.Fatal("no live definition")
	}
	live, err := a.Live.Masked()
	if err != nil || !strings.Contains(string(live), `"DB_PASSWORD": "(masked `) || strings.Contains(string(live), "hunter2") {
		t.Errorf("Live definition not masked (%v):\n%s", err, live)
	}

}

// A pass hands the page the same LiveDefinition while the app's Marathon
// version stays (so it is masked at most once), a new one when the
// version or the revision's showEnv changes, and never caches an app
// without a version.
func TestPageFactsCachePerVersion(t *testing.T) {
	var f pageFacts
	spec := &specs.App{ID: "/a", Definition: []byte(`{"instances":1}`)}
	live := func(version string) *marathon.App {
		return &marathon.App{ID: "/a", Version: version, Raw: []byte(`{"id":"/a","env":{"K":"v"}}`)}
	}
	get := func(rev string, spec *specs.App, l *marathon.App) *status.LiveDefinition {
		a := AppStatus{ID: "/a"}
		f.addTo(&a, rev, spec, l, "salt", "ams")
		return a.Live
	}
	first := get("r1", spec, live("v1"))
	if get("r1", spec, live("v1")) != first {
		t.Error("same version: a new definition")
	}
	if get("r1", spec, live("v2")) == first {
		t.Error("new version: the old definition")
	}
	shown := &specs.App{ID: "/a", Definition: spec.Definition, ShowEnv: []string{"K"}}
	second := get("r2", shown, live("v2"))
	if m, _ := second.Masked(); !strings.Contains(string(m), `"K": "v"`) {
		t.Errorf("showEnv K not applied: %s", m)
	}
	if get("r3", spec, live("")) == get("r3", spec, live("")) {
		t.Error("an app without a version was cached")
	}
	if get("r3", spec, nil) != nil {
		t.Error("an app not in Marathon has a definition")
	}
}
