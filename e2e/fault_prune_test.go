package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"pacer.dev/pacer/internal/gittest"
)

// TestFaultPruneGuard pushes the commits that must never wipe a cluster:
// one deleting every file (reported as a failing source: the specs path is
// gone; nothing applied, the last good revision stays in force), and one keeping the service
// group but emptying all of its apps but one (the prune guard refuses the
// whole pass and says so in the status). Not one DELETE is sent; restoring
// the specs leaves the cluster as it was, with no further write.
func TestFaultPruneGuard(t *testing.T) {
	t.Parallel()
	simURL := startSim(t, "--task-start", "10ms")
	unmanaged := faultUnmanaged(t, simURL)
	rec := newFaultRecorder(t, simURL)
	repo := gittest.New(t)
	want := faultShop()
	good := repo.Push("shop", faultSpecs(want...))
	p := startFaultPacer(t, nil, faultGitArgs(t, repo, rec.URL)...)
	eventually(t, 20*time.Second, "converged", func() (bool, error) { return faultConverged(simURL, p, want) })

	empty := repo.Push("delete every file", nil)
	eventually(t, 10*time.Second, "empty revision refused", func() (bool, error) {
		st, err := p.status()
		if err != nil {
			return false, err
		}
		// Reported as a failing source (the specs path is gone) or an
		// invalid revision; either way the good one stays in force.
		inv := st.InvalidRevision
		reported := (inv != nil && inv.ID == empty) || strings.Contains(st.SourceError, empty)
		return reported && st.Revision.ID == good, fmt.Errorf("revision %s, invalid %+v, sourceError %q", st.Revision.ID, inv, st.SourceError)
	})
	pruned := repo.Push("drop all apps but cart", faultSpecs(want[0]))
	eventually(t, 10*time.Second, "prune guard refusal in the status", func() (bool, error) {
		st, err := p.status()
		if err != nil {
			return false, err
		}
		return st.Revision.ID == pruned && strings.Contains(st.PassError, "prune guard"), fmt.Errorf("revision %s, passError %q", st.Revision.ID, st.PassError)
	})
	// Several passes later still nothing is deleted.
	eventually(t, 10*time.Second, "still refused after more passes", func() (bool, error) {
		st, err := p.status()
		if err != nil {
			return false, err
		}
		refused := 0
		for _, a := range st.Apps {
			if strings.Contains(a.Message, "prune guard") {
				refused++
			}
		}
		return refused == len(want)-1 && st.LastPass.After(time.Now().Add(-200*time.Millisecond)), fmt.Errorf("%d apps refused", refused)
	})
	ok, err := faultConverged(simURL, nil, want)
	if !ok {
		t.Errorf("cluster changed under the prune guard: %v", err)
	}

	repo.Push("restore", faultSpecs(want...))
	eventually(t, 10*time.Second, "restored specs converged", func() (bool, error) { return faultConverged(simURL, p, want) })
	checkNothingLost(t, simURL, rec, unmanaged, createsOnly(want))
}
