package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"pacer.dev/pacer/reconciler"
)

// input is the command's stdin, and whether it is a terminal a person can
// answer a question on.
type input struct {
	r   io.Reader
	tty bool
}

// confirmDeletes asks before an apply that deletes apps, as terraform apply
// does: the plan is already printed; only "yes" goes on. Without a terminal
// on stdin (CI) such an apply is refused unless --auto-approve is given. A
// plan that deletes nothing is applied without a question.
func confirmDeletes(ctx context.Context, a *app, plan *reconciler.Plan, autoApprove bool) error {
	if plan.Summary.Delete == 0 || autoApprove {
		return nil
	}
	var ids []string
	for _, ap := range plan.Apps {
		if ap.Action == reconciler.ActionDelete {
			ids = append(ids, ap.ID)
		}
	}
	what := fmt.Sprintf("%d app(s) from Marathon: %s", len(ids), strings.Join(ids, ", "))
	if !a.in.tty || a.in.r == nil {
		return fmt.Errorf("the plan deletes %s; stdin is not a terminal to confirm that, so nothing was applied: run again with --auto-approve to apply without asking (as in CI)", what)
	}
	fmt.Fprintf(a.stderr, "\nDo you want to apply this plan? It deletes %s.\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ", what)
	answer := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(a.in.r).ReadString('\n')
		answer <- strings.TrimSpace(line)
	}()
	select {
	case <-ctx.Done():
		fmt.Fprintln(a.stderr)
		return fmt.Errorf("apply cancelled: nothing was applied: %w", ctx.Err())
	case got := <-answer:
		if got != "yes" {
			return fmt.Errorf("apply cancelled (answer %q, not \"yes\"): nothing was applied", got)
		}
	}
	fmt.Fprintln(a.stderr)
	return nil
}
