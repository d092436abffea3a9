package election

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/testr"
	"github.com/go-zookeeper/zk"

	"pacer.dev/pacer/election/zktest"
)

// stubbornLeader is an instance whose leader work ignores the end of its
// term until released: the deposed leader fencing protects against.
type stubbornLeader struct {
	e       *Elector
	elected chan struct{}
	release chan struct{}
}

func startStubborn(t *testing.T, id, server string) *stubbornLeader {
	t.Helper()
	e, err := New(Options{Servers: []string{server}, Path: "/pacer/" + t.Name(), ID: id,
		SessionTimeout: testSession, RetryInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	s := &stubbornLeader{e: e, elected: make(chan struct{}, 1), release: make(chan struct{})}
	ctx, cancel := context.WithCancel(logr.NewContext(t.Context(), testr.New(t).WithValues("instance", id)))
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = e.Run(ctx, func(context.Context) {
			s.elected <- struct{}{}
			<-s.release
		})
	}()
	t.Cleanup(func() {
		select {
		case <-s.release:
		default:
			close(s.release)
		}
		cancel()
		<-done
	})
	return s
}

// TestWriteFencedRefusesADeposedLeader: the leader writes; deposed at the
// server (its election znode deleted) while its own work still runs, its
// late write is refused by ZooKeeper and does not overwrite what the new
// leader wrote; a write with a stale version is refused too; a follower
// cannot write at all.
func TestWriteFencedRefusesADeposedLeader(t *testing.T) {
	srv := zktest.Start(t)
	a := startStubborn(t, "a", srv.Addr())
	select {
	case <-a.elected:
	case <-time.After(electTimeout):
		t.Fatal("a not elected")
	}
	b := startStubborn(t, "b", srv.Addr())
	eventually(t, electTimeout, "b follows", func() bool { return b.e.State() == Follower })

	const p = "/pacer/state/alerting"
	ctx := t.Context()
	v, err := a.e.WriteFenced(ctx, p, []byte("a1"), NoNode)
	if err != nil {
		t.Fatalf("leader create: %v", err)
	}
	if _, err := b.e.WriteFenced(ctx, p, []byte("b0"), v); !errors.Is(err, ErrNotLeader) {
		t.Errorf("follower write: %v, want ErrNotLeader", err)
	}
	if data, rv, err := b.e.Read(ctx, p); err != nil || string(data) != "a1" || rv != v {
		t.Fatalf("read on the follower: %q v%d %v", data, rv, err)
	}

	// Depose a at the server: its znode goes, as with an expired session.
	admin, _, err := zk.Connect([]string{srv.Addr()}, testSession, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	aNode := a.e.Status().Node
	if err := admin.Delete(aNode, -1); err != nil {
		t.Fatalf("delete %s: %v", aNode, err)
	}
	select {
	case <-b.elected:
	case <-time.After(electTimeout):
		t.Fatal("b not elected after a was deposed")
	}
	// a's work still runs and writes late, before b wrote, with the
	// version that is still current: only the election fence stops it.
	if _, err := a.e.WriteFenced(ctx, p, []byte("a2"), v); !errors.Is(err, ErrNotLeader) {
		t.Errorf("deposed leader write before the successor's: %v, want ErrNotLeader", err)
	}
	data, v, err := b.e.Read(ctx, p)
	if err != nil || string(data) != "a1" {
		t.Fatalf("the new leader reads %q %v, want a1", data, err)
	}
	if _, err := b.e.WriteFenced(ctx, p, []byte("b1"), v); err != nil {
		t.Fatalf("new leader write: %v", err)
	}

	// And after it.
	if _, err := a.e.WriteFenced(ctx, p, []byte("a3"), v+1); !errors.Is(err, ErrNotLeader) {
		t.Errorf("deposed leader write: %v, want ErrNotLeader", err)
	}
	// b with a stale version (someone wrote since it read).
	if _, err := b.e.WriteFenced(ctx, p, []byte("b2"), v); !errors.Is(err, ErrVersion) {
		t.Errorf("stale version write: %v, want ErrVersion", err)
	}
	if data, _, _ := admin.Get(p); string(data) != "b1" {
		t.Errorf("znode holds %q, want the new leader's b1", data)
	}
}

func TestReadWithoutSession(t *testing.T) {
	e, err := New(Options{Path: "/pacer/x", ID: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.Read(t.Context(), "/x"); !errors.Is(err, ErrNoSession) {
		t.Errorf("Read: %v, want ErrNoSession", err)
	}
	if _, err := e.WriteFenced(t.Context(), "/x", nil, NoNode); !errors.Is(err, ErrNoSession) {
		t.Errorf("WriteFenced: %v, want ErrNoSession", err)
	}
}
