package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"pacer.dev/pacer/internal/gittest"
)

// TestFaultTwoRunsWithoutZK: two `pacer run` without --zk on one cluster,
// following different repositories (cart with 32 MB in one, 48 in the
// other), fight over cart. Each sees the other's revision appear on cart,
// says so in status.concurrentWriter and logs a warning; the one that
// pages raises ConcurrentWriter exactly once however long the fight goes
// on. Once the second is stopped the first converges. No DELETE.
func TestFaultTwoRunsWithoutZK(t *testing.T) {
	t.Parallel()
	simURL := startSim(t, "--task-start", "10ms")
	unmanaged := faultUnmanaged(t, simURL)
	rec := newFaultRecorder(t, simURL)
	pd := newFaultPD(t)
	want := faultShop()
	repoA, repoB := gittest.New(t), gittest.New(t)
	revA := repoA.Push("shop", faultSpecs(want...))
	other := faultShop()
	other[0].mem = 48 // a full update, labels included (a scale writes instances alone)
	revB := repoB.Push("shop, cart with 48 MB", faultSpecs(other...))

	a := startFaultPacer(t, faultEnv, append(faultGitArgs(t, repoA, rec.URL), "--pagerduty-endpoint", pd.URL,
		"--pagerduty-routing-key-file", faultKeyFile(t))...)
	eventually(t, 20*time.Second, "A converged alone", func() (bool, error) { return faultConverged(simURL, a, want) })
	b := startFaultPacer(t, nil, faultGitArgs(t, repoB, rec.URL)...)

	cwOf := func(p *faultPacer) (map[string]any, error) {
		var st struct {
			CW map[string]any `json:"concurrentWriter"`
		}
		if err := getJSON(t.Context(), p.base+"/api/v1/status", &st); err != nil {
			return nil, err
		}
		return st.CW, nil
	}
	for _, side := range []struct {
		p            *faultPacer
		theirs, ours string
	}{{a, revB, revA}, {b, revA, revB}} {
		eventually(t, 20*time.Second, "the other writer in the status", func() (bool, error) {
			cw, err := cwOf(side.p)
			if err != nil || cw == nil {
				live, _ := faultSimApps(simURL)
				return false, fmt.Errorf("concurrentWriter %v (%v); cart labels %v", cw, err, live[faultAppID("cart")].Labels)
			}
			return cw["app"] == faultAppID("cart") && cw["revision"] == side.theirs && cw["inForce"] == side.ours,
				fmt.Errorf("concurrentWriter %v", cw)
		})
		if len(logLines(side.p.log, "another writer changed an app")) == 0 {
			t.Errorf("no warning logged by %s", side.ours)
		}
	}
	pd.waitIncidents(t, 10*time.Second, "ConcurrentWriter paged", map[string][]string{"pacer/ams/-/ConcurrentWriter": {"trigger"}})
	// The fight goes on: many more foreign writes, still one page.
	fights := len(rec.appWrites())
	eventually(t, 20*time.Second, "the fight goes on", func() (bool, error) {
		n := rec.appWrites()[faultAppID("cart")]
		return n >= 6, fmt.Errorf("%d writes of cart (%d apps written)", n, fights)
	})
	if got := pd.incidents(); len(got["pacer/ams/-/ConcurrentWriter"]) != 1 {
		t.Errorf("ConcurrentWriter paged %v, want one trigger", got)
	}

	b.stop()
	eventually(t, 20*time.Second, "A converged once B stopped", func() (bool, error) {
		if live, err := faultSimApps(simURL); err != nil || live[faultAppID("cart")].Mem != 32 {
			return false, fmt.Errorf("cart %+v (%v), want A's 32 MB", live[faultAppID("cart")], err)
		}
		return faultConverged(simURL, a, want)
	})
	checkNothingLost(t, simURL, rec, unmanaged, nil)
	if w := rec.appWrites(); w[faultAppID("catalog")] != 1 || w[faultAppID("checkout")] != 1 || w[faultAppID("search")] != 1 {
		t.Errorf("apps the two agree on were written again: %v", w)
	}
}

// TestFaultReconcileDuringRun: CI's `pacer reconcile` (revision from
// CI_COMMIT_SHA) and `pacer run` apply the same new commits to one
// cluster at once, three rounds: each round changes cart's instances and
// adds an app. Both end converged, each new app is created once (a second
// create would be a doubled app), tasks match instances, no DELETE, and
// pacer run does not take CI for another writer (same revisions).
func TestFaultReconcileDuringRun(t *testing.T) {
	t.Parallel()
	simURL := startSim(t, "--task-start", "10ms")
	unmanaged := faultUnmanaged(t, simURL)
	rec := newFaultRecorder(t, simURL)
	ci := newFaultRecorder(t, simURL)
	repo := gittest.New(t)
	want := faultShop()
	repo.Push("shop", faultSpecs(want...))
	p := startFaultPacer(t, nil, faultGitArgs(t, repo, rec.URL)...)
	eventually(t, 20*time.Second, "converged", func() (bool, error) { return faultConverged(simURL, p, want) })

	for round := range 3 {
		want[0].instances = 3 + round
		want = append(want, faultApp{name: fmt.Sprintf("new%d", round), instances: 1})
		sha := repo.Push(fmt.Sprintf("round %d", round), faultSpecs(want...))
		cmd := exec.CommandContext(t.Context(), bin.pacer, "reconcile", "--specs", filepath.Join(repo.Work, "specs"),
			"--cluster", "ams", "--marathon", ci.URL, "--prune")
		cmd.Env = append(os.Environ(), "CI_COMMIT_SHA="+sha)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("round %d: pacer reconcile: %v\n%s", round, err, out)
		}
		eventually(t, 20*time.Second, "converged after the round", func() (bool, error) {
			st, err := p.status()
			if err != nil || st.Revision.ID != sha {
				return false, fmt.Errorf("revision %s (%v)", st.Revision.ID, err)
			}
			return faultConverged(simURL, p, want)
		})
	}
	for _, r := range []*faultRecorder{rec, ci} {
		checkNothingLost(t, simURL, r, unmanaged, nil)
	}
	for round := range 3 {
		id := faultAppID(fmt.Sprintf("new%d", round))
		if n := rec.appWrites()[id] + ci.appWrites()[id]; n != 1 {
			t.Errorf("%s: %d writes accepted, want its one create", id, n)
		}
	}
	var st struct {
		CW map[string]any `json:"concurrentWriter"`
	}
	if err := getJSON(t.Context(), p.base+"/api/v1/status", &st); err != nil || st.CW != nil {
		t.Errorf("CI's reconcile of the same revisions taken for another writer: %v (%v)", st.CW, err)
	}
	t.Logf("writes accepted: pacer run %v, pacer reconcile %v", rec.appWrites(), ci.appWrites())
}
