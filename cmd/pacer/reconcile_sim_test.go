package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"pacer.dev/pacer/marathonsim"
	"pacer.dev/pacer/reconciler/reconcilertest"
)

const testCluster = `apiVersion: pacer.dev/v1
kind: Cluster
metadata: {name: t}
spec:
  marathon: {urls: ["http://marathon.invalid:8080"]}
  loadBalancers: {nixyRealms: [internal], haproxyGroups: [internal]}
`

// serviceGroup is a spec file with one service group of small apps; extra
// is YAML appended to the last app.
func serviceGroup(name string, apps []string, extra string) string {
	var b strings.Builder
	b.WriteString("apiVersion: pacer.dev/v1\nkind: ServiceGroup\nmetadata: {name: " + name + ", parent: /services}\nspec:\n")
	b.WriteString("  environments:\n    production: {clusters: [t]}\n  apps:\n")
	for _, a := range apps {
		b.WriteString("    " + a + ":\n      cmd: sleep 1000\n      instances: 1\n      cpus: 0.1\n      mem: 32\n")
	}
	b.WriteString(extra)
	return b.String()
}

// specTree writes files (path → content) under a new directory.
func specTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func writeSpec(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(name)), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// reconcileArgs are the common flags of a run against sim.
func reconcileArgs(sim *reconcilertest.Sim, specs string, cmd ...string) []string {
	args := append(cmd, "--specs", specs, "--cluster", "t", "--marathon", sim.URL, "--retries", "0")
	if cmd[0] == "reconcile" {
		args = append(args, "--wait-timeout", "30s")
	}
	return args
}

func shopTree(t *testing.T) string {
	return specTree(t, map[string]string{
		"clusters.yaml":      testCluster,
		"services/shop.yaml": serviceGroup("shop", []string{"db", "api"}, "      dependencies: [db]\n"),
		"services/blog.yaml": serviceGroup("blog", []string{"web", "cache", "worker"}, ""),
	})
}

func TestReconcileExitCodes(t *testing.T) {
	sim := reconcilertest.NewSim(t, marathonsim.Options{})
	dir := shopTree(t)
	steps := []struct {
		name string
		args []string
		want int
	}{
		{"changes pending", []string{"diff", "--detailed-exitcode"}, exitChanges},
		{"changes pending, plain dry-run", []string{"reconcile", "--dry-run"}, exitOK},
		{"apply converges", []string{"reconcile"}, exitOK},
		{"in sync", []string{"reconcile", "--dry-run", "--detailed-exitcode"}, exitOK},
		{"error", []string{"diff", "--detailed-exitcode", "-o", "xml"}, exitError},
	}
	for _, st := range steps {
		r := runCLI(t, reconcileArgs(sim, dir, st.args...)...)
		if r.code != st.want {
			t.Fatalf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", st.name, r.code, st.want, r.stdout, r.stderr)
		}
	}
}

func TestReconcileDryRunWritesNothing(t *testing.T) {
	sim := reconcilertest.NewSim(t, marathonsim.Options{})
	dir := shopTree(t)
	for _, args := range [][]string{
		{"reconcile", "--dry-run", "--detailed-exitcode"},
		{"reconcile", "--dry-run", "--prune", "--force", "-o", "json"},
		{"diff", "-o", "markdown"},
	} {
		sim.Rec.Reset()
		r := runCLI(t, reconcileArgs(sim, dir, args...)...)
		if r.code == exitError {
			t.Fatalf("%v: exit 1\n%s", args, r.stderr)
		}
		var got []string
		for _, req := range sim.Rec.Requests() {
			got = append(got, req.String())
		}
		if diff := cmp.Diff([]string{"GET /v2/apps?embed=apps.tasks&embed=apps.deployments&embed=apps.lastTaskFailure"}, got); diff != "" {
			t.Errorf("%v: requests (-want +got):\n%s", args, diff)
		}
	}
}

