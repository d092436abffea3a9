package e2e

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"pacer.dev/pacer/internal/gittest"
)

// TestFaultGitRemote: the specs repository goes away (the bare repo is
// moved). The last good revision stays in force (drift is still healed),
// the status reports the source error and GitSourceFailing is paged; once
// the repository is back the incident resolves. Then the branch is
// force-pushed to an unrelated commit: pacer follows it and converges.
// Nothing is deleted, each write happens once.
func TestFaultGitRemote(t *testing.T) {
	t.Parallel()
	simURL := startSim(t, "--task-start", "10ms")
	unmanaged := faultUnmanaged(t, simURL)
	rec := newFaultRecorder(t, simURL)
	pd := newFaultPD(t)
	repo := gittest.New(t)
	want := faultShop()
	first := repo.Push("shop", faultSpecs(want...))
	args := append(faultGitArgs(t, repo, rec.URL), "--pagerduty-endpoint", pd.URL, "--pagerduty-routing-key-file", faultKeyFile(t),
		"--alert-for", "GitSourceFailing=500ms", "--alert-clear-for", "500ms")
	p := startFaultPacer(t, faultEnv, args...)
	eventually(t, 20*time.Second, "converged on the first revision", func() (bool, error) {
		return faultConverged(simURL, p, want)
	})

	away := repo.Bare + ".away"
	if err := os.Rename(repo.Bare, away); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "source error reported, last good revision in force", func() (bool, error) {
		st, err := p.status()
		if err != nil {
			return false, err
		}
		return st.SourceError != "" && st.Revision.ID == first, fmt.Errorf("revision %s, sourceError %q", st.Revision.ID, st.SourceError)
	})
	gitKey := "pacer/ams/-/GitSourceFailing"
	pd.waitIncidents(t, 10*time.Second, "GitSourceFailing paged", map[string][]string{gitKey: {"trigger"}})
	// The revision in force still rules: drift is healed.
	faultScale(t, simURL, faultAppID("search"), 4)
	eventually(t, 10*time.Second, "drift healed while git is unreachable", func() (bool, error) {
		return faultConverged(simURL, p, want)
	})

	if err := os.Rename(away, repo.Bare); err != nil {
		t.Fatal(err)
	}
	pd.waitIncidents(t, 10*time.Second, "GitSourceFailing resolved", map[string][]string{gitKey: {"trigger", "resolve"}})

	// Rewritten history: an unrelated root commit replaces main.
	want[1].instances = 2 // catalog: 1 → 2
	rewritten := repo.ForcePush("rewritten history", faultSpecs(want...))
	eventually(t, 15*time.Second, "force-pushed revision followed and converged", func() (bool, error) {
		st, err := p.status()
		if err != nil {
			return false, err
		}
		if st.Revision.ID != rewritten || st.SourceError != "" {
			return false, fmt.Errorf("revision %s, sourceError %q", st.Revision.ID, st.SourceError)
		}
		return faultConverged(simURL, p, want)
	})
	if lines := logLines(p.log, "force-pushed"); len(lines) == 0 {
		t.Error("no log line says the branch was force-pushed")
	}
	wantWrites := createsOnly(want)
	wantWrites[faultAppID("search")]++  // the healed drift
	wantWrites[faultAppID("catalog")]++ // the rewritten revision
	checkNothingLost(t, simURL, rec, unmanaged, wantWrites)
	for _, e := range pd.recv.Events() {
		if e.DedupKey == gitKey && e.Action == "trigger" && !strings.Contains(string(e.Body), "GitSourceFailing") {
			t.Errorf("GitSourceFailing trigger: %s", e.Body)
		}
	}
}
