package lb

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gambol99/go-marathon"
	gocmp "github.com/google/go-cmp/cmp"

	"pacer.dev/pacer/marathonsim"
	"pacer.dev/pacer/specs"
)

// TestGoldenExamples deploys examples/specs for cluster ams in the
// simulator (virtual executor), reads the apps back as the LB does, and
// compares the nginx configs of realms internal and external and the
// HAProxy configs of groups internal and external with golden files; the
// configs must pass the real nginx -t / haproxy -c, and no host or port
// may be claimed twice.
func TestGoldenExamples(t *testing.T) {
	apps := deployExamples(t, "ams")
	dir := filepath.Join("testdata", "examples-ams")
	ro := RenderOptions{ListenHTTP: "127.0.0.1:8080", Bind: "127.0.0.1",
		StreamModule: "/usr/lib/nginx/modules/ngx_stream_module.so"}
	type lbCase struct {
		file string
		opts SelectOptions
		r    Renderer
	}
	cases := []lbCase{
		{"nginx-internal.conf", SelectOptions{Flavor: FlavorNixy, Realm: "internal"}, NginxRenderer{Options: ro}},
		{"nginx-external.conf", SelectOptions{Flavor: FlavorNixy, Realm: "external"}, NginxRenderer{Options: ro}},
		{"haproxy-internal.cfg", SelectOptions{Flavor: FlavorMarathonLB, Groups: []string{"internal"}}, HAProxyRenderer{Options: ro}},
		{"haproxy-external.cfg", SelectOptions{Flavor: FlavorMarathonLB, Groups: []string{"external"}}, HAProxyRenderer{Options: ro}},
	}
	var problems bytes.Buffer
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			sel := Backends(t.Context(), apps, c.opts, nil)
			if len(sel.Backends) == 0 {
				t.Fatal("no backends")
			}
			for _, p := range sel.Problems {
				fmt.Fprintf(&problems, "%s\t%s\t%s\tport %d\t%s\n", c.file, p.Kind, p.AppID, p.PortIndex, p.Reason)
				if p.Kind == ProblemDuplicateHost || p.Kind == ProblemDuplicatePort {
					t.Errorf("examples claim something twice: %+v", p)
				}
			}
			cfg, err := c.r.Render(sel.Backends)
			if err != nil {
				t.Fatal(err)
			}
			compareGolden(t, filepath.Join(dir, c.file+".golden"), cfg)
			validateReal(t, c.file, cfg)
		})
	}
	compareGolden(t, filepath.Join(dir, "problems.golden"), problems.Bytes())
}

func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		writeFile(t, path, got)
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./lb -update)", err)
	}
	if diff := gocmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// validateReal checks a config with the real binary (skipped under -short).
func validateReal(t *testing.T, name string, cfg []byte) {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, name)
	writeFile(t, file, cfg)
	var cmd *exec.Cmd
	if strings.HasPrefix(name, "nginx") {
		cmd = exec.CommandContext(t.Context(), requireBinary(t, "nginx"), "-t", "-q", "-p", dir, "-c", file)
	} else {
		cmd = exec.CommandContext(t.Context(), requireBinary(t, "haproxy"), "-c", "-f", file)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("%s: %v\n%s", cmd, err, out)
	}
}

// deployExamples creates the example apps of cluster in an in-process
// simulator, waits until every task runs (and is healthy where checked),
// and returns the apps as GET /v2/apps?embed=apps.tasks shows them, with
// task ids and host ports made deterministic.
func deployExamples(t *testing.T, cluster string) []marathon.Application {
	t.Helper()
	set, err := specs.LoadDir(filepath.Join("..", "examples", "specs"))
	if err != nil {
		t.Fatal(err)
	}
	rendered, err := set.Render(cluster, "")
	if err != nil {
		t.Fatal(err)
	}
	sim, err := marathonsim.New(marathonsim.Options{TaskStart: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(func() {
		srv.Close()
		_ = sim.Close()
	})
	for _, a := range rendered {
		simCall(t, srv.URL, "POST", "/v2/apps", a.Definition, nil)
	}
	var apps []marathon.Application
	eventually(t, 20*time.Second, func() error {
		var list struct {
			Apps []json.RawMessage `json:"apps"`
		}
		simCall(t, srv.URL, "GET", "/v2/apps?embed=apps.tasks", nil, &list)
		apps = apps[:0]
		for _, raw := range list.Apps {
			a, err := decodeApplication(raw)
			if err != nil {
				return err
			}
			if err := settled(&a); err != nil {
				return err
			}
			apps = append(apps, a)
		}
		if len(apps) != len(rendered) {
			return fmt.Errorf("%d apps, want %d", len(apps), len(rendered))
		}
		return nil
	})
	normalizeTasks(apps)
	return apps
}

// settled reports an app whose tasks do not all run (healthy) yet.
func settled(a *marathon.Application) error {
	want := 1
	if a.Instances != nil {
		want = *a.Instances
	}
	checked := a.HealthChecks != nil && len(*a.HealthChecks) > 0
	n := 0
	for _, tk := range a.Tasks {
		if tk.State == "TASK_RUNNING" && (!checked || resultsAlive(tk.HealthCheckResults)) {
			n++
		}
	}
	if n != want || len(a.Tasks) != want {
		return fmt.Errorf("%s: %d of %d tasks ready, want %d", a.ID, n, len(a.Tasks), want)
	}
	return nil
}

// normalizeTasks gives tasks ids and host ports that depend only on the app
// id and the task's rank (by its first port), so golden files are stable.
func normalizeTasks(apps []marathon.Application) {
	slices.SortFunc(apps, func(x, y marathon.Application) int { return cmp.Compare(x.ID, y.ID) })
	next := 31000
	for i := range apps {
		a := &apps[i]
		slices.SortFunc(a.Tasks, func(x, y *marathon.Task) int {
			return slices.Compare(x.Ports, y.Ports)
		})
		for n, tk := range a.Tasks {
			tk.ID = strings.ReplaceAll(strings.TrimPrefix(a.ID, "/"), "/", "_") + fmt.Sprintf(".task%d", n+1)
			for k := range tk.Ports {
				tk.Ports[k] = next
				next++
			}
			tk.StagedAt, tk.StartedAt, tk.Version = "", "", ""
		}
	}
}

func simCall(t *testing.T, base, method, path string, body []byte, out any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, base+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}
