package operator

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"pacer.dev/pacer/reconciler/reconcilertest"
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
	if !strings.Contains(string(a.Live), `"DB_PASSWORD": "(masked `) || strings.Contains(string(a.Live), "hunter2") {
		t.Errorf("Live definition not masked:\n%s", a.Live)
	}
}