func TestReconcileInvalidSpecsApplyNothing(t *testing.T) {
	sim := reconcilertest.NewSim(t, marathonsim.Options{})
	dir := shopTree(t)
	writeSpec(t, dir, "services/blog.yaml", serviceGroup("blog", []string{"web"}, "      cpu: 1\n"))
	r := runCLI(t, reconcileArgs(sim, dir, "reconcile", "--prune")...)
	if r.code != exitError {
		t.Fatalf("exit %d, want 1\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "services/blog.yaml:") || !strings.Contains(r.stdout, `unknown field "cpu"`) {
		t.Errorf("the problem is not reported at its line:\n%s", r.stdout)
	}
	if reqs := sim.Rec.Requests(); len(reqs) != 0 {
		t.Errorf("an invalid tree reached Marathon: %v", reqs)
	}
}

func TestReconcileURLFailover(t *testing.T) {
	sim := reconcilertest.NewSim(t, marathonsim.Options{})
	dead := httptestDeadURL(t)
	dir := shopTree(t)
	args := []string{"reconcile", "--specs", dir, "--cluster", "t", "--marathon", dead + "," + sim.URL, "--retries", "0"}
	if r := runCLI(t, args...); r.code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if r := runCLI(t, append(args, "--dry-run", "--detailed-exitcode")...); r.code != exitOK {
		t.Fatalf("second plan not empty: exit %d\n%s", r.code, r.stdout)
	}
}

// httptestDeadURL is an address nothing listens on any more.
func httptestDeadURL(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	return srv.URL
}

func TestReconcilePruneAndGuard(t *testing.T) {
	sim := reconcilertest.NewSim(t, marathonsim.Options{})
	dir := shopTree(t)
	if r := runCLI(t, reconcileArgs(sim, dir, "reconcile")...); r.code != exitOK {
		t.Fatalf("first apply: exit %d\n%s", r.code, r.stderr)
	}
	if code, body := sim.Control(t, "PUT", "/v2/apps/services/legacy/cron", `{"cmd":"sleep 1000","instances":0}`); code >= 300 {
		t.Fatalf("unmanaged app: %d %s", code, body)
	}

	// blog loses its worker: without --prune it stays, with --prune it goes.
	writeSpec(t, dir, "services/blog.yaml", serviceGroup("blog", []string{"web", "cache"}, ""))
	sim.Rec.Reset()
	r := runCLI(t, reconcileArgs(sim, dir, "reconcile")...)
	if r.code != exitOK || len(sim.Rec.Writes()) != 0 {
		t.Fatalf("without --prune: exit %d, writes %v\n%s", r.code, sim.Rec.Writes(), r.stderr)
	}
	if !strings.Contains(r.stdout, "/services/blog/production/worker: not in git (pruning is off)") ||
		!strings.Contains(r.stdout, "/services/legacy/cron: unmanaged") {
		t.Errorf("plan does not list the orphan and the unmanaged app:\n%s", r.stdout)
	}
	// Git and Marathon disagree about the worker: not "No changes", and
	// --detailed-exitcode says so.
	r = runCLI(t, reconcileArgs(sim, dir, "diff", "--detailed-exitcode")...)
	if r.code != exitChanges || !strings.Contains(r.stdout, "Nothing to apply, but 1 app in Marathon is no longer in git (not deleted: pruning is off)") {
		t.Errorf("diff --detailed-exitcode with an orphan: exit %d, want %d with the orphan in the headline\n%s", r.code, exitChanges, r.stdout)
	}
	r = runCLI(t, reconcileArgs(sim, dir, "reconcile", "--prune", "--auto-approve")...)
	if r.code != exitOK {
		t.Fatalf("--prune: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if diff := cmp.Diff([]string{"DELETE /v2/apps/services/blog/production/worker?force=false"}, sim.Rec.Writes()); diff != "" {
		t.Errorf("--prune writes (-want +got):\n%s", diff)
	}

	// An emptied blog file would delete 2 of 4 managed apps: refused.
	writeSpec(t, dir, "services/blog.yaml", "# emptied\n")
	sim.Rec.Reset()
	for _, args := range [][]string{{"diff", "--prune", "--detailed-exitcode"}, {"reconcile", "--prune"}} {
		r = runCLI(t, reconcileArgs(sim, dir, args...)...)
		if r.code != exitError || !strings.Contains(r.stderr, "prune guard: refusing to delete 2 of 4 managed apps (more than 25%)") {
			t.Errorf("%v: exit %d, want 1 with the guard's error\nstdout:\n%s\nstderr:\n%s", args, r.code, r.stdout, r.stderr)
		}
	}
	if w := sim.Rec.Writes(); len(w) != 0 {
		t.Errorf("a refused pass wrote: %v", w)
	}
	r = runCLI(t, reconcileArgs(sim, dir, "reconcile", "--prune", "--auto-approve", "--max-delete-ratio", "0.5")...)
	if r.code != exitOK || len(sim.Rec.Writes()) != 2 {
		t.Errorf("--max-delete-ratio 0.5: exit %d, writes %v\n%s", r.code, sim.Rec.Writes(), r.stderr)
	}
}

func TestReconcileLockedAndForce(t *testing.T) {
	sim := reconcilertest.NewSim(t, marathonsim.Options{})
	dir := shopTree(t)
	if r := runCLI(t, reconcileArgs(sim, dir, "reconcile")...); r.code != exitOK {
		t.Fatalf("first apply: exit %d\n%s", r.code, r.stderr)
	}
	// Someone's deployment of blog/web hangs.
	sim.Control(t, "POST", "/sim/v1/faults", `{"stallDeployments":true}`)
	if code, body := sim.Control(t, "PUT", "/v2/apps/services/blog/production/web", `{"instances":3}`); code != 200 {
		t.Fatalf("blocking deployment: %d %s", code, body)
	}
	// git changes web too (extra YAML goes to the last app).
	writeSpec(t, dir, "services/blog.yaml", serviceGroup("blog", []string{"cache", "worker", "web"}, "      env: {MODE: fast}\n"))

	sim.Rec.Reset()
	r := runCLI(t, reconcileArgs(sim, dir, "reconcile", "--lock-wait", "10ms")...)
	if r.code != exitError || !strings.Contains(r.stderr, "update /services/blog/production/web: locked by deployment(s)") {
		t.Fatalf("locked: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if w := sim.Rec.Writes(); len(w) != 0 {
		t.Errorf("a locked app was written: %v", w)
	}

	// --force overrides the hanging deployment; the stall is lifted once
	// pacer's forced write is in.
	sim.Rec.After = func(req reconcilertest.Request) {
		if req.Method == http.MethodPut && strings.Contains(req.Query, "force=true") {
			sim.Control(t, "DELETE", "/sim/v1/faults", "")
		}
	}
	r = runCLI(t, reconcileArgs(sim, dir, "reconcile", "--force")...)
	if r.code != exitOK {
		t.Fatalf("--force: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if r := runCLI(t, reconcileArgs(sim, dir, "diff", "--detailed-exitcode")...); r.code != exitOK {
		t.Errorf("not converged after --force:\n%s", r.stdout)
	}
}

func TestReconcileInvalidAtSpecLine(t *testing.T) {
	sim := reconcilertest.NewSim(t, marathonsim.Options{})
	dir := specTree(t, map[string]string{
		"clusters.yaml": testCluster,
		// Every app Marathon refuses on its own is refused offline by
		// validate (specs TestBadSpecs); the id collision below is with an
		// app only the live Marathon has.
		"services/shop.yaml": serviceGroup("shop", []string{"db", "api"}, ""),
	})
	// An app and a group may not share an id: someone's app lives under db.
	if code, body := sim.Control(t, "PUT", "/v2/apps/services/shop/production/db/sidecar", `{"cmd":"sleep 1000","instances":0}`); code >= 300 {
		t.Fatalf("sidecar: %d %s", code, body)
	}
	r := runCLI(t, reconcileArgs(sim, dir, "reconcile")...)
	if r.code != exitError {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	for _, want := range []string{
		"services/shop.yaml:8:5: create app /services/shop/production/db: rejected by Marathon (Object is not valid): /: Groups and Applications may not have the same identifier.",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr does not contain\n%s\n--- stderr:\n%s", want, r.stderr)
		}
	}
}
