package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"

	"pacer.dev/pacer/checks"
	"pacer.dev/pacer/internal/httpserve"
	"pacer.dev/pacer/specs"
)

// agentOptions are the flags of pacer agent.
type agentOptions struct {
	listen    string
	tokenFile string
}

func newAgentCmd(a *app) *cobra.Command {
	o := &agentOptions{}
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Run the exec checks of this app on their schedule and serve the results",
		Long: `pacer agent is the command of the app that runs a ServiceGroup's exec checks
(typically its checks app). It reads the checks from ` + specs.EnvAgentChecks + ` and their hash from
` + specs.EnvAgentChecksHash + ` (pacer renders both into the app, so a change of checks is an
ordinary deployment shown in the plan), runs each on its interval under the
Nagios plugin contract, and serves the results read-only at ` + checks.ResultsPath + ` to holders
of the bearer token (PACER_AGENT_TOKEN or --token-file). It never accepts a
check definition over the network.`,
		Example: `  # in the checks app's definition: cmd: pacer agent (port: PORT0)
  PACER_AGENT_TOKEN=... pacer agent --listen :$PORT0`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runAgent(cmd.Context(), a, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.listen, "listen", envOr("PACER_AGENT_LISTEN", ":"+envOr("PORT0", "8080")), "address to serve results on (env PACER_AGENT_LISTEN; default :$PORT0, Marathon's first port)")
	f.StringVar(&o.tokenFile, "token-file", os.Getenv("PACER_AGENT_TOKEN_FILE"), "file holding the bearer token (env PACER_AGENT_TOKEN_FILE); else env PACER_AGENT_TOKEN")
	return cmd
}

// agentToken reads the bearer token from the file, else PACER_AGENT_TOKEN.
func agentToken(file string) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("agent token: %w", err)
		}
		if t := strings.TrimSpace(string(b)); t != "" {
			return t, nil
		}
		return "", fmt.Errorf("agent token: %s is empty", file)
	}
	if t := os.Getenv("PACER_AGENT_TOKEN"); t != "" {
		return t, nil
	}
	return "", errors.New("agent token: set PACER_AGENT_TOKEN or --token-file; the results are only served with a token")
}

func runAgent(ctx context.Context, a *app, o *agentOptions) error {
	log := a.log.WithName("agent")
	ctx, stop := context.WithCancel(logr.NewContext(ctx, log))
	defer stop()
	hash := os.Getenv(specs.EnvAgentChecksHash)
	list, err := checks.AgentChecks(os.Getenv(specs.EnvAgentChecks), hash)
	if err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	token, err := agentToken(o.tokenFile)
	if err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("agent: --listen: %w", err)
	}
	task := os.Getenv("MESOS_TASK_ID")
	store := checks.NewStore()
	srv, ln := httpserve.New(&checks.AgentHandler{Store: store, Hash: hash, Task: task, Token: token}, ln, httpserve.Options{})
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("Agent running checks", "checks", len(list), "hash", hash, "addr", ln.Addr().String())
	sched := &checks.Scheduler{Run: checks.ExecRunner(time.Now), Store: store, Task: task, Now: time.Now}
	loopDone := make(chan struct{})
	go func() { sched.Loop(ctx, list); close(loopDone) }()
	select {
	case <-ctx.Done():
	case err = <-served:
	}
	stop()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	<-loopDone
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("agent: serve: %w", err)
	}
	return nil
}
