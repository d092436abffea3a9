package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"

	"pacer.dev/pacer/checks"
	"pacer.dev/pacer/election"
	"pacer.dev/pacer/gitsource"
	"pacer.dev/pacer/internal/httpserve"
	"pacer.dev/pacer/internal/marathon"
	"pacer.dev/pacer/lb"
	"pacer.dev/pacer/operator"
	"pacer.dev/pacer/specs"
	"pacer.dev/pacer/statuspage"
)

// runOptions are the flags of pacer run.
type runOptions struct {
	gitURL, gitBranch, gitPath, gitCacheDir, gitTokenFile string
	syncInterval                                          time.Duration
	zk, zkPath                                            string
	zkSessionTimeout                                      time.Duration
	listen                                                string
	dryRun                                                bool
	shutdownTimeout                                       time.Duration
	supersedeAfter                                        time.Duration
	maxDeleteRatio                                        float64
	maxWritesPerRevision                                  int
	retries                                               int
	lb                                                    runLBOptions
	pagerDutyEndpoint, pagerDutyKeyFile                   string
	alerting                                              runAlertingOptions
	http                                                  httpserve.Options
	eventIdleTimeout                                      time.Duration
	checks                                                runChecksOptions
	uiAuthFile                                            string
}

func newRunCmd(a *app) *cobra.Command {
	o := &runOptions{}
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the operator: git source, reconcile loop, events, LB, alerting, HTTP endpoints",
		Long: `Keep one Marathon cluster converged on the specs, continuously.

The specs come from a git branch (--git-url, --git-branch, --git-path; fetched
every --sync-interval and on a GitLab push webhook at POST /hooks/gitlab, whose
secret is PACER_GITLAB_TOKEN) or from a local directory (--specs). A pass runs
on a new revision, on the interval and soon after Marathon events that touch
managed apps, so an out-of-band change is healed within seconds. Environments
with sync policy automated are applied (drift healed), manual ones only
reported; --dry-run makes the whole operator read-only. A revision that fails
validation applies nothing: the last good one stays in force and is reported.

With --zk, instances elect a leader through ZooKeeper and only the leader
writes; a leader that loses its session stops writing at once.

HTTP on --listen: /healthz, /readyz (after the first sync), /metrics
(Prometheus), /api/v1/status (JSON per app), /api/v1/checks (custom checks),
POST /hooks/gitlab, and the read-only status page at / (/apps/<id>,
/revision, live updates on /events; --ui-auth-file guards it).

SIGTERM/SIGINT: stop taking work, let an in-flight apply finish (or report it
interrupted) and exit within --shutdown-timeout. SIGHUP: sync the specs now.`,
		Example: `  # in the cluster (see deploy/pacer.marathon.json)
  PACER_GITLAB_TOKEN=... pacer run --git-url https://gitlab.example/platform/specs.git \
    --git-path specs --cluster ams --zk zk-1:2181,zk-2:2181,zk-3:2181 --zk-path /pacer/ams
  # on a laptop, read-only against a real cluster
  pacer run --specs specs --cluster ams --marathon http://marathon-1.ams:8080 --dry-run --log-format console`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := jsonLogsByDefault(cmd, a); err != nil {
				return err
			}
			return runRun(cmd.Context(), a, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.gitURL, "git-url", os.Getenv("PACER_GIT_URL"), "specs repository (https, ssh, file or a path); without it --specs is read (env PACER_GIT_URL)")
	f.StringVar(&o.gitBranch, "git-branch", envOr("PACER_GIT_BRANCH", gitsource.DefaultBranch), "branch to follow (env PACER_GIT_BRANCH)")
	f.StringVar(&o.gitPath, "git-path", envOr("PACER_GIT_PATH", "specs"), "specs root inside the repository (env PACER_GIT_PATH)")
	f.StringVar(&o.gitCacheDir, "git-cache-dir", envOr("PACER_GIT_CACHE_DIR", filepath.Join(os.TempDir(), "pacer-git")), "where the clone is kept across restarts")
	f.StringVar(&o.gitTokenFile, "git-token-file", "", "file holding the git HTTP token (else env "+gitsource.EnvGitToken+")")
	f.DurationVar(&o.syncInterval, "sync-interval", time.Minute, "period of git fetches and full passes")
	f.StringVar(&o.zk, "zk", os.Getenv("PACER_ZK"), "ZooKeeper servers host:port,... for leader election; none: this instance always leads (env PACER_ZK)")
	f.StringVar(&o.zkPath, "zk-path", os.Getenv("PACER_ZK_PATH"), "election znode, /pacer/<cluster> when empty (env PACER_ZK_PATH)")
	f.DurationVar(&o.zkSessionTimeout, "zk-session-timeout", election.DefaultSessionTimeout, "ZooKeeper session timeout")
	f.StringVar(&o.listen, "listen", envOr("PACER_LISTEN", ":9090"), "HTTP address for health, metrics, status and the webhook (env PACER_LISTEN)")
	f.BoolVar(&o.dryRun, "dry-run", false, "read-only: plan and report, never write to Marathon")
	f.DurationVar(&o.supersedeAfter, "supersede-after", 10*time.Minute, "a new revision replaces (force=true) a deployment of an older revision that locks its app alone and has run this long, instead of waiting for it forever; 0: always wait")
	f.DurationVar(&o.http.IdleTimeout, "http-idle-timeout", httpserve.DefaultIdleTimeout, "close a keep-alive HTTP connection idle this long")
	f.IntVar(&o.http.MaxConns, "http-max-conns", httpserve.DefaultMaxConns, "serve at most this many HTTP connections at once; more wait for a free slot")
	f.DurationVar(&o.shutdownTimeout, "shutdown-timeout", 30*time.Second, "on SIGTERM, exit within this; an in-flight apply gets half of it")
	f.Float64Var(&o.maxDeleteRatio, "max-delete-ratio", 0, "refuse a pass deleting more than this share of managed apps (0: reconciler default, 1 disables)")
	f.IntVar(&o.maxWritesPerRevision, "max-writes-per-revision", operator.DefaultMaxWritesPerRevision, "loop breaker: an app written this many times in a row for the same definition in git without its diff shrinking is no longer written (until git changes it) and pages SyncFailed (at least 1)")
	f.DurationVar(&o.eventIdleTimeout, "marathon-event-idle-timeout", 5*time.Minute, "reconnect the Marathon event stream after this long without a byte from it (a silent stream behind a proxy that lost the connection)")
	f.IntVar(&o.retries, "retries", 2, "retry a Marathon request that no URL answered this many times")
	addRunLBFlags(cmd, &o.lb)
	f.StringVar(&o.pagerDutyEndpoint, "pagerduty-endpoint", envOr("PACER_PAGERDUTY_ENDPOINT", ""), "PagerDuty Events API v2 base URL (default PagerDuty's)")
	f.StringVar(&o.pagerDutyKeyFile, "pagerduty-routing-key-file", os.Getenv("PACER_PAGERDUTY_ROUTING_KEY_FILE"), "file holding the default PagerDuty routing key; without any key alerts are only logged")
	addRunAlertingFlags(cmd, &o.alerting)
	addRunChecksFlags(cmd, &o.checks)
	f.StringVar(&o.uiAuthFile, "ui-auth-file", os.Getenv("PACER_UI_AUTH_FILE"), `guard the status page with the one line of this file: "bearer TOKEN" or "basic USER:PASSWORD" (env PACER_UI_AUTH_FILE)`)
	return cmd
}

