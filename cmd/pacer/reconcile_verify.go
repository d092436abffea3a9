package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"pacer.dev/pacer/reconciler"
)

// errNotConverged: the apply went through, but Marathon still differs from
// git: the next apply would write the same changes again.
var errNotConverged = errors.New("not converged")

// verifyConverged plans once more after an apply and fails, naming every
// change that did not go away, when the plan is not empty: `pacer
// reconcile` must not say "converged" about an app the next run would
// write again (issue 12).
func verifyConverged(ctx context.Context, a *app, o *reconcileOptions) error {
	cp, err := planCluster(ctx, a, o)
	if err != nil {
		return fmt.Errorf("verify the apply: %w", err)
	}
	if !cp.plan.HasChanges() {
		return nil
	}
	var b strings.Builder
	for _, ap := range cp.plan.Apps {
		switch ap.Action {
		case reconciler.ActionUnchanged, reconciler.ActionSkip:
			continue
		}
		fmt.Fprintf(&b, "\n  %s %s", ap.Action, ap.ID)
		for _, c := range ap.Changes {
			b.WriteString("\n      " + c.String())
		}
	}
	return fmt.Errorf("%w: Marathon still differs from git after the apply; the next run would write these again (a gap in pacer's normalization of what Marathon writes back, or another client writing the apps):%s",
		errNotConverged, b.String())
}
