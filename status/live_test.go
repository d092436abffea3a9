package status

import (
	"encoding/json"
	"sync"
	"testing"
)

func TestLiveDefinitionMasksOnceOnUse(t *testing.T) {
	calls := 0
	l := NewLiveDefinition(json.RawMessage(`{"healthChecks":[{"protocol":"HTTP"}],"env":{"K":"secret"}}`),
		func(json.RawMessage) (json.RawMessage, error) {
			calls++
			return json.RawMessage(`{"env":{"K":"(masked)"}}`), nil
		})
	if calls != 0 {
		t.Fatal("masked before use")
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if got, err := l.Masked(); err != nil || string(got) != `{"env":{"K":"(masked)"}}` {
				t.Errorf("Masked = %s, %v", got, err)
			}
		})
	}
	wg.Wait()
	if calls != 1 {
		t.Errorf("masked %d times, want once", calls)
	}
	a := App{Live: l}
	if !a.HasHealthChecks() || (&App{}).HasHealthChecks() {
		t.Error("HasHealthChecks wrong")
	}
	if NewLiveDefinition(json.RawMessage(`{"healthChecks":[]}`), nil).HealthChecks() {
		t.Error("empty healthChecks counted")
	}
}
