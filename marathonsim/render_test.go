package marathonsim

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
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

// Without a stream that wants them, deployment events are not rendered.
func TestDeploymentEventsRenderedOnlyWhenWanted(t *testing.T) {
	x := newSim(t, Options{})
	x.s.onEvent = nil // no test hook, no stream
	x.must(201, "POST", "/v2/apps", `{"id":"/a","cmd":"x"}`)
	x.advance(time.Second)
	if n := len(x.s.render.apps); n != 0 || x.s.render.lastTree != nil {
		t.Errorf("plan rendered with nobody listening (%d apps cached)", n)
	}
}
