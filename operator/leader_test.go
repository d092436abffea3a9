package operator

import (
	"context"
	"testing"

	"pacer.dev/pacer/reconciler/reconcilertest"
)

// TestNewLeaderSyncsSourceFirst: a follower that missed a push (the webhook
// reached the old leader, the interval has not come) syncs the source when it
// is elected, so its first writes apply the newest revision instead of
// rolling the cluster back to the one it last fetched.
func TestNewLeaderSyncsSourceFirst(t *testing.T) {
	lead := NewLeadership()
	h := newHarness(t, reconcilertest.NewFakeMarathon(), func(o *Options) { o.Leader = lead })
	h.start()
	if st := h.pass(); st.Revision.ID != "rev1" || len(h.writes()) != 0 {
		t.Fatalf("follower: revision %q, writes %v; want rev1 and none", st.Revision.ID, h.writes())
	}
	h.source.set("rev2", specTree("5"))
	h.clock.nextWait(t)

	leaderCtx, resign := context.WithCancel(t.Context())
	defer resign()
	go lead.Lead(leaderCtx)
	st := h.pass()
	if st.Revision.ID != "rev2" {
		t.Errorf("first pass as leader applies revision %q, want rev2", st.Revision.ID)
	}
	if a := appsByID(st)[api]; a.LiveRevision != "rev2" || a.Sync != Synced {
		t.Errorf("api after election: live revision %q, %s; want rev2, Synced", a.LiveRevision, a.Sync)
	}
}
