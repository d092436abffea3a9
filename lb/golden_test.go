package lb

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/gambol99/go-marathon"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

// caseOptions is testdata/<case>/options.json: the flags of that LB.
type caseOptions struct {
	Realm        string   `json:"realm"`
	Groups       []string `json:"groups"`
	StrictMode   bool     `json:"strictMode"`
	ListenHTTP   string   `json:"listenHTTP"`
	Bind         string   `json:"bind"`
	StreamModule string   `json:"streamModule"`
	NginxAPI     string   `json:"nginxAPI"`
	LuaModules   []string `json:"luaModules"`
	// StatsSocket renders HAProxy's admin socket, and so its spare server slots.
	StatsSocket string `json:"statsSocket"`
}

type goldenCase struct {
	name string
	dir  string
	apps []marathon.Application
	opts caseOptions
}

func loadCases(t *testing.T) []goldenCase {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join("testdata", "*", "apps.json"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	var cases []goldenCase
	for _, f := range dirs {
		dir := filepath.Dir(f)
		c := goldenCase{name: filepath.Base(dir), dir: dir}
		var list struct {
			Apps []marathon.Application `json:"apps"`
		}
		readJSON(t, f, &list)
		c.apps = list.Apps
		readJSON(t, filepath.Join(dir, "options.json"), &c.opts)
		cases = append(cases, c)
	}
	return cases
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func (c goldenCase) renderOptions() RenderOptions {
	return RenderOptions{ListenHTTP: c.opts.ListenHTTP, Bind: c.opts.Bind, StreamModule: c.opts.StreamModule,
		NginxAPI: c.opts.NginxAPI, LuaModules: c.opts.LuaModules, StatsSocket: c.opts.StatsSocket}
}

// render returns the nginx config, the HAProxy config and the problems of
// both selections, as they are compared with the golden files.
func (c goldenCase) render(t *testing.T) map[string][]byte {
	t.Helper()
	ctx := t.Context()
	nixy := Backends(ctx, c.apps, SelectOptions{Flavor: FlavorNixy, Realm: c.opts.Realm}, nil)
	mlb := Backends(ctx, c.apps, SelectOptions{Flavor: FlavorMarathonLB, Groups: c.opts.Groups, StrictMode: c.opts.StrictMode}, nil)
	ngx, err := NginxRenderer{Options: c.renderOptions()}.Render(nixy.Backends)
	if err != nil {
		t.Fatal(err)
	}
	hap, err := HAProxyRenderer{Options: c.renderOptions()}.Render(mlb.Backends)
	if err != nil {
		t.Fatal(err)
	}
	var probs bytes.Buffer
	for _, s := range []struct {
		name string
		sel  Selection
	}{{"nixy", nixy}, {"marathon-lb", mlb}} {
		for _, p := range s.sel.Problems {
			fmt.Fprintf(&probs, "%s\t%s\t%s\tport %d\t%s\n", s.name, p.Kind, p.AppID, p.PortIndex, p.Reason)
		}
	}
	return map[string][]byte{"nginx.conf.golden": ngx, "haproxy.cfg.golden": hap, "problems.golden": probs.Bytes()}
}

func TestGolden(t *testing.T) {
	for _, c := range loadCases(t) {
		t.Run(c.name, func(t *testing.T) {
			got := c.render(t)
			for file, out := range got {
				path := filepath.Join(c.dir, file)
				if *update {
					if err := os.WriteFile(path, out, 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test ./lb -update)", err)
				}
				if diff := cmp.Diff(string(want), string(out)); diff != "" {
					t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
				}
			}
			again := c.render(t)
			if diff := cmp.Diff(got, again); diff != "" {
				t.Errorf("rendering twice differs (-first +second):\n%s", diff)
			}
		})
	}
}

// TestGoldenValid checks every golden config with the real binaries, so a
// golden file can never bless a config nginx or HAProxy would refuse.
func TestGoldenValid(t *testing.T) {
	nginx, haproxy := requireBinary(t, "nginx"), requireBinary(t, "haproxy")
	for _, c := range loadCases(t) {
		t.Run(c.name, func(t *testing.T) {
			out := c.render(t)
			prefix := t.TempDir()
			ngxFile := filepath.Join(prefix, "nginx.conf")
			hapFile := filepath.Join(prefix, "haproxy.cfg")
			writeFile(t, ngxFile, out["nginx.conf.golden"])
			writeFile(t, hapFile, out["haproxy.cfg.golden"])
			if b, err := exec.CommandContext(t.Context(), nginx, "-t", "-q", "-p", prefix, "-c", ngxFile).CombinedOutput(); err != nil {
				t.Errorf("nginx -t: %v\n%s", err, b)
			}
			if b, err := exec.CommandContext(t.Context(), haproxy, "-c", "-f", hapFile).CombinedOutput(); err != nil {
				t.Errorf("haproxy -c: %v\n%s", err, b)
			}
		})
	}
}

// requireBinary returns the path of a load balancer binary. Tests that need
// one fail (never skip) when it is missing, except under -short, which is
// documented as "no Debian packages needed".
func requireBinary(t testing.TB, name string) string {
	t.Helper()
	if testing.Short() {
		t.Skipf("needs the real %s; run without -short", name)
	}
	for _, p := range []string{name, "/usr/sbin/" + name} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	t.Fatalf("%s not found: install it with `make deps` (Debian: apt-get install nginx-light libnginx-mod-stream haproxy)", name)
	return ""
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
