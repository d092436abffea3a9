package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pacer.dev/pacer/specs"
)

// checkTree writes a spec tree with a web app, a checks app and checks of
// the web app's tasks, and returns its root.
func checkTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"clusters.yaml": clusterYAML,
		"services/web.yaml": `apiVersion: pacer.dev/v1
kind: ServiceGroup
metadata: {name: web, parent: /services}
spec:
  environments:
    production: {clusters: [ams]}
  apps:
    app: {cmd: sleep 1000, instances: 1, cpus: 0.1, mem: 32, portDefinitions: [{port: 0, name: http}]}
    checks: {cmd: pacer agent, instances: 1, cpus: 0.1, mem: 32}
  checks:
    app-tcp:
      tcp: {app: app, portName: http, timeout: 1s}
      tip: the app does not accept connections
      runbook: https://wiki.example/web
    warn:
      exec: {app: checks, command: [sh, -c, "echo 'DISK WARNING - 91% used | used=91%;90;95'; exit 1"]}
`,
	}
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const clusterYAML = `apiVersion: pacer.dev/v1
kind: Cluster
metadata: {name: ams}
spec:
  marathon: {urls: ["http://marathon.ams:8080"]}
`

// TestCheckRun: pacer check run prints the Nagios line and exits with the
// Nagios state; an http/tcp check probes the tasks Marathon reports.
func TestCheckRun(t *testing.T) {
	url := startSim(t)
	dir := checkTree(t)
	base := []string{"--specs", dir, "--cluster", "ams", "--marathon", url}
	if r := runCLI(t, append([]string{"reconcile", "--wait-timeout", "1m"}, base...)...); r.code != exitOK {
		t.Fatalf("reconcile: exit %d\n%s", r.code, r.stderr)
	}
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string // line prefixes
		stderr string
	}{
		{name: "exec check: WARNING, exit 1", args: []string{"check", "run", "warn", "-e", "production"}, code: 1,
			stdout: []string{"WARNING: DISK WARNING - 91% used | used=91%;90;95", "check: /services/web/production:warn (exec, services/web.yaml:"}},
		// The simulator's virtual tasks listen on nothing.
		{name: "tcp check of the live tasks: CRITICAL, exit 2", args: []string{"check", "run", "app-tcp", "-e", "production"}, code: 2,
			stdout: []string{"CRITICAL: 1 of 1 tasks failing: ", "check: /services/web/production:app-tcp (tcp, ",
				"tip: the app does not accept connections", "runbook: https://wiki.example/web"}},
		{name: "unknown check", args: []string{"check", "run", "nope", "-e", "production"}, code: 1,
			stderr: `error: no enabled check "nope" in environment production on cluster ams; checks: app-tcp, warn`},
		{name: "environment required", args: []string{"check", "run", "warn"}, code: 1,
			stderr: "error: -e ENV (--environment) is required: a check runs in one environment"},
		{name: "list", args: []string{"check", "list"}, code: 0,
			stdout: []string{"CHECK ", "/services/web/production:app-tcp  tcp ", "/services/web/production:warn     exec "}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, append(tc.args, base...)...)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tc.code, r.stdout, r.stderr)
			}
			lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
			for i, want := range tc.stdout {
				if i >= len(lines) || !strings.HasPrefix(lines[i], want) {
					t.Errorf("stdout line %d: want prefix %q, got:\n%s", i+1, want, r.stdout)
					break
				}
			}
			if tc.stderr != "" && strings.TrimSpace(r.stderr) != tc.stderr {
				t.Errorf("stderr %q, want %q", r.stderr, tc.stderr)
			}
		})
	}
	// pacer status lists the checks after the apps (no pacer to ask: PENDING).
	r := runCLI(t, append([]string{"status"}, base...)...)
	if !strings.Contains(r.stdout, "\nCHECK ") || !strings.Contains(r.stdout, "/services/web/production:warn     PENDING") {
		t.Errorf("status does not list the checks:\n%s", r.stdout)
	}
}

// TestAgentRefusesBadDefinitions: pacer agent runs only the checks pacer
// rendered into its env, verified by their hash, and only with a token.
func TestAgentRefusesBadDefinitions(t *testing.T) {
	list, hash := specs.AgentEnv([]specs.Check{{ID: "/g/p:c", Kind: specs.CheckExec, Exec: &specs.ExecCheck{Command: []string{"true"}}}})
	tests := []struct {
		name            string
		list, hash, tok string
		stderr          string
	}{
		{"no checks", "", "", "t", "error: agent: PACER_CHECKS is empty: the app running pacer agent needs exec checks in its ServiceGroup"},
		{"tampered", strings.Replace(list, "true", "false", 1), hash, "t", "error: agent: PACER_CHECKS does not match PACER_CHECKS_HASH"},
		{"no token", list, hash, "", "error: agent: agent token: set PACER_AGENT_TOKEN or --token-file; the results are only served with a token"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(specs.EnvAgentChecks, tc.list)
			t.Setenv(specs.EnvAgentChecksHash, tc.hash)
			t.Setenv("PACER_AGENT_TOKEN", tc.tok)
			t.Setenv("PACER_AGENT_TOKEN_FILE", "")
			r := runCLI(t, "agent", "--listen", "127.0.0.1:0")
			if r.code != exitError || !strings.HasPrefix(r.stderr, tc.stderr) {
				t.Errorf("exit %d, stderr %q; want 1 and %q", r.code, r.stderr, tc.stderr)
			}
		})
	}
}