// jsonLogsByDefault switches run's logs to JSON unless --log-format or
// PACER_LOG_FORMAT chose a format.
func jsonLogsByDefault(cmd *cobra.Command, a *app) error {
	if cmd.Flags().Changed("log-format") || os.Getenv("PACER_LOG_FORMAT") != "" {
		return nil
	}
	log, err := newLogger("json", a.opts.logLevel, a.stderr)
	if err != nil {
		return err
	}
	a.log = log
	return nil
}

func runRun(ctx context.Context, a *app, o *runOptions) error {
	if a.opts.cluster == "" {
		return errors.New("run: --cluster is required (or PACER_CLUSTER)")
	}
	if o.supersedeAfter < 0 {
		return fmt.Errorf("run: --supersede-after %v must not be negative (0: always wait)", o.supersedeAfter)
	}
	if o.maxWritesPerRevision < 1 {
		return fmt.Errorf("run: --max-writes-per-revision %d must be at least 1", o.maxWritesPerRevision)
	}
	log := a.log
	ctx = logr.NewContext(ctx, log)
	src, hook, trigger, err := o.source(a, log)
	if err != nil {
		return err
	}
	// The Cluster spec is read once at startup: its Marathon URLs (when
	// --marathon is not given), access settings and identity expectations.
	spec, specErr := clusterSpec(ctx, src, a.opts.cluster)
	urls := splitURLs(a.opts.marathon)
	var cluster *specs.Cluster
	if specErr == nil {
		cluster = spec
	}
	if len(urls) == 0 {
		if specErr != nil || len(spec.MarathonURLs) == 0 {
			return fmt.Errorf("run: no --marathon, and no Marathon URLs for cluster %s: %w", a.opts.cluster, cmp.Or(specErr, errors.New("the Cluster spec lists none")))
		}
		urls = spec.MarathonURLs
	}
	client, err := a.newClient(clientSpec{urls: urls, cluster: cluster, agent: "pacer", retries: o.retries})
	if err != nil {
		return fmt.Errorf("run: marathon client: %w", err)
	}
	ids, closeIDs, err := newIdentityStore(o, a.opts.cluster, log)
	if err != nil {
		return err
	}
	err = checkRunIdentity(ctx, client, a.opts.cluster, spec, ids)
	closeIDs()
	if err != nil {
		return err
	}
	return runOperator(ctx, a, o, operatorDeps{source: src, webhook: hook, trigger: trigger, client: client})
}

