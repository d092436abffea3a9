package main

import (
	"context"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"pacer.dev/pacer/checks"
	"pacer.dev/pacer/internal/marathon"
	"pacer.dev/pacer/operator"
	"pacer.dev/pacer/paging"
	"pacer.dev/pacer/specs"
)

// runChecksOptions are run's flags for the custom checks.
type runChecksOptions struct {
	agentTokenFile  string
	collectInterval time.Duration
}

func addRunChecksFlags(cmd *cobra.Command, o *runChecksOptions) {
	f := cmd.Flags()
	f.StringVar(&o.agentTokenFile, "checks-agent-token-file", os.Getenv("PACER_AGENT_TOKEN_FILE"), "file holding the bearer token of the pacer agents (env PACER_AGENT_TOKEN_FILE); else env PACER_AGENT_TOKEN")
	f.DurationVar(&o.collectInterval, "checks-collect-interval", checks.DefaultCollectInterval, "how often the leader reads the task list for the http/tcp checks and the agents' results")
}

// newChecksService builds the leader's checks service on client; its
// metrics go to reg; onChange is told of each check state change. Without
// an agent token the exec checks' agents are asked without one (and
// refuse): they show as stale.
func newChecksService(o runChecksOptions, client *marathon.Client, reg prometheus.Registerer, log logr.Logger, onChange func()) (*checks.Service, error) {
	token, err := agentToken(o.agentTokenFile)
	if err != nil {
		log.Info("No pacer agent token; exec checks cannot be collected", "reason", err.Error())
	}
	metrics, err := checks.NewMetrics(reg)
	if err != nil {
		return nil, err
	}
	return checks.NewService(checks.ServiceOptions{
		Prober:          newProber(false),
		Querier:         &checks.Querier{HTTP: &http.Client{}, Now: time.Now},
		Collector:       &checks.Collector{HTTP: &http.Client{}, Token: strings.TrimSpace(token)},
		Live:            client.ListApps,
		Metrics:         metrics,
		CollectInterval: o.collectInterval,
		Now:             time.Now,
		OnChange:        onChange,
	}), nil
}

// checksSource hands the checks of each new good revision (rendered for
// the cluster) to the checks service, and the revision to the operator.
type checksSource struct {
	next                 operator.Source
	cluster, environment string
	svc                  *checks.Service
	last                 string
}

func (s *checksSource) Sync(ctx context.Context) (operator.Revision, error) {
	rev, err := s.next.Sync(ctx)
	if err != nil || rev.FS == nil || rev.ID == s.last {
		return rev, err
	}
	set, _ := specs.Load(rev.FS) // an invalid tree fails Checks below
	if set == nil {
		return rev, nil
	}
	list, cerr := set.Checks(s.cluster, s.environment)
	if cerr != nil {
		return rev, nil // the operator reports the revision; the last good checks stay
	}
	s.svc.SetChecks(list)
	s.last = rev.ID
	return rev, nil
}

// watchChecks hands the alerter the checks' latest state.
func watchChecks(al *paging.Alerter, svc *checks.Service) {
	al.WatchChecks(func() paging.CheckStatus {
		states, stale := svc.Snapshot()
		return paging.CheckStatus{States: checks.Records(states), Stale: stale}
	})
}

// runChecksWhileLeading runs the service for the leader's term lctx; the
// returned func waits for it to stop.
func runChecksWhileLeading(lctx context.Context, svc *checks.Service, log logr.Logger) (wait func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = svc.Run(logr.NewContext(lctx, log))
	}()
	return func() { <-done }
}
