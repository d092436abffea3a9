package operator

import (
	"encoding/json"
	"strings"
	"testing"

	"pacer.dev/pacer/reconciler/reconcilertest"
)

// TestPassRefusesAnotherClustersMarathon: the operator of ams reading a
// Marathon that holds apps pacer wrote for fra writes nothing (no create,
// no prune) and says why in passError.
func TestPassRefusesAnotherClustersMarathon(t *testing.T) {
	fra := json.RawMessage(`{"id":"/services/blog/production/web","cmd":"sleep 1000","instances":1,
		"labels":{"pacer.dev/managed-by":"pacer","pacer.dev/cluster":"fra"}}`)
	h := newHarness(t, reconcilertest.NewFakeMarathon(fra), nil)
	h.start()
	st := h.pass()
	if w := h.writes(); len(w) != 0 {
		t.Errorf("writes to another cluster's Marathon: %v", w)
	}
	for _, want := range []string{"wrong cluster", `cluster "ams"`, "/services/blog/production/web (pacer.dev/cluster=fra)"} {
		if !strings.Contains(st.PassError, want) {
			t.Errorf("passError %q lacks %q", st.PassError, want)
		}
	}
}

// TestStatusMasksEnv: the pending changes of /api/v1/status show that an
// env value differs, never the value.
func TestStatusMasksEnv(t *testing.T) {
	live := json.RawMessage(`{"id":"/services/web/staging/api","cmd":"sleep 1000","instances":2,"cpus":0.5,"mem":128,
		"env":{"DB_PASSWORD":"hunter2"},"labels":{"pacer.dev/managed-by":"pacer"}}`)
	h := newHarness(t, reconcilertest.NewFakeMarathon(live), nil)
	h.start()
	st := h.pass()
	a := appsByID(st)[stgAPI]
	joined := strings.Join(a.Changes, "\n")
	if !strings.Contains(joined, "env.DB_PASSWORD: - (masked ") || strings.Contains(joined, "hunter2") {
		t.Errorf("changes of the manual staging api: %q; want env.DB_PASSWORD masked", a.Changes)
	}
	body, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(body), "hunter2") {
		t.Errorf("status JSON prints the env value: %s", body)
	}
}
