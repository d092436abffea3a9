package alerting

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestFileStoreRestart persists what a tracker has open, and a new tracker
// restored from it neither pages again for what still holds nor forgets to
// resolve what healed while pacer was down.
func TestFileStoreRestart(t *testing.T) {
	store := FileStore{Path: filepath.Join(t.TempDir(), "state", "alerting.json")}
	if saved, err := store.Load(t.Context()); err != nil || saved.Open != nil || saved.Changes != nil {
		t.Fatalf("empty store: %v %v", saved, err)
	}
	high := &Policy{Urgency: UrgencyHigh, RoutingKey: routeA, For: map[Condition]time.Duration{Unhealthy: time.Minute, SyncFailed: time.Minute}}
	sick, failing := unhealthy(app, high), cond(SyncFailed, "ams", "/other", high)
	before := NewTracker(TrackerOptions{})
	before.Observe(epoch, []Signal{sick, failing})
	if got := before.Observe(epoch.Add(time.Minute), []Signal{sick, failing}); len(got) != 2 {
		t.Fatalf("triggers before the restart: %v", got)
	}
	pending := []Change{{Route: routeA, Cluster: "ams", App: app, Action: "update", DeploymentID: "d1", At: epoch}}
	if err := store.Save(t.Context(), Persisted{Open: before.OpenIncidents(), Changes: pending}); err != nil {
		t.Fatal(err)
	}

	saved, err := store.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Persisted{Open: before.OpenIncidents(), Changes: pending}, saved); diff != "" {
		t.Errorf("loaded (-want +got):\n%s", diff)
	}
	after := NewTracker(TrackerOptions{ClearFor: time.Minute})
	after.Restore(saved.Open)
	var got []string
	for m := 2; m <= 5; m++ { // /other healed while pacer was down; the app still sick
		for _, inc := range after.Observe(epoch.Add(time.Duration(m)*time.Minute), []Signal{sick}) {
			got = append(got, string(inc.State)+" "+inc.DedupKey+" "+string(inc.Route.FromEnv))
		}
	}
	if diff := cmp.Diff([]string{"resolve pacer/ams/other/SyncFailed " + routeA.FromEnv}, got); diff != "" {
		t.Errorf("after the restart (-want +got):\n%s", diff)
	}
}

func TestFileStoreErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, content, want string
	}{
		{name: "not JSON", content: "{", want: "decode incident state"},
		{name: "other version", content: `{"version": 9, "open": []}`, want: "version 9, want 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-"))
			if err := os.WriteFile(p, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := FileStore{Path: p}.Load(t.Context())
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), p) {
				t.Errorf("err = %v, want it to name %s and contain %q", err, p, tc.want)
			}
		})
	}
}

// stateOpen and stateChanges are what testdata/state-*.json hold.
var (
	stateOpen = []Open{
		{Condition: Unhealthy, Cluster: "ams", App: "/services/web/production/api", Group: "/services/web", Environment: "production",
			Route: KeyRef{FromEnv: "PD_WEB_PROD"}, Severity: SeverityCritical,
			Summary: "/services/web/production/api: 1 of 2 tasks unhealthy for 5m on ams", Since: epoch},
		{Condition: MarathonUnreachable, Cluster: "ams", Severity: SeverityCritical, Summary: "Marathon unreachable on ams for 5m",
			Since: epoch.Add(time.Minute)},
	}
	stateChanges = []Change{
		{Route: KeyRef{FromEnv: "PD_WEB_PROD"}, Cluster: "ams", App: "/services/web/production/api", Group: "/services/web",
			Environment: "production", Action: "update", DeploymentID: "5ed4c0c5-9ff8-4a6f-a0cd-f57f59a34b43",
			Revision: "3fb4278e", PreviousRevision: "a1b2c3d4", What: []string{"instances: 2 → 3", "mem: 32 → 64"},
			Diff: "instances: 2 → 3\nmem: 32 → 64", At: epoch.Add(2 * time.Minute),
			Links: []Link{{Href: "http://marathon.ams:8080/ui/#/apps/%2Fservices%2Fweb%2Fproduction%2Fapi", Text: "Marathon"}}},
		{Route: KeyRef{FromFile: "/etc/pacer/pd-db"}, Cluster: "ams", App: "/services/db/production/mongo", Action: "create",
			Revision: "3fb4278e", At: epoch.Add(3 * time.Minute)},
	}
)

// TestStateFormat: state written before pending change events were kept
// (testdata/state-v1-incidents-only.json, from that code) still loads;
// state with them is testdata/state.json.golden and reads back equal, to
// the byte; and a pacer from before them reads the newer state, keeping
// its open incidents (it ignores the pending changes).
func TestStateFormat(t *testing.T) {
	t.Run("written before pending changes", func(t *testing.T) {
		b, err := os.ReadFile(filepath.Join("testdata", "state-v1-incidents-only.json"))
		if err != nil {
			t.Fatal(err)
		}
		got, err := UnmarshalState(b)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(Persisted{Open: stateOpen}, got); diff != "" {
			t.Errorf("loaded (-want +got):\n%s", diff)
		}
		again, err := MarshalState(got)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(b), string(again)); diff != "" {
			t.Errorf("no pending changes, yet not written as before (-before +now):\n%s", diff)
		}
	})
	t.Run("round trip", func(t *testing.T) {
		want := Persisted{Open: stateOpen, Changes: stateChanges}
		b, err := MarshalState(want)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "state.json.golden", b)
		got, err := UnmarshalState(b)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("read back (-want +got):\n%s", diff)
		}
		if again, err := MarshalState(got); err != nil || string(again) != string(b) {
			t.Errorf("written again differs (%v):\n%s", err, again)
		}
	})
	t.Run("read by a pacer from before pending changes", func(t *testing.T) {
		b, err := MarshalState(Persisted{Open: stateOpen, Changes: stateChanges})
		if err != nil {
			t.Fatal(err)
		}
		var old struct { // that pacer's storedState and its version check
			Version int    `json:"version"`
			Open    []Open `json:"open"`
		}
		if err := json.Unmarshal(b, &old); err != nil || old.Version != 1 {
			t.Fatalf("version %d, %v", old.Version, err)
		}
		if diff := cmp.Diff(stateOpen, old.Open); diff != "" {
			t.Errorf("open incidents (-want +got):\n%s", diff)
		}
	})
}
