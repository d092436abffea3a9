package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"pacer.dev/pacer/marathonsim"
	"pacer.dev/pacer/reconciler/reconcilertest"
)

// TestReconcileApp: --app plans and applies only the selected apps; a
// managed app git no longer has is deleted only when it is selected.
func TestReconcileApp(t *testing.T) {
	sim := reconcilertest.NewSim(t, marathonsim.Options{})
	dir := shopTree(t)
	if r := runCLI(t, reconcileArgs(sim, dir, "reconcile")...); r.code != exitOK {
		t.Fatalf("first apply: exit %d\n%s", r.code, r.stderr)
	}
	// git drops blog's worker and changes shop's api and blog's web.
	writeSpec(t, dir, "services/blog.yaml", serviceGroup("blog", []string{"cache", "web"}, "      env: {MODE: fast}\n"))
	writeSpec(t, dir, "services/shop.yaml", serviceGroup("shop", []string{"db", "api"}, "      dependencies: [db]\n      env: {MODE: fast}\n"))

	r := runCLI(t, reconcileArgs(sim, dir, "diff", "--prune", "--app", "api", "--app", "/services/blog/production/web")...)
	if r.code != exitOK {
		t.Fatalf("diff --app: exit %d\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"~ update /services/shop/production/api", "~ update /services/blog/production/web", "Plan: 0 to create, 2 to update, 0 to scale, 0 to delete; 0 unchanged, 0 skipped."} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("diff --app lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "worker") || strings.Contains(r.stdout, "/services/shop/production/db") {
		t.Errorf("diff --app lists apps outside the selection:\n%s", r.stdout)
	}

	// Applying one app with --prune writes that app only: the worker
	// (deleted by a full --prune pass) stays.
	sim.Rec.Reset()
	r = runCLI(t, reconcileArgs(sim, dir, "reconcile", "--prune", "--app", "api")...)
	if r.code != exitOK {
		t.Fatalf("reconcile --app api: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if d := cmp.Diff([]string{"PUT /v2/apps/services/shop/production/api?partialUpdate=false"}, sim.Rec.Writes()); d != "" {
		t.Errorf("reconcile --app api writes (-want +got):\n%s", d)
	}

	// Selecting the orphan deletes it, and only it.
	sim.Rec.Reset()
	r = runCLI(t, reconcileArgs(sim, dir, "reconcile", "--prune", "--auto-approve", "--app", "worker")...)
	if r.code != exitOK {
		t.Fatalf("reconcile --app worker: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if d := cmp.Diff([]string{"DELETE /v2/apps/services/blog/production/worker?force=false"}, sim.Rec.Writes()); d != "" {
		t.Errorf("reconcile --app worker writes (-want +got):\n%s", d)
	}
	// web was never selected for an apply: still pending.
	r = runCLI(t, reconcileArgs(sim, dir, "diff", "--prune", "--detailed-exitcode")...)
	if r.code != exitChanges || !strings.Contains(r.stdout, "Plan: 0 to create, 1 to update, 0 to scale, 0 to delete; 3 unchanged, 0 skipped.") {
		t.Errorf("full diff after the selected applies: exit %d\n%s", r.code, r.stdout)
	}
}

func TestReconcileAppErrors(t *testing.T) {
	sim := reconcilertest.NewSim(t, marathonsim.Options{})
	dir := specTree(t, map[string]string{
		"clusters.yaml":      testCluster,
		"services/shop.yaml": serviceGroup("shop", []string{"db", "web"}, ""),
		"services/blog.yaml": serviceGroup("blog", []string{"web", "cache"}, ""),
	})
	for _, tc := range []struct {
		name string
		app  string
		want string
	}{
		{"typo, relative", "cahce", `--app "cahce": no such app in the specs for this cluster or in Marathon; did you mean /services/blog/production/cache?`},
		{"typo, absolute", "/services/shop/production/wbe", "did you mean /services/shop/production/web, /services/blog/production/web?"},
		{"wrong group", "/services/shop/production/cache", "did you mean /services/blog/production/cache?"},
		{"nothing close", "zzzzzzzzzz", `--app "zzzzzzzzzz": no such app in the specs for this cluster or in Marathon (ids starting with / are absolute`},
		{"ambiguous", "web", `--app "web": matches 2 apps, give the absolute id (or --environment): /services/blog/production/web, /services/shop/production/web`},
		{"empty", "/", `--app "/": empty app id`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim.Rec.Reset()
			r := runCLI(t, reconcileArgs(sim, dir, "reconcile", "--app", tc.app)...)
			if r.code != exitError || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, want 1 with %q\nstdout:\n%s\nstderr:\n%s", r.code, tc.want, r.stdout, r.stderr)
			}
			if w := sim.Rec.Writes(); len(w) != 0 {
				t.Errorf("wrote %v", w)
			}
		})
	}
}