// source builds the git source (with its webhook, when PACER_GITLAB_TOKEN
// is set) or the directory source.
func (o *runOptions) source(a *app, log logr.Logger) (operator.Source, http.Handler, *gitsource.Trigger, error) {
	trigger := gitsource.NewTrigger()
	if o.gitURL == "" {
		return operator.DirSource{Dir: a.opts.specs}, nil, trigger, nil
	}
	token, err := gitsource.LoadToken(os.Getenv, o.gitTokenFile)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("run: %w", err)
	}
	s, err := gitsource.New(gitsource.Options{URL: o.gitURL, Branch: o.gitBranch, Path: o.gitPath, CacheDir: o.gitCacheDir, Auth: gitsource.Auth{Token: token}})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("run: git source: %w", err)
	}
	whToken, err := gitsource.LoadWebhookToken(os.Getenv)
	if err != nil {
		log.Info("GitLab webhook disabled: no secret", "reason", err.Error())
		return gitSource{s: s, trigger: trigger}, nil, trigger, nil
	}
	hook, err := gitsource.NewWebhook(gitsource.WebhookOptions{Token: whToken, Branch: o.gitBranch, Trigger: trigger})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("run: webhook: %w", err)
	}
	return gitSource{s: s, trigger: trigger}, hook, trigger, nil
}

// operatorDeps are what run and dev resolve differently.
type operatorDeps struct {
	source   operator.Source
	webhook  http.Handler
	trigger  *gitsource.Trigger
	client   *marathon.Client
	onListen func(addr string) // after the HTTP listener is bound
	// logAlertsOnly prints incidents instead of paging (pacer dev).
	logAlertsOnly bool
}

