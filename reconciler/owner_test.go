package reconciler

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"pacer.dev/pacer/internal/marathon"
)

func labelledApp(id string, labels map[string]string) marathon.App {
	l, _ := json.Marshal(labels)
	return marathon.App{ID: id, Labels: labels, Raw: json.RawMessage(`{"id":"` + id + `","cmd":"run","labels":` + string(l) + `}`)}
}

func TestPlanRefusesAppsOfAnotherCluster(t *testing.T) {
	managed := func(cluster string) map[string]string {
		l := map[string]string{LabelManagedBy: ManagedByValue}
		if cluster != "" {
			l[LabelCluster] = cluster
		}
		return l
	}
	desired := []DesiredApp{{ID: "/svc/a", Definition: json.RawMessage(`{"cmd":"run","labels":{"pacer.dev/cluster":"fra"}}`)}}
	for _, tc := range []struct {
		name    string
		cluster string
		live    []marathon.App
		opts    PlanOptions
		refuse  []string // substrings of the error; nil: planned
	}{
		{name: "ours", cluster: "fra", live: []marathon.App{labelledApp("/svc/a", managed("fra"))}},
		{name: "unlabelled apps are adopted", cluster: "fra", live: []marathon.App{labelledApp("/svc/a", managed("")), labelledApp("/svc/old", managed(""))}},
		{name: "check off without a cluster", cluster: "", live: []marathon.App{labelledApp("/svc/a", managed("ams"))}},
		{name: "desired app labelled for another cluster", cluster: "fra", live: []marathon.App{labelledApp("/svc/a", managed("ams"))},
			refuse: []string{`cluster "fra"`, "/svc/a (pacer.dev/cluster=ams)", "nothing is planned or written"}},
		{name: "orphan labelled for another cluster, pruning off", cluster: "fra",
			live:   []marathon.App{labelledApp("/svc/a", managed("fra")), labelledApp("/svc/b", managed("ams"))},
			refuse: []string{"/svc/b (pacer.dev/cluster=ams)"}},
		{name: "unmanaged app with a foreign label nobody wants", cluster: "fra",
			live: []marathon.App{labelledApp("/svc/x", map[string]string{LabelCluster: "ams"})}},
		{name: "unmanaged app with a foreign label git wants", cluster: "fra", opts: PlanOptions{Adopt: true},
			live:   []marathon.App{labelledApp("/svc/a", map[string]string{LabelCluster: "ams"})},
			refuse: []string{"/svc/a (pacer.dev/cluster=ams)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			opts.Cluster, opts.Prune, opts.MaxDeleteRatio = tc.cluster, true, 1
			plan, err := NewPlan(desired, tc.live, opts)
			if tc.refuse == nil {
				if err != nil {
					t.Fatalf("NewPlan: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrForeignCluster) || plan != nil {
				t.Fatalf("NewPlan = %v, %v; want no plan and ErrForeignCluster", plan, err)
			}
			for _, s := range tc.refuse {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
		})
	}
}

func TestForeignClusterListsAFewApps(t *testing.T) {
	var live []marathon.App
	for _, id := range []string{"/a", "/b", "/c", "/d", "/e", "/f", "/g"} {
		live = append(live, labelledApp(id, map[string]string{LabelManagedBy: ManagedByValue, LabelCluster: "ams"}))
	}
	err := checkOwnership(live, nil, "fra")
	if err == nil || !strings.Contains(err.Error(), "7 app(s)") || !strings.Contains(err.Error(), "and 2 more") || strings.Contains(err.Error(), "/g") {
		t.Fatalf("checkOwnership = %v; want 7 apps counted, 5 named", err)
	}
}
