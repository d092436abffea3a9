package election

import (
	"context"
	"testing"
)

func TestSingleInstanceAlwaysLeads(t *testing.T) {
	e, err := New(Options{ID: "solo"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	elected := make(chan context.Context, 1)
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx, func(leaderCtx context.Context) { elected <- leaderCtx }) }()
	leaderCtx := <-elected
	if got := e.State(); got != Leader {
		t.Errorf("State() = %s, want leader", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run() = %v, want nil", err)
	}
	if leaderCtx.Err() == nil {
		t.Error("leader context not cancelled after Run returned")
	}
	if got := e.State(); got != Disconnected {
		t.Errorf("State() after Run = %s, want disconnected", got)
	}
}