// runOperator runs the operator, the election, the HTTP server, the LB
// pipeline and alert delivery until ctx is done, then shuts them down within
// o.shutdownTimeout.
func runOperator(ctx context.Context, a *app, o *runOptions, d operatorDeps) error {
	log := logr.FromContextOrDiscard(ctx)
	ctx, stopWork := context.WithCancel(ctx)
	defer stopWork()
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("run: --listen: %w", err)
	}
	defer ln.Close()
	elector, err := newElector(o, a.opts.cluster, ln.Addr().String())
	if err != nil {
		return err
	}
	metrics := operator.NewMetrics()
	leader := operator.NewLeadership()
	alerts, err := newAlerter(o, a.opts.cluster, d.client.URL(), d.logAlertsOnly, elector, log.WithName("alerting"))
	if err != nil {
		return err
	}
	var page *statuspage.Page // set below, before the checks run (they run while leading)
	checksSvc, err := newChecksService(o.checks, d.client, metrics.Registry, log.WithName("checks"), func() { page.Changed() })
	if err != nil {
		return fmt.Errorf("run: checks: %w", err)
	}
	watchChecks(alerts, checksSvc)
	d.source = &checksSource{next: d.source, cluster: a.opts.cluster, environment: a.opts.environment, svc: checksSvc}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go forwardHUP(ctx, hup, d.trigger)
	// One Marathon event stream for the operator and the LB (watch.Hub).
	hub := newEventHub(d.client, log.WithName("events"), o.eventIdleTimeout)
	op, err := operator.New(operator.Options{
		Cluster: a.opts.cluster, Environment: a.opts.environment, Source: d.source, Marathon: d.client,
		Events: opEvents{hub.Subscribe(operator.EventTypes...)}, Leader: leader, Trigger: d.trigger.C(),
		SyncInterval: o.syncInterval, DryRun: o.dryRun, ShutdownGrace: o.shutdownTimeout / 2,
		MaxDeleteRatio: o.maxDeleteRatio, Metrics: metrics, SupersedeAfter: o.supersedeAfter, MaskSalt: os.Getenv(maskSaltEnv),
		MaxWritesPerRevision: o.maxWritesPerRevision,
		OnPass: func(st operator.Status) {
			alerts.Offer(ctx, st) // never waits for the store or PagerDuty
			page.Observe(st)      // only wakes the page's live-update streams
		},
	})
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	var lbPipeline *lb.Pipeline
	if o.lb.Out != "" {
		if lbPipeline, err = o.lb.pipeline(d.client, lbEvents{hub.Subscribe(lb.EventTypes...)}, metrics.Registry); err != nil {
			return err
		}
		watchLB(alerts, lbPipeline)
	}
	if page, err = newStatusPage(o.uiAuthFile, d.client.URL(), op.Status, alerts, lbPipeline, checksSvc); err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/", withStatusPage(page, op.Handler(operator.HandlerOptions{Metrics: metrics, Election: func() any { return elector.Status() }})))
	mux.Handle(checks.APIPath, checksSvc)
	if d.webhook != nil {
		mux.Handle(gitsource.WebhookPath, &leaderForwarder{next: d.webhook, client: &http.Client{Timeout: 10 * time.Second},
			leader: func() (bool, string) {
				st := elector.Status()
				return st.State == election.Leader, st.Leader
			}})
	}
	srv, srvLn := httpserve.New(mux, ln, o.http)
	srv.RegisterOnShutdown(page.Close) // Shutdown waits for the live-update streams otherwise
	srv.BaseContext = func(net.Listener) context.Context {
		return logr.NewContext(context.WithoutCancel(ctx), log.WithName("http"))
	}
	if d.onListen != nil {
		d.onListen(ln.Addr().String())
	}
	log.Info("Serving HTTP", "addr", ln.Addr().String())

	// The election and alert delivery outlive ctx until the loop is done, so
	// that an in-flight apply keeps its leader context and alerts flush.
	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBG()
	var tasks taskGroup
	tasks.goErr("http", func() error {
		if err := srv.Serve(srvLn); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	tasks.goErr("election", func() error {
		return elector.Run(logr.NewContext(bg, log.WithName("election")), func(lctx context.Context) {
			log.Info("Elected leader", "id", elector.Status().ID)
			waitChecks := runChecksWhileLeading(lctx, checksSvc, log.WithName("checks"))
			defer waitChecks()
			leader.Lead(lctx)
			log.Info("Leadership ended")
		})
	})
	// Alerts stop first: the leader saves its last incident state while its
	// election term (which fences the save) still runs.
	alertsCtx, stopAlerts := context.WithCancel(bg)
	defer stopAlerts()
	tasks.goErr("alerts", func() error { return alerts.Run(alertsCtx) })
	if lbPipeline != nil {
		tasks.goErr("lb", func() error { return lbPipeline.Run(logr.NewContext(ctx, log.WithName("lb"))) })
	}
	// Started once every consumer subscribed: its filter is their union.
	tasks.goErr("events", func() error { return hub.Run(ctx) })
	opErr := make(chan error, 1)
	go func() { opErr <- op.Run(logr.NewContext(ctx, log.WithName("operator"))) }()

	var runErr error
	select {
	case runErr = <-opErr:
	case runErr = <-tasks.failed:
	case <-ctx.Done():
	}
	stopWork() // stop taking work, whatever ended the run
	stopAll := func() {
		stopAlerts()
		select {
		case <-alerts.Drained():
		case <-time.After(o.shutdownTimeout / 4):
		}
		stopBG()
	}
	return shutdown(log, o.shutdownTimeout, srv, stopAll, opErr, &tasks, runErr)
}

// shutdown waits for the loop (its in-flight apply is bounded by the
// shutdown grace), then stops the election, alerts and HTTP server, all
// within timeout.
func shutdown(log logr.Logger, timeout time.Duration, srv *http.Server, stopBG func(), opErr chan error, tasks *taskGroup, runErr error) error {
	log.Info("Shutting down", "timeout", timeout)
	deadline := time.After(timeout)
	select {
	case err := <-opErr:
		runErr = errors.Join(runErr, err)
	case <-deadline:
		return errors.Join(runErr, fmt.Errorf("run: shutdown took longer than %s", timeout))
	}
	stopBG()
	sctx, cancel := context.WithTimeout(context.Background(), timeout/4)
	defer cancel()
	_ = srv.Shutdown(sctx)
	select {
	case <-tasks.wait():
	case <-deadline:
		return errors.Join(runErr, fmt.Errorf("run: shutdown took longer than %s", timeout))
	}
	if err := tasks.err(); err != nil {
		runErr = errors.Join(runErr, err)
	}
	log.Info("Stopped")
	return runErr
}

func forwardHUP(ctx context.Context, hup <-chan os.Signal, t *gitsource.Trigger) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			t.Fire()
		}
	}
}

func newElector(o *runOptions, cluster, addr string) (*election.Elector, error) {
	path := o.zkPath
	if path == "" {
		path = "/pacer/" + cluster
	}
	id := addr
	if host, port := os.Getenv("HOST"), os.Getenv("PORT0"); host != "" && port != "" {
		id = net.JoinHostPort(host, port) // on Marathon: the task's address
	} else if h, err := os.Hostname(); err == nil {
		_, port, _ := net.SplitHostPort(addr)
		id = net.JoinHostPort(h, port)
	}
	e, err := election.New(election.Options{Servers: election.ParseServers(o.zk), Path: path, ID: id, SessionTimeout: o.zkSessionTimeout})
	if err != nil {
		return nil, fmt.Errorf("run: election: %w", err)
	}
	return e, nil
}
