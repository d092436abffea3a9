package checks

import (
	"context"
	"fmt"
	"time"

	"pacer.dev/pacer/internal/marathon"
	"pacer.dev/pacer/specs"
)

// AppGetter returns the live app with the given id, with its tasks.
type AppGetter func(ctx context.Context, id string) (marathon.App, error)

// Runner runs a check of any kind where it stands: exec checks as local
// commands (pacer agent, pacer check run), probes against the live tasks
// App returns, prometheus queries against their URL.
type Runner struct {
	Prober  *Prober
	Querier *Querier
	App     AppGetter
	Now     func() time.Time
}

// Run runs c once.
func (r *Runner) Run(ctx context.Context, c *specs.Check) Result {
	switch {
	case c.Exec != nil:
		return Command(ctx, c.Exec.Command, c.Exec.Timeout, r.Now)
	case c.Query != nil:
		return r.Querier.Query(ctx, c)
	case c.Probe != nil && c.Probe.URL != "":
		return r.Prober.Probe(ctx, c, marathon.App{})
	case c.Probe != nil:
		start := r.Now()
		app, err := r.App(ctx, c.Probe.App)
		if err != nil {
			return Result{State: Unknown, Summary: fmt.Sprintf("read app %s: %v", c.Probe.App, err), Started: start, Duration: r.Now().Sub(start),
				Skipped: true}
		}
		return r.Prober.Probe(ctx, c, app)
	}
	return Result{State: Unknown, Summary: "check " + c.ID + " has no kind", Started: r.Now()}
}
