package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-logr/logr"
	"github.com/spf13/cobra"

	"pacer.dev/pacer/gitsource"
	"pacer.dev/pacer/internal/marathon"
	"pacer.dev/pacer/lb"
	"pacer.dev/pacer/marathonsim"
)

// devOptions are the flags of pacer dev.
type devOptions struct {
	listen, simListen string
	agentListen       string
	syncInterval      time.Duration
}

func newDevCmd(a *app) *cobra.Command {
	o := &devOptions{}
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run the whole loop on an embedded simulated Marathon",
		Long: `Start a simulated Marathon on a free loopback port, copy --specs into a
temporary git repository, and run the operator on it: it converges the
simulator from that repository, renders the nginx config to a file and prints
alerts to the console. A banner says where to look and how to cause drift.
Commit to the temporary repository and pacer applies it. Ctrl-C stops
everything and removes the temporary directory.`,
		Example: `  make demo
  pacer dev --specs examples/specs
  pacer dev --specs examples/specs --cluster fra --listen 127.0.0.1:9191`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDev(cmd.Context(), a, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.listen, "listen", "127.0.0.1:9090", "pacer's HTTP address (status, metrics)")
	f.StringVar(&o.simListen, "sim-listen", "127.0.0.1:0", "the simulated Marathon's address (a free port by default)")
	f.StringVar(&o.agentListen, "agent-listen", "127.0.0.1:0", "the simulated Mesos agent's address, for pacer logs (a free port by default)")
	f.DurationVar(&o.syncInterval, "sync-interval", 5*time.Second, "period of git fetches and full passes")
	return cmd
}

func runDev(ctx context.Context, a *app, o *devOptions) error {
	if a.opts.cluster == "" {
		a.opts.cluster = "ams"
	}
	log := a.log
	ctx = logr.NewContext(ctx, log)
	tmp, err := os.MkdirTemp("", "pacer-dev-")
	if err != nil {
		return fmt.Errorf("dev: %w", err)
	}
	defer os.RemoveAll(tmp)
	repo := filepath.Join(tmp, "repo")
	if err := initSpecsRepo(a.opts.specs, repo); err != nil {
		return fmt.Errorf("dev: %w", err)
	}
	sim, simURL, stopSim, err := startDevSim(o.simListen)
	if err != nil {
		return fmt.Errorf("dev: %w", err)
	}
	defer stopSim()
	defer sim.Close()
	agentPort, stopAgent, err := startDevAgent(sim, o.agentListen)
	if err != nil {
		return fmt.Errorf("dev: %w", err)
	}
	defer stopAgent()
	lbc := lb.DefaultConfig()
	lbc.Out, lbc.ValidateCmd = filepath.Join(tmp, "nginx.conf"), "none"
	ro := &runOptions{
		gitURL: repo, gitBranch: gitsource.DefaultBranch, gitPath: "specs", gitCacheDir: filepath.Join(tmp, "cache"),
		syncInterval: o.syncInterval, listen: o.listen, shutdownTimeout: 10 * time.Second, retries: 1,
		lb: runLBOptions{Config: lbc},
	}
	src, _, trigger, err := ro.source(a, log)
	if err != nil {
		return err
	}
	client, err := marathon.New(marathon.Options{URLs: []string{simURL}, UserAgent: "pacer-dev", Retry: marathon.Retry{Attempts: 2}})
	if err != nil {
		return fmt.Errorf("dev: %w", err)
	}
	return runOperator(ctx, a, ro, operatorDeps{
		source: src, trigger: trigger, client: client, logAlertsOnly: true,
		onListen: func(addr string) {
			printDevBanner(a.stdout, addr, simURL, repo, ro.lb.Out, tmp)
			printDevLogsHint(a.stdout, a.opts.specs, a.opts.cluster, simURL, agentPort)
		},
	})
}

func printDevBanner(w io.Writer, addr, simURL, repo, lbOut, tmp string) {
	base := "http://" + addr
	fmt.Fprintf(w, `
pacer dev: the whole loop on a simulated Marathon
  page:        %[1]s/  (the status page, in a browser)
  status:      %[1]s/api/v1/status
  checks:      %[1]s/api/v1/checks  (custom checks: pacer check list --specs ...)
  metrics:     %[1]s/metrics
  Marathon:    %[2]s  (simulated, v2 API)
  specs repo:  %[3]s  (commit under specs/ and pacer applies it)
  LB config:   %[4]s
  cause drift: curl -X PUT '%[2]s/v2/apps/services/autofill/production/checks?force=true' -H 'Content-Type: application/json' -d '{"instances":3}'
  watch heal:  curl -s %[1]s/api/v1/status | jq '.apps[] | select(.id=="/services/autofill/production/checks") | {sync, health, instances, lastSyncTime}'
Ctrl-C stops everything and removes %[5]s
`, base, simURL, repo, lbOut, tmp)
}

// startDevSim serves a marathonsim on addr and returns its URL.
func startDevSim(addr string) (*marathonsim.Server, string, func(), error) {
	sim, err := marathonsim.New(marathonsim.Options{Executor: "process"})
	if err != nil {
		return nil, "", nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		sim.Close()
		return nil, "", nil, fmt.Errorf("--sim-listen: %w", err)
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			_ = srv.Close() // event streams stay open until closed
		}
	}
	return sim, "http://" + ln.Addr().String(), stop, nil
}

// initSpecsRepo copies the spec tree under repo/specs and commits it on main.
func initSpecsRepo(specsDir, repo string) error {
	if st, err := os.Stat(specsDir); err != nil || !st.IsDir() {
		return fmt.Errorf("--specs %s: not a directory", specsDir)
	}
	if err := copyTree(specsDir, filepath.Join(repo, "specs")); err != nil {
		return err
	}
	r, err := git.PlainInitWithOptions(repo, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName(gitsource.DefaultBranch)},
	})
	if err != nil {
		return fmt.Errorf("init specs repo: %w", err)
	}
	wt, err := r.Worktree()
	if err != nil {
		return fmt.Errorf("init specs repo: %w", err)
	}
	if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		return fmt.Errorf("add specs: %w", err)
	}
	sig := &object.Signature{Name: "pacer dev", Email: "dev@pacer.dev", When: time.Now()}
	if _, err := wt.Commit("specs from "+specsDir, &git.CommitOptions{Author: sig, Committer: sig}); err != nil {
		return fmt.Errorf("commit specs: %w", err)
	}
	return nil
}

func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case !d.Type().IsRegular():
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}
