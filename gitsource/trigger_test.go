package gitsource

import "testing"

func TestTriggerCoalesces(t *testing.T) {
	tr := NewTrigger()
	if !tr.Fire() {
		t.Fatal("first Fire did not make a sync pending")
	}
	for i := range 10 {
		if tr.Fire() {
			t.Fatalf("Fire %d made a second sync pending", i+2)
		}
	}
	select {
	case <-tr.C():
	default:
		t.Fatal("no sync pending after Fire")
	}
	select {
	case <-tr.C():
		t.Fatal("eleven Fires gave two pending syncs")
	default:
	}
	if !tr.Fire() {
		t.Error("Fire after the loop drained the trigger did not make a sync pending")
	}
}
