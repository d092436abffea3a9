package e2e

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"pacer.dev/pacer/election/zktest"
	"pacer.dev/pacer/internal/gittest"
)

// TestFaultZooKeeperLeaderExpiry runs two pacer instances against one
// ZooKeeper, each through its own partitionable proxy and its own
// recording proxy in front of marathon-sim, while an operator keeps
// scaling an app behind pacer's back. The leader's ZooKeeper link is cut
// until its session expires: the other instance takes over and heals the
// drift. The old leader's writes all end before the new leader's first
// write (the write intervals never overlap), each drift is healed by
// exactly one write, and after the partition heals the old leader stays a
// follower that writes nothing.
func TestFaultZooKeeperLeaderExpiry(t *testing.T) {
	t.Parallel()
	zk := zktest.Start(t)
	simURL := startSim(t, "--task-start", "10ms")
	unmanaged := faultUnmanaged(t, simURL)
	repo := gittest.New(t)
	want := faultShop()
	repo.Push("shop", faultSpecs(want...))
	type instance struct {
		name string
		zk   *zktest.Proxy
		rec  *faultRecorder
		p    *faultPacer
	}
	start := func(name string) *instance {
		in := &instance{name: name, zk: zktest.NewProxy(t, zk.Addr()), rec: newFaultRecorder(t, simURL)}
		// The test plays someone scaling cart behind pacer's back as soon as
		// it has healed: a fight, not a write loop. pacer's loop breaker
		// would hold cart after 3 heals in a row whenever no pass saw it in
		// sync between them (it raced once in six CI runs), so it is set out
		// of reach here; TestRunLoopBreaker covers it.
		args := append(faultGitArgs(t, repo, in.rec.URL), "--zk", in.zk.Addr(), "--zk-session-timeout", "1s",
			"--max-writes-per-revision", "1000")
		in.p = startFaultPacer(t, nil, args...)
		return in
	}
	leads := func(in *instance, want bool) func() (bool, error) {
		return func() (bool, error) {
			st, err := in.p.status()
			return err == nil && st.Leader == want && st.Ready, fmt.Errorf("%s: leader %t, ready %t (%v)", in.name, st.Leader, st.Ready, err)
		}
	}
	a := start("a")
	eventually(t, 20*time.Second, "a leads", leads(a, true))
	b := start("b")
	eventually(t, 20*time.Second, "b follows", leads(b, false))
	eventually(t, 20*time.Second, "converged", func() (bool, error) { return faultConverged(simURL, a.p, want) })

	cart := faultAppID("cart")
	drifts := 0
	// drift scales cart behind pacer's back whenever the cluster is
	// converged, so that the leader always has something to heal.
	drift := func() {
		if ok, _ := faultConverged(simURL, nil, want); ok {
			drifts++
			faultScale(t, simURL, cart, 3+drifts%3)
		}
	}
	eventually(t, 15*time.Second, "a heals drift", func() (bool, error) {
		drift()
		return a.rec.appWrites()[cart] >= 3, fmt.Errorf("a wrote cart %d times", a.rec.appWrites()[cart])
	})

	a.zk.Partition()
	eventually(t, 20*time.Second, "b took over and heals drift", func() (bool, error) {
		drift()
		st, err := b.p.status()
		return err == nil && st.Leader && b.rec.appWrites()[cart] >= 3, fmt.Errorf("b leader %t, b wrote cart %d times", st.Leader, b.rec.appWrites()[cart])
	})
	eventually(t, 10*time.Second, "a knows it does not lead", leads(a, false))
	a.zk.Heal()
	eventually(t, 10*time.Second, "drift healed after the partition healed", func() (bool, error) {
		if ok, err := faultConverged(simURL, b.p, want); !ok {
			return false, err
		}
		st, err := a.p.status()
		return err == nil && !st.Leader, fmt.Errorf("a leader %t (%v)", st.Leader, err)
	})
	aWrites := len(a.rec.writes())
	eventually(t, 15*time.Second, "b alone heals drift with a back as follower", func() (bool, error) {
		drift()
		return b.rec.appWrites()[cart] >= 6, fmt.Errorf("b wrote cart %d times", b.rec.appWrites()[cart])
	})
	eventually(t, 10*time.Second, "converged at the end", func() (bool, error) { return faultConverged(simURL, b.p, want) })

	aw, bw := a.rec.writes(), b.rec.writes()
	if len(aw) != aWrites {
		t.Errorf("a wrote %d times as a follower after the partition healed", len(aw)-aWrites)
	}
	lastA := slices.MaxFunc(aw, func(x, y faultRequest) int { return x.End.Compare(y.End) })
	firstB := slices.MinFunc(bw, func(x, y faultRequest) int { return x.Start.Compare(y.Start) })
	if !lastA.End.Before(firstB.Start) {
		t.Errorf("write intervals overlap: a's last write %s %s ended %s, b's first write %s %s started %s",
			lastA.Method, lastA.Path, lastA.End.Format(time.RFC3339Nano), firstB.Method, firstB.Path, firstB.Start.Format(time.RFC3339Nano))
	}
	total := map[string]int{}
	for _, rec := range []*faultRecorder{a.rec, b.rec} {
		for id, n := range rec.appWrites() {
			total[id] += n
		}
		if d := rec.deletes(); len(d) > 0 {
			t.Errorf("DELETE requests: %+v", d)
		}
	}
	wantWrites := createsOnly(want)
	wantWrites[cart] += drifts // one heal per drift: no double write
	if !mapsEqual(total, wantWrites) {
		t.Errorf("writes per app: got %v, want %v", total, wantWrites)
	}
	checkNothingLost(t, simURL, b.rec, unmanaged, nil)
}
