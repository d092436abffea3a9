package e2e

import (
	"fmt"
	"testing"
	"time"

	"pacer.dev/pacer/election/zktest"
	"pacer.dev/pacer/internal/gittest"
)

// TestFaultZooKeeperDownAtStart: pacer run --zk starts while ZooKeeper is
// unreachable, with four apps to create. It serves /healthz and the status
// (not leader), keeps reading Marathon, writes nothing; once ZooKeeper is
// reachable it is elected and creates each app once.
func TestFaultZooKeeperDownAtStart(t *testing.T) {
	t.Parallel()
	zk := zktest.Start(t)
	proxy := zktest.NewProxy(t, zk.Addr())
	proxy.Partition()
	simURL := startSim(t, "--task-start", "10ms")
	unmanaged := faultUnmanaged(t, simURL)
	rec := newFaultRecorder(t, simURL)
	repo := gittest.New(t)
	want := faultShop()
	repo.Push("shop", faultSpecs(want...))
	p := startFaultPacer(t, nil, append(faultGitArgs(t, repo, rec.URL), "--zk", proxy.Addr(), "--zk-session-timeout", "1s")...)
	eventually(t, 20*time.Second, "passes without a leader", func() (bool, error) {
		if err := chaosServing(p); err != nil {
			return false, err
		}
		st, err := p.status()
		if err != nil {
			return false, err
		}
		n := len(rec.requests())
		return !st.Leader && n >= 20, fmt.Errorf("leader %t, %d requests to Marathon", st.Leader, n)
	})
	if w := rec.writes(); len(w) > 0 {
		t.Fatalf("wrote without a leader: %+v", w)
	}
	proxy.Heal()
	eventually(t, 30*time.Second, "elected and converged", func() (bool, error) {
		st, err := p.status()
		if err != nil || !st.Leader {
			return false, fmt.Errorf("leader %t (%v)", st.Leader, err)
		}
		return faultConverged(simURL, p, want)
	})
	checkNothingLost(t, simURL, rec, unmanaged, createsOnly(want))
}
