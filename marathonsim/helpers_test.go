package marathonsim

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

var epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// sim is a Server on a FakeClock with an event recorder.
type sim struct {
	t     *testing.T
	s     *Server
	clock *FakeClock
	mu    sync.Mutex
	evs   []recorded
}

type recorded struct {
	Type    string
	Payload map[string]any
}

func newSim(t *testing.T, opts Options) *sim {
	t.Helper()
	fc := NewFakeClock(epoch)
	opts.Clock = fc
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	x := &sim{t: t, s: s, clock: fc}
	s.onEvent = func(typ string, payload any) {
		b, _ := json.Marshal(payload)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		x.mu.Lock()
		x.evs = append(x.evs, recorded{typ, m})
		x.mu.Unlock()
	}
	s.stepCheck = func(incremental, full bool) {
		if incremental != full {
			t.Errorf("stepDone: incremental check says %v, full scan says %v", incremental, full)
		}
	}
	t.Cleanup(func() { _ = s.Close() })
	return x
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
	return m
}

func (x *sim) do(method, path string, body any) resp {
	x.t.Helper()
	var rd *bytes.Reader
	switch b := body.(type) {
	case nil:
		rd = bytes.NewReader(nil)
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		data, err := json.Marshal(b)
		if err != nil {
			x.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req := httptest.NewRequest(method, path, rd)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	x.s.ServeHTTP(rec, req)
	return resp{rec.Code, rec.Header(), rec.Body.Bytes()}
}

// must performs a request and fails unless the status is want.
func (x *sim) must(want int, method, path string, body any) resp {
	x.t.Helper()
	r := x.do(method, path, body)
	if r.status != want {
		x.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.status, want, r.body)
	}
	return r
}

func (x *sim) advance(d time.Duration) { x.clock.Advance(d) }

// settleFor advances the fake clock in small steps up to d until cond holds.
func (x *sim) until(d time.Duration, what string, cond func() bool) {
	x.t.Helper()
	for waited := time.Duration(0); ; waited += 100 * time.Millisecond {
		if cond() {
			return
		}
		if waited > d {
			x.t.Fatalf("after %s of simulated time: %s", d, what)
		}
		x.advance(100 * time.Millisecond)
	}
}

func (x *sim) events() []recorded {
	x.mu.Lock()
	defer x.mu.Unlock()
	return append([]recorded(nil), x.evs...)
}

func (x *sim) eventTypes() []string {
	var out []string
	for _, e := range x.events() {
		out = append(out, e.Type)
	}
	return out
}

func (x *sim) deployments() []any {
	var out []any
	_ = json.Unmarshal(x.must(200, "GET", "/v2/deployments", nil).body, &out)
	return out
}

func (x *sim) app(id string) map[string]any {
	return x.must(200, "GET", "/v2/apps"+id, nil).json(x.t)["app"].(map[string]any)
}

func (x *sim) tasks(id string) []map[string]any {
	var body struct{ Tasks []map[string]any }
	_ = json.Unmarshal(x.must(200, "GET", "/v2/apps"+id+"/tasks", nil).body, &body)
	return body.Tasks
}

var volatile = regexp.MustCompile(`"(version|lastScalingAt|lastConfigChangeAt|id|deploymentId|since|stagedAt|startedAt|timestamp)":"[0-9a-f]{8}-[0-9a-f-]{27}"|[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// golden compares indented JSON (timestamps and uuids masked) with
// testdata/name, rewriting it with -update.
func golden(t *testing.T, name string, data []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, data, "", "  "); err != nil {
		t.Fatalf("indent: %v", err)
	}
	got := volatile.ReplaceAllStringFunc(buf.String(), func(s string) string {
		if strings.Contains(s, "T") && strings.HasSuffix(s, "Z") {
			return "<TIME>"
		}
		return "<UUID>"
	})
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run with -update): %v", err)
	}
	if strings.TrimSpace(string(want)) != strings.TrimSpace(got) {
		t.Errorf("%s differs from golden:\n--- want\n%s\n--- got\n%s", name, want, got)
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// instanceOf is the instance id Marathon 1.4.13 gives the task
// <app>.<uuid>: <app>.marathon-<uuid>.
func instanceOf(taskID string) string {
	i := strings.LastIndexByte(taskID, '.')
	return taskID[:i] + ".marathon-" + taskID[i+1:]
}
