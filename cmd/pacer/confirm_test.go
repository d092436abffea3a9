package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"pacer.dev/pacer/marathonsim"
	"pacer.dev/pacer/reconciler/reconcilertest"
)

// TestReconcileConfirmsDeletes: an apply that deletes asks on a terminal
// (only "yes" goes on), is refused without one unless --auto-approve, and
// an apply that deletes nothing never asks.
func TestReconcileConfirmsDeletes(t *testing.T) {
	const worker = "DELETE /v2/apps/services/blog/production/worker?force=false"
	const prompt = "Do you want to apply this plan? It deletes 1 app(s) from Marathon: /services/blog/production/worker.\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: "
	for _, tc := range []struct {
		name       string
		in         input
		extra      []string
		wantCode   int
		wantStderr []string
		wantWrites []string
	}{
		{"terminal, yes", input{r: strings.NewReader("yes\n"), tty: true}, nil, exitOK, []string{prompt, "converged"}, []string{worker}},
		{"terminal, no", input{r: strings.NewReader("no\n"), tty: true}, nil, exitError, []string{prompt, `error: apply cancelled (answer "no", not "yes"): nothing was applied`}, nil},
		{"terminal, y is not yes", input{r: strings.NewReader("y\n"), tty: true}, nil, exitError, []string{`apply cancelled (answer "y", not "yes")`}, nil},
		{"terminal, end of input", input{r: strings.NewReader(""), tty: true}, nil, exitError, []string{`apply cancelled (answer "", not "yes")`}, nil},
		{"no terminal", input{r: strings.NewReader("yes\n")}, nil, exitError, []string{
			"error: the plan deletes 1 app(s) from Marathon: /services/blog/production/worker; stdin is not a terminal to confirm that, so nothing was applied: run again with --auto-approve"}, nil},
		{"no terminal, --auto-approve", input{}, []string{"--auto-approve"}, exitOK, []string{"converged"}, []string{worker}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim := reconcilertest.NewSim(t, marathonsim.Options{})
			dir := shopTree(t)
			if r := runCLI(t, reconcileArgs(sim, dir, "reconcile", "--prune")...); r.code != exitOK {
				t.Fatalf("first apply (creates only, no question): exit %d\n%s", r.code, r.stderr)
			}
			writeSpec(t, dir, "services/blog.yaml", serviceGroup("blog", []string{"web", "cache"}, ""))
			sim.Rec.Reset()
			var out, errOut bytes.Buffer
			code := runIO(t.Context(), reconcileArgs(sim, dir, append([]string{"reconcile", "--prune"}, tc.extra...)...), tc.in, &out, &errOut)
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.wantCode, out.String(), errOut.String())
			}
			if !strings.Contains(out.String(), "- delete /services/blog/production/worker") {
				t.Errorf("the plan is not printed before the question:\n%s", out.String())
			}
			for _, want := range tc.wantStderr {
				if !strings.Contains(errOut.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, errOut.String())
				}
			}
			if d := cmp.Diff(tc.wantWrites, sim.Rec.Writes()); d != "" {
				t.Errorf("writes (-want +got):\n%s", d)
			}
		})
	}
}

// TestReconcileDeleteDryRunNeverAsks: a dry run with deletes prints the
// plan and reads nothing.
func TestReconcileDeleteDryRunNeverAsks(t *testing.T) {
	sim := reconcilertest.NewSim(t, marathonsim.Options{})
	dir := shopTree(t)
	if r := runCLI(t, reconcileArgs(sim, dir, "reconcile")...); r.code != exitOK {
		t.Fatalf("first apply: exit %d\n%s", r.code, r.stderr)
	}
	writeSpec(t, dir, "services/blog.yaml", serviceGroup("blog", []string{"web", "cache"}, ""))
	var out, errOut bytes.Buffer
	code := runIO(t.Context(), reconcileArgs(sim, dir, "reconcile", "--dry-run", "--prune"), input{r: strings.NewReader("no\n"), tty: true}, &out, &errOut)
	if code != exitOK || strings.Contains(errOut.String(), "Enter a value") {
		t.Errorf("dry run: exit %d, stderr:\n%s", code, errOut.String())
	}
}
