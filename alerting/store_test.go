package alerting

import (
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
	if open, err := store.Load(t.Context()); err != nil || open != nil {
		t.Fatalf("empty store: %v %v", open, err)
	}
	high := &Policy{Urgency: UrgencyHigh, RoutingKey: routeA, For: map[Condition]time.Duration{Unhealthy: time.Minute, SyncFailed: time.Minute}}
	sick, failing := unhealthy(app, high), cond(SyncFailed, "ams", "/other", high)
	before := NewTracker(TrackerOptions{})
	before.Observe(epoch, []Signal{sick, failing})
	if got := before.Observe(epoch.Add(time.Minute), []Signal{sick, failing}); len(got) != 2 {
		t.Fatalf("triggers before the restart: %v", got)
	}
	if err := store.Save(t.Context(), before.OpenIncidents()); err != nil {
		t.Fatal(err)
	}

	open, err := store.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before.OpenIncidents(), open); diff != "" {
		t.Errorf("loaded (-want +got):\n%s", diff)
	}
	after := NewTracker(TrackerOptions{ClearFor: time.Minute})
	after.Restore(open)
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
