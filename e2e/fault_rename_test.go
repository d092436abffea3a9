package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"pacer.dev/pacer/internal/gittest"
)

// TestFaultSpecMovedToAnotherFile: the shop service group's file moves
// (services/shop.yaml → teams/shop/apps.yaml). Only the pacer.dev/source
// label would change: pacer writes nothing, deletes nothing, and the
// status names the new file.
func TestFaultSpecMovedToAnotherFile(t *testing.T) {
	t.Parallel()
	simURL := startSim(t, "--task-start", "10ms")
	unmanaged := faultUnmanaged(t, simURL)
	rec := newFaultRecorder(t, simURL)
	repo := gittest.New(t)
	want := faultShop()
	files := faultSpecs(want...)
	repo.Push("shop", files)
	p := startFaultPacer(t, nil, faultGitArgs(t, repo, rec.URL)...)
	eventually(t, 20*time.Second, "converged", func() (bool, error) { return faultConverged(simURL, p, want) })

	files["specs/teams/shop/apps.yaml"] = files["specs/services/shop.yaml"]
	delete(files, "specs/services/shop.yaml")
	moved := repo.Push("move shop to its team's directory", files)
	eventually(t, 10*time.Second, "the moved revision in force, every app synced", func() (bool, error) {
		var st struct {
			Revision struct{ ID string } `json:"revision"`
			Apps     []struct{ ID, Sync, Source string }
			LastPass time.Time
		}
		if err := getJSON(t.Context(), p.base+"/api/v1/status", &st); err != nil {
			return false, err
		}
		if st.Revision.ID != moved || st.LastPass.Before(time.Now().Add(-time.Second)) {
			return false, fmt.Errorf("revision %s", st.Revision.ID)
		}
		for _, a := range st.Apps {
			if a.Sync != "Synced" || !strings.HasPrefix(a.Source, "teams/shop/apps.yaml:") {
				return false, fmt.Errorf("%s %s source %q", a.ID, a.Sync, a.Source)
			}
		}
		return len(st.Apps) == len(want), fmt.Errorf("%d apps", len(st.Apps))
	})
	// Passes go on (300 ms interval): still not one write.
	passes := len(rec.requests())
	eventually(t, 10*time.Second, "more passes", func() (bool, error) {
		return len(rec.requests()) > passes+10, fmt.Errorf("%d requests", len(rec.requests())-passes)
	})
	ok, err := faultConverged(simURL, p, want)
	if !ok {
		t.Error(err)
	}
	checkNothingLost(t, simURL, rec, unmanaged, createsOnly(want))
}

// TestFaultForcePushRenamesEveryGroup: a force-push to an unrelated root
// commit renames the shop service group to store, pruning on. Taken
// literally every app is created again under a new id while the old ones,
// now outside every pruned group, stay: the cluster would run everything
// twice. The prune guard refuses the pass (passError, each held create
// says why); nothing is written or deleted through many passes; pushing
// the old name back writes nothing either.
func TestFaultForcePushRenamesEveryGroup(t *testing.T) {
	t.Parallel()
	simURL := startSim(t, "--task-start", "10ms")
	unmanaged := faultUnmanaged(t, simURL)
	rec := newFaultRecorder(t, simURL)
	repo := gittest.New(t)
	want := faultShop()
	files := faultSpecs(want...)
	repo.Push("shop", files)
	p := startFaultPacer(t, nil, faultGitArgs(t, repo, rec.URL)...)
	eventually(t, 20*time.Second, "converged", func() (bool, error) { return faultConverged(simURL, p, want) })

	renamed := map[string]string{
		"specs/clusters.yaml":       files["specs/clusters.yaml"],
		"specs/services/store.yaml": strings.Replace(files["specs/services/shop.yaml"], "name: shop", "name: store", 1),
	}
	rev := repo.ForcePush("rename shop to store", renamed)
	eventually(t, 15*time.Second, "the rename refused by the prune guard", func() (bool, error) {
		st, err := p.status()
		if err != nil {
			return false, err
		}
		held := 0
		for _, a := range st.Apps {
			if strings.Contains(a.Message, "create refused by the prune guard") {
				held++
			}
		}
		return st.Revision.ID == rev && strings.Contains(st.PassError, "prune guard: refusing to create 4 of 4 managed apps again") && held == len(want),
			fmt.Errorf("revision %s passError %q, %d creates held", st.Revision.ID, st.PassError, held)
	})
	passes := len(rec.requests())
	eventually(t, 10*time.Second, "more passes", func() (bool, error) {
		return len(rec.requests()) > passes+10, fmt.Errorf("%d requests", len(rec.requests())-passes)
	})
	if ok, err := faultConverged(simURL, nil, want); !ok {
		t.Errorf("cluster changed under the guard: %v", err)
	}
	live, err := faultSimApps(simURL)
	if err != nil {
		t.Fatal(err)
	}
	for id := range live {
		if strings.HasPrefix(id, "/services/store/") {
			t.Errorf("%s created: the renamed group doubles the cluster", id)
		}
	}
	back := repo.ForcePush("rename back", files)
	eventually(t, 15*time.Second, "the old name in force and converged", func() (bool, error) {
		st, err := p.status()
		if err != nil || st.Revision.ID != back || st.PassError != "" {
			return false, fmt.Errorf("revision %s, passError %q (%v)", st.Revision.ID, st.PassError, err)
		}
		return faultConverged(simURL, p, want)
	})
	checkNothingLost(t, simURL, rec, unmanaged, createsOnly(want))
}
