package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"

	"pacer.dev/pacer/internal/httpserve"
	"pacer.dev/pacer/lb"
)

// lbOptions are the flags of pacer lb: the load balancer's (lb.Config,
// shared with pacer run's --lb-*) and the command's own.
type lbOptions struct {
	lb.Config
	http        httpserve.Options // the --metrics-listen server
	once        bool
	printData   bool
	metricsAddr string
}

func newLBCmd(a *app) *cobra.Command {
	o := &lbOptions{}
	cmd := &cobra.Command{
		Use:   "lb",
		Short: "Keep an nginx or HAProxy config converged on Marathon's healthy tasks",
		Long: `Render the load-balancer config for the tasks Marathon reports as serving
(TASK_RUNNING, healthy by every health check, not being killed) and keep it
converged: Marathon events update an in-memory model, bursts are debounced
(--debounce-min quiet time, --debounce-max deadline), and every change is
written beside --out, validated with the real binary, renamed into place and
followed by a reload. HAProxy runs in master-worker mode with a master CLI
(haproxy -W -S SOCKET) and pacer reloads it through --haproxy-master-socket:
each reload is confirmed (the master counted it and a new worker, forked from
the new file, answers), one that does not take is sent again (3 times), then
reported as failed (pacer_lb_reload_failed, LBReloadFailed under pacer run)
and retried with backoff; changes arriving meanwhile wait and the newest wins.
A signal sent while HAProxy still reloads is lost, which is why a plain
--reload-cmd 'kill -USR2 ...' is not enough for HAProxy. nginx, or any other
reload, uses --reload-cmd (run by /bin/sh -c). Reloads are spaced by
--min-reload-interval: by default the measured duration of the last confirmed
HAProxy reload, 1s with --reload-cmd; a single change after a quiet time is
written within the debounce.

With --format haproxy and --stats-socket (and only then), every backend has spare
server slots (the next power of two >= max(8, 2 x tasks)) and a change of tasks
that fits them goes to the running HAProxy through its runtime API (set server
addr/state over the stats socket): no validation, no reload, the file is still
rewritten for the next reload. New apps, vhosts, ports or a backend outgrowing
its slots are validated and reloaded; so is any change the runtime API refuses.
With --format nginx and --nginx-api, HTTP upstreams are balanced by a small Lua
balancer (Debian: libnginx-mod-http-lua, lua-resty-core) and a change of tasks
goes to the running nginx through an API the config serves on --nginx-api (a
unix socket, or a loopback address): no validation, no reload, the file is
still rewritten with the current lists for the next start. Every list is sent
again before any reload. Upstreams of tasks known by host name, empty
upstreams (the 503 server) and TCP/UDP services change by reload. With a
runtime API (--stats-socket or --nginx-api), task host names are resolved to
addresses by pacer (--resolve-hosts), so named agents do not force reloads.
An invalid config never replaces the running one: it is logged, counted
(pacer_lb_config_invalid on --metrics-listen) and retried on the next change.
The whole state is re-read at start, after every event-stream reconnect and
every --resync.

--format nginx follows nixy's labels (NIXY_REALM, subdomain, NIXY_PROTOCOL);
--format haproxy follows marathon-lb's (HAPROXY_GROUP, HAPROXY_{n}_*).
The default validate command is "nginx -t -q -p PREFIX -c {file}" (PREFIX is
--nginx-prefix, else the directory of --out) or "haproxy -c -f {file}";
{file} is the draft. --validate-cmd none skips validation.

Runs until SIGTERM/SIGINT; --once renders once and exits (1 on failure).`,
		Example: `  pacer lb --marathon http://marathon:8080 --realm internal --format nginx \
    --out /etc/nginx/nginx.conf --reload-cmd "nginx -s reload"
  # HAProxy in master-worker mode (haproxy -W -S /run/haproxy/master.sock -f haproxy.cfg),
  # confirmed reloads, task changes through the stats socket:
  pacer lb --marathon http://marathon:8080 --format haproxy --group internal \
    --out /etc/haproxy/haproxy.cfg --stats-socket /run/haproxy/admin.sock \
    --haproxy-master-socket /run/haproxy/master.sock --metrics-listen 127.0.0.1:9102
  # nginx without reloads for task changes (libnginx-mod-http-lua, lua-resty-core):
  pacer lb --marathon http://marathon:8080 --realm internal --format nginx \
    --out /etc/nginx/nginx.conf --reload-cmd "nginx -s reload" \
    --nginx-api unix:/run/nginx-pacer/upstreams.sock
  pacer lb --marathon http://marathon:8080 --realm internal --print-data | jq '.backends[].name'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runLB(cmd.Context(), a, o)
		},
	}
	f := cmd.Flags()
	o.RegisterFlags(f, "")
	f.BoolVar(&o.once, "once", false, "render and apply once, then exit")
	f.BoolVar(&o.printData, "print-data", false, "print the template data model as JSON and exit")
	f.StringVar(&o.metricsAddr, "metrics-listen", "", "serve Prometheus metrics at http://ADDR/metrics (off when empty)")
	f.DurationVar(&o.http.IdleTimeout, "http-idle-timeout", httpserve.DefaultIdleTimeout, "--metrics-listen: close a keep-alive connection idle this long")
	f.IntVar(&o.http.MaxConns, "http-max-conns", httpserve.DefaultMaxConns, "--metrics-listen: serve at most this many connections at once; more wait for a free slot")
	return cmd
}

func runLB(ctx context.Context, a *app, o *lbOptions) error {
	log := a.log.WithName("lb")
	ctx = logr.NewContext(ctx, log)
	if a.opts.marathon == "" {
		return errors.New("lb: --marathon is required (or PACER_MARATHON_URL)")
	}
	if o.Out == "" && !o.printData {
		return errors.New("lb: --out is required")
	}
	if err := o.Validate(!o.once && !o.printData); err != nil {
		return fmt.Errorf("lb: %w", err)
	}
	client, err := a.newClient(clientSpec{urls: splitURLs(a.opts.marathon), agent: "pacer-lb", retries: 4})
	if err != nil {
		return fmt.Errorf("lb: %w", err)
	}
	hub := newEventHub(client, log, 0)
	p, err := o.Pipeline(&lb.Source{Lister: client, Events: lbEvents{hub.Subscribe(lb.EventTypes...)}})
	if err != nil {
		return fmt.Errorf("lb: %w", err)
	}
	if o.printData {
		return o.runPrintData(ctx, a, p)
	}
	if p.Sink, err = o.Sink(); err != nil {
		return fmt.Errorf("lb: %w", err)
	}
	if o.once {
		st, err := p.Once(ctx)
		if err != nil {
			return fmt.Errorf("lb: %w", err)
		}
		fmt.Fprintf(a.stdout, "%s: %d backends, %d servers, changed %t\n", o.Out, st.Backends, st.Servers, st.Changed)
		return nil
	}
	if o.metricsAddr != "" {
		stop, err := serveLBMetrics(ctx, o.metricsAddr, o.http, p)
		if err != nil {
			return err
		}
		defer stop()
	}
	log.Info("Following Marathon", "marathon", client.URL(), "out", o.Out, "format", o.Format)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	hubDone := make(chan error, 1)
	go func() { hubDone <- hub.Run(ctx) }()
	err = p.Run(ctx)
	cancel()
	<-hubDone
	return err
}

// runPrintData reads Marathon once and prints the template data.
func (o *lbOptions) runPrintData(ctx context.Context, a *app, p *lb.Pipeline) error {
	p.Sink = &printSink{}
	var backends []lb.Backend
	p.Renderer = rendererFunc(func(b []lb.Backend) ([]byte, error) { backends = b; return nil, nil })
	if _, err := p.Once(ctx); err != nil {
		return fmt.Errorf("lb: %w", err)
	}
	return lb.PrintData(a.stdout, lb.Data{Backends: backends, Options: o.RenderOptions()})
}

type rendererFunc func([]lb.Backend) ([]byte, error)

func (f rendererFunc) Render(b []lb.Backend) ([]byte, error) { return f(b) }

// printSink accepts everything and writes nothing.
type printSink struct{}

func (printSink) Apply(context.Context, []byte) (bool, error) { return false, nil }
