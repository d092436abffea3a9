package marathonsim

import (
	"bytes"
	"encoding/json"
	"testing"
)

// The hand-written plan rendering must give the bytes groupJSON gives.
func TestTreeRawMatchesGroupJSON(t *testing.T) {
	x := newSim(t, Options{})
	x.must(201, "POST", "/v2/groups", `{"id":"/shop","dependencies":["/base"],"apps":[{"id":"web","cmd":"x","labels":{"a":"<b>"},"healthChecks":[{"protocol":"HTTP"}]}],
		"groups":[{"id":"/shop/db","apps":[{"id":"pg","cmd":"y","instances":2}]}]}`)
	x.must(201, "POST", "/v2/apps", `{"id":"/base","cmd":"z"}`)
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	want, err := json.Marshal(x.s.groupJSON(x.s.root, "/", groupEmbed{apps: true, groups: true, pods: true}))
	if err != nil {
		t.Fatal(err)
	}
	got := x.s.treeRaw(x.s.root)
	if !bytes.Equal(want, got) {
		t.Errorf("treeRaw differs from groupJSON:\n got %s\nwant %s", got, want)
	}
}
