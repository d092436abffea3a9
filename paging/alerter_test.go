package paging

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"

	"pacer.dev/pacer/alerting"
	"pacer.dev/pacer/specs"
	"pacer.dev/pacer/status"
)

// blockingStore is a memStore whose Load and Save wait until released: a
// ZooKeeper that does not answer.
type blockingStore struct {
	release chan struct{}
	mu      sync.Mutex
	mem     memStore
	loads   int
}

func (s *blockingStore) wait(ctx context.Context) error {
	select {
	case <-s.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *blockingStore) Load(ctx context.Context) (alerting.Persisted, error) {
	s.mu.Lock()
	s.loads++
	s.mu.Unlock()
	if err := s.wait(ctx); err != nil {
		return alerting.Persisted{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mem.Load(ctx)
}

func (s *blockingStore) Save(ctx context.Context, st alerting.Persisted) error {
	if err := s.wait(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mem.Save(ctx, st)
}

// pendingAndSaves returns the pending changes stored and the saves so far.
func (s *blockingStore) pendingAndSaves(t *testing.T) (int, int, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.mem.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return len(st.Changes), s.mem.saves, s.loads
}

// TestOfferDoesNotWaitForTheStore: while the store does not answer, the
// operator's passes hand over their status without waiting; the alerter
// then observes the latest status only, and loses none of the writes the
// statuses it skipped reported; the status offered last before shutdown
// is observed too.
func TestOfferDoesNotWaitForTheStore(t *testing.T) {
	store := &blockingStore{release: make(chan struct{})}
	al, err := New(Options{Cluster: "ams", Store: store, Where: "blocking", LogOnly: true, CrashWindow: time.Minute}, logr.Discard())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	al.notifier, al.now = &recordingNotifier{}, func() time.Time { return now }
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	ran := make(chan error, 1)
	go func() { ran <- al.Run(ctx) }()

	pages := &specs.Alerting{Urgency: "high", RoutingKey: specs.SecretRef{FromEnv: "PD_WEB"}}
	var deployments []string
	passAt := func(i int) status.Cluster {
		id := fmt.Sprintf("d%d", i)
		deployments = append(deployments, id)
		return status.Cluster{Leader: true, Ready: true,
			Apps: []status.App{{ID: "/web", Group: "/web", Environment: "production", Sync: status.Synced, Health: status.Progressing,
				Deployments: append([]string(nil), deployments...), Alerting: pages}},
			Applied: []status.AppliedChange{{App: "/web", Action: "update", DeploymentID: id, Revision: "r", At: now}}}
	}
	const passes = 50
	// The first pass: Run waits in the store's Load.
	al.Offer(t.Context(), passAt(0))
	poll(t, "the first pass waits in Load", func() bool { _, _, loads := store.pendingAndSaves(t); return loads == 1 })
	offered := make(chan struct{})
	go func() {
		defer close(offered)
		for i := 1; i < passes; i++ {
			al.Offer(t.Context(), passAt(i))
		}
	}()
	select {
	case <-offered:
	case <-time.After(10 * time.Second):
		t.Fatal("Offer waited for the blocked store")
	}
	if _, saves, loads := store.pendingAndSaves(t); loads != 1 || saves != 0 {
		t.Fatalf("while blocked: %d loads, %d saves; want the first pass waiting in its load", loads, saves)
	}

	close(store.release)
	poll(t, "every write's change event stored", func() bool { pending, _, _ := store.pendingAndSaves(t); return pending == passes })
	// The first pass, then one for the 49 offered while it waited.
	if _, saves, _ := store.pendingAndSaves(t); saves != 2 {
		t.Errorf("%d saves for %d passes, want 2 (latest wins)", saves, passes)
	}

	al.Offer(t.Context(), passAt(passes))
	cancel()
	select {
	case <-al.Drained():
		if pending, _, _ := store.pendingAndSaves(t); pending != passes+1 {
			t.Errorf("drained: %d pending changes stored, want %d (the last pass observed)", pending, passes+1)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("not drained after cancel")
	}
	select {
	case err := <-ran:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if pending, _, _ := store.pendingAndSaves(t); pending != passes+1 {
		t.Errorf("after shutdown: %d pending changes stored, want %d (the last pass observed)", pending, passes+1)
	}
}

// poll waits for cond, polling with a deadline.
func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10s", what)
		}
		<-tick.C
	}
}
