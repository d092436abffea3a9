package conformance

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"pacer.dev/pacer/marathonsim"
)

// sim is a simulator behind a real HTTP server.
type sim struct {
	t   *testing.T
	srv *marathonsim.Server
	url string
	hc  *http.Client
}

// newSim starts a virtual-executor simulator on the real clock with fast
// task starts, so the tests wait for conditions, never for fixed times.
func newSim(t *testing.T, opts marathonsim.Options) *sim {
	t.Helper()
	if opts.TaskStart == 0 {
		opts.TaskStart = 10 * time.Millisecond
	}
	srv, err := marathonsim.New(opts)
	if err != nil {
		t.Fatalf("marathonsim.New: %v", err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		_ = srv.Close()
		hs.Close()
	})
	return &sim{t: t, srv: srv, url: hs.URL, hc: hs.Client()}
}

// response is one answer of the simulator.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) any {
	t.Helper()
	return decode(t, "response body", r.body)
}

// do sends a request with an optional JSON body (string, []byte or value).
func (s *sim) do(method, path string, body any) response {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(s.t.Context(), method, s.url+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.hc.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: data}
}

// must sends a request and fails unless the status is want.
func (s *sim) must(want int, method, path string, body any) response {
	s.t.Helper()
	r := s.do(method, path, body)
	if r.status != want {
		s.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, r.status, want, r.body)
	}
	return r
}

// eventually polls cond over HTTP until it holds, failing after timeout.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(timeout)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
	}
}

// noDeployments reports whether /v2/deployments is empty.
func (s *sim) noDeployments() bool {
	s.t.Helper()
	r := s.must(http.StatusOK, http.MethodGet, "/v2/deployments", nil)
	return strings.TrimSpace(string(r.body)) == "[]"
}

func (s *sim) settle() {
	s.t.Helper()
	eventually(s.t, 10*time.Second, "deployments to finish", s.noDeployments)
}

// testdata reads a recorded file, relative to testdata/.
func testdata(t *testing.T, rel string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", rel))
	if err != nil {
		t.Fatalf("recorded data: %v", err)
	}
	return data
}

func recorded(t *testing.T, rel string) any {
	t.Helper()
	return decode(t, rel, testdata(t, rel))
}

const examples = "marathon-v1.4.13/v2/examples/"

// fixture is one entry of go-marathon's tests/rest-api/methods.yml.
type fixture struct {
	URI     string `yaml:"uri"`
	Method  string `yaml:"method"`
	Scope   string `yaml:"scope"`
	Content string `yaml:"content"`
}

// goMarathonFixture returns the recorded response for uri and method in
// scope ("" is the default scope).
func goMarathonFixture(t *testing.T, method, uri, scope string) any {
	t.Helper()
	var all []fixture
	if err := yaml.Unmarshal(testdata(t, "go-marathon-v0.7.1-methods.yml"), &all); err != nil {
		t.Fatalf("methods.yml: %v", err)
	}
	for _, f := range all {
		if f.URI == uri && f.Method == method && f.Scope == scope {
			return decode(t, "methods.yml "+method+" "+uri, []byte(f.Content))
		}
	}
	t.Fatalf("methods.yml has no %s %s (scope %q)", method, uri, scope)
	return nil
}

// checkShape compares got with the recorded shape after the documented
// patches, reporting each difference as a test error.
func checkShape(t *testing.T, source string, recordedShape, got any, opts shapeOptions, patches ...patch) {
	t.Helper()
	want := applyPatches(t, recordedShape, patches)
	for _, p := range patches {
		t.Logf("known difference from %s: %s %s: %s", source, p.op, p.path, p.why)
	}
	for _, d := range shapeDiff(want, got, opts) {
		t.Errorf("sim vs %s: %s", source, d)
	}
}

// checkBody compares a whole error body exactly.
func checkBody(t *testing.T, what string, r response, status int, body string) {
	t.Helper()
	if r.status != status {
		t.Errorf("%s: status %d, want %d", what, r.status, status)
	}
	var got, want any
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Errorf("%s: body is not JSON: %q", what, r.body)
		return
	}
	_ = json.Unmarshal([]byte(body), &want)
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if !bytes.Equal(g, w) {
		t.Errorf("%s: body %s, want %s", what, g, w)
	}
}

// control calls the simulator's /sim/v1 API, which has no Marathon
// counterpart: any 2xx is success.
func (s *sim) control(method, path string, body any) {
	s.t.Helper()
	if r := s.do(method, "/sim/v1"+path, body); r.status/100 != 2 {
		s.t.Fatalf("%s /sim/v1%s: status %d: %s", method, path, r.status, r.body)
	}
}
