package election

import (
	"context"
	"testing"
	"time"

	"pacer.dev/pacer/election/zktest"
)

const electTimeout = 10 * time.Second

func TestTwoCandidatesOneLeader(t *testing.T) {
	srv := zktest.Start(t)
	rec := newRecorder(t)
	a := startInstance(t, rec, "a", srv.Addr())
	b := startInstance(t, rec, "b", srv.Addr())

	eventually(t, electTimeout, "one leader and one follower", func() bool {
		return len(leaders(a, b)) == 1 && (a.e.State() == Follower || b.e.State() == Follower)
	})
	leader, follower := a, b
	if b.e.State() == Leader {
		leader, follower = b, a
	}
	eventually(t, electTimeout, "follower names the leader", func() bool {
		return follower.e.Status().Leader == leader.id
	})
	if got := leader.e.Status(); got.Node == "" || got.ID != leader.id {
		t.Errorf("leader status = %+v, want its node and ID %q", got, leader.id)
	}

	// The leader leaves: its session closes, the follower takes over.
	leader.close()
	eventually(t, electTimeout, "follower takes over after the leader closed", func() bool {
		return follower.e.State() == Leader
	})
	if n := len(rec.termsOf(leader.id)); n != 1 {
		t.Errorf("closed leader had %d terms, want 1", n)
	}
	rec.checkNoOverlap()
}

func TestPartitionedLeaderStopsBeforeAnotherIsElected(t *testing.T) {
	srv := zktest.Start(t)
	rec := newRecorder(t)
	proxyA := zktest.NewProxy(t, srv.Addr())
	a := startInstance(t, rec, "a", proxyA.Addr())
	eventually(t, electTimeout, "a leads alone", func() bool { return a.e.State() == Leader })
	b := startInstance(t, rec, "b", srv.Addr())
	eventually(t, electTimeout, "b follows", func() bool { return b.e.State() == Follower })

	// a hears nothing from ZooKeeper, nor ZooKeeper from a: a must stop on
	// its own before the server expires its session and elects b.
	proxyA.Partition()
	eventually(t, electTimeout, "b elected after a's session expired", func() bool {
		return b.e.State() == Leader
	})
	if got := a.e.State(); got != Disconnected {
		t.Errorf("partitioned a is %s, want disconnected", got)
	}
	ta := rec.termsOf("a")
	if len(ta) != 1 {
		t.Fatalf("a has %d closed terms, want 1", len(ta))
	}

	if tb := rec.termsOf("b"); len(tb) == 0 {
		t.Logf("a stopped writing %s before b was seen leading", time.Since(ta[0].end))
	}

	proxyA.Heal()
	eventually(t, electTimeout, "a rejoins as follower with a new session", func() bool {
		return a.e.State() == Follower
	})
	if got := b.e.State(); got != Leader {
		t.Errorf("b is %s after a rejoined, want leader", got)
	}
	rec.checkNoOverlap()
}

func TestZooKeeperRestart(t *testing.T) {
	srv := zktest.Start(t)
	rec := newRecorder(t)
	a := startInstance(t, rec, "a", srv.Addr())
	b := startInstance(t, rec, "b", srv.Addr())
	eventually(t, electTimeout, "one leader", func() bool { return len(leaders(a, b)) == 1 })

	srv.Stop()
	eventually(t, electTimeout, "nobody leads without ZooKeeper", func() bool {
		return a.e.State() == Disconnected && b.e.State() == Disconnected
	})
	srv.Restart()
	eventually(t, 2*electTimeout, "one leader after the restart", func() bool {
		return len(leaders(a, b)) == 1 && (a.e.State() == Follower || b.e.State() == Follower)
	})
	t.Logf("after restart: %s", states(a, b))
	rec.checkNoOverlap()
}

func TestResignWhenWorkReturns(t *testing.T) {
	srv := zktest.Start(t)
	rec := newRecorder(t)
	e, err := New(Options{Servers: []string{srv.Addr()}, Path: "/pacer/resign", ID: "quitter",
		SessionTimeout: testSession, RetryInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	elected := make(chan struct{}, 1)
	done := make(chan error, 1)
	go func() {
		done <- e.Run(ctx, func(context.Context) {
			rec.begin("quitter")
			rec.end("quitter")
			elected <- struct{}{}
		})
	}()
	t.Cleanup(func() { cancel(); <-done })
	<-elected
	b := startInstance(t, rec, "b", srv.Addr())
	eventually(t, electTimeout, "b leads after the other resigned", func() bool {
		return b.e.State() == Leader
	})
	rec.checkNoOverlap()
}
