package marathon

import (
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestInfo reads Marathon 1.4.13's recorded /v2/info (a copy of
// shared/marathon-api/marathon-v1.4.13/v2/examples/info.json).
func TestInfo(t *testing.T) {
	body, err := os.ReadFile("testdata/info-1.4.13.json")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v2/info" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	c, err := New(Options{URLs: []string{srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := Info{Name: "marathon", Version: got.Version, Leader: got.Leader,
		FrameworkID: "da21ff97-dd3f-4f9c-8dfc-ae618c6c5394-0000", FrameworkName: "marathon", ZK: "zk://localhost:2181/marathon"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Info (-want +got):\n%s", d)
	}
	if got.Version == "" || got.Leader == "" {
		t.Errorf("Info = %+v: want version and leader", got)
	}
}
