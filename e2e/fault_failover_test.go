package e2e

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"pacer.dev/pacer/internal/gittest"
	"pacer.dev/pacer/marathonsim"
)

// TestFaultMarathonFailover gives pacer three Marathon URLs: a dead one
// first, then two masters of the same cluster (two recorders in front of
// one marathon-sim). pacer converges through the first live master; that
// master then goes away (every connection dropped, the event stream cut)
// and a new revision converges through the other one. No DELETE, one
// write per app and change, the unmanaged app kept.
func TestFaultMarathonFailover(t *testing.T) {
	t.Parallel()
	simURL := startSim(t, "--task-start", "10ms")
	unmanaged := faultUnmanaged(t, simURL)
	leader, standby := newFaultRecorder(t, simURL), newFaultRecorder(t, simURL)
	repo := gittest.New(t)
	want := faultShop()
	repo.Push("shop", faultSpecs(want...))
	args := faultGitArgs(t, repo, deadURL(t)+","+leader.URL+","+standby.URL)
	p := startFaultPacer(t, nil, args...)
	eventually(t, 20*time.Second, "converged through the first live master", func() (bool, error) {
		return faultConverged(simURL, p, want)
	})
	if n := len(standby.writes()); n != 0 {
		t.Errorf("%d writes through the standby while the leader answered", n)
	}

	leader.setDown(true)
	want[0].instances = 3 // cart: 2 → 3
	want = append(want, faultApp{name: "reviews", instances: 1})
	repo.Push("scale cart, add reviews", faultSpecs(want...))
	eventually(t, 20*time.Second, "converged through the standby after the leader went away", func() (bool, error) {
		return faultConverged(simURL, p, want)
	})
	if n := len(standby.writes()); n != 2 {
		t.Errorf("writes through the standby: %d, want 2 (scale cart, create reviews)", n)
	}
	// Both masters together: one write per app and change.
	total := map[string]int{}
	for _, rec := range []*faultRecorder{leader, standby} {
		for id, n := range rec.appWrites() {
			total[id] += n
		}
		if d := rec.deletes(); len(d) > 0 {
			t.Errorf("DELETE requests: %+v", d)
		}
	}
	wantWrites := createsOnly(want)
	wantWrites[faultAppID("cart")] = 2
	if !mapsEqual(total, wantWrites) {
		t.Errorf("writes per app: got %v, want %v", total, wantWrites)
	}
	checkNothingLost(t, simURL, standby, unmanaged, nil)
	eventually(t, 5*time.Second, "status names no Marathon error", func() (bool, error) {
		st, err := p.status()
		return err == nil && st.MarathonError == "", fmt.Errorf("%v %q", err, st.MarathonError)
	})
}

// TestFaultMarathonHAPairFailover runs a Marathon HA pair (two in-process
// simulators: a leader and a standby that proxies to it, each behind a
// recorder) and gives pacer the standby first. pacer follows the leader
// named in X-Marathon-Leader and writes to it directly. The leader then
// goes away and the standby is promoted: pacer fails over to it and
// converges it. The simulators keep separate state (Marathon keeps it in
// ZooKeeper), so the promoted one starts empty and pacer creates every app
// on it, once. No DELETE anywhere.
func TestFaultMarathonHAPairFailover(t *testing.T) {
	t.Parallel()
	newSim := func(opts marathonsim.Options) (*marathonsim.Server, string) {
		opts.TaskStart = 10 * time.Millisecond
		sim, err := marathonsim.New(opts)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(sim)
		t.Cleanup(func() {
			_ = sim.Close()
			srv.CloseClientConnections()
			srv.Close()
		})
		return sim, srv.URL
	}
	_, leaderURL := newSim(marathonsim.Options{})
	recLeader := newFaultRecorder(t, leaderURL)
	standby, standbyURL := newSim(marathonsim.Options{Leader: strings.TrimPrefix(recLeader.URL, "http://"), Standby: true})
	recStandby := newFaultRecorder(t, standbyURL)
	repo := gittest.New(t)
	want := faultShop()
	repo.Push("shop", faultSpecs(want...))
	p := startFaultPacer(t, nil, faultGitArgs(t, repo, recStandby.URL+","+recLeader.URL)...)
	eventually(t, 20*time.Second, "converged on the leader", func() (bool, error) { return faultConverged(leaderURL, p, want) })
	if got := recLeader.appWrites(); !mapsEqual(got, createsOnly(want)) {
		t.Errorf("writes on the leader: %v, want one create per app", got)
	}
	if n := len(recStandby.writes()); n != 0 {
		t.Errorf("%d writes sent to the standby: pacer did not follow X-Marathon-Leader", n)
	}

	recLeader.setDown(true)
	standby.SetLeader("", false)
	eventually(t, 20*time.Second, "converged on the promoted standby", func() (bool, error) { return faultConverged(standbyURL, p, want) })
	if got := recStandby.appWrites(); !mapsEqual(got, createsOnly(want)) {
		t.Errorf("writes on the promoted standby: %v, want one create per app", got)
	}
	for _, rec := range []*faultRecorder{recLeader, recStandby} {
		if d := rec.deletes(); len(d) > 0 {
			t.Errorf("DELETE requests: %+v", d)
		}
	}
}
