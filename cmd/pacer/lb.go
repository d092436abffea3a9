package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"

	"pacer.dev/pacer/internal/httpserve"
	"pacer.dev/pacer/internal/marathon"
	"pacer.dev/pacer/lb"
)

// lbOptions are the flags of pacer lb.
type lbOptions struct {
	http         httpserve.Options // the --metrics-listen server
	format       string
	realm        string
	groups       []string
	strictMode   bool
	out          string
	reloadCmd    string
	validateCmd  string
	nginxPrefix  string
	template     string
	listenHTTP   string
	bind         string
	streamModule string
	statsSocket  string
	masterSocket string
	nginxAPI     string
	luaModules   string
	resolveHosts bool
	runtimeAPI   bool
	once         bool
	printData    bool
	debounceMin  time.Duration
	debounceMax  time.Duration
	minReload    time.Duration
	minReloadSet bool // --min-reload-interval given
	metricsAddr  string
	resync       time.Duration
	healthGrace  time.Duration
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
			o.minReloadSet = cmd.Flags().Changed("min-reload-interval")
			return runLB(cmd.Context(), a, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.format, "format", "nginx", "config format: nginx (nixy labels) or haproxy (marathon-lb labels)")
	f.StringVar(&o.realm, "realm", "", "nginx: serve only apps whose NIXY_REALM label equals this (all apps when empty)")
	f.StringSliceVar(&o.groups, "group", nil, "haproxy: serve apps whose HAPROXY_GROUP lists one of these (* = all); repeatable")
	f.BoolVar(&o.strictMode, "strict-mode", false, "haproxy: serve a port only when HAPROXY_{n}_ENABLED=true")
	f.StringVar(&o.out, "out", "", "config file to keep converged (required unless --print-data)")
	f.StringVar(&o.reloadCmd, "reload-cmd", "", `shell command (sh -c) run after the config changed, e.g. "nginx -s reload"`)
	f.StringVar(&o.validateCmd, "validate-cmd", "", "command validating the draft ({file}); default per format; none to skip")
	f.StringVar(&o.nginxPrefix, "nginx-prefix", "", "nginx prefix (-p) for validation and relative paths; default the directory of --out")
	f.StringVar(&o.template, "template", "", "Go text/template rendering the config instead of the built-in format (see --print-data)")
	f.StringVar(&o.listenHTTP, "listen-http", lb.DefaultListenHTTP, "address of the HTTP virtual hosts")
	f.StringVar(&o.bind, "bind", "", "address TCP/UDP services listen on (all addresses when empty)")
	f.StringVar(&o.streamModule, "stream-module", "auto", "nginx: path of ngx_stream_module.so to load, auto to detect, empty for built-in")
	f.StringVar(&o.statsSocket, "stats-socket", "", "haproxy: admin socket path (absolute); enables runtime API updates")
	f.StringVar(&o.masterSocket, "haproxy-master-socket", "", "haproxy: master CLI socket of HAProxy in master-worker mode (haproxy -W -S PATH); pacer reloads through it and confirms every reload (instead of --reload-cmd)")
	f.StringVar(&o.nginxAPI, "nginx-api", "", "nginx: serve pacer's upstream API here (unix:/path or 127.0.0.1:port) and apply task changes through it without reloads; needs the lua module")
	f.StringVar(&o.luaModules, "lua-modules", "auto", "nginx with --nginx-api: comma-separated module files to load (ndk, then lua), auto to detect, empty for built-in")
	f.BoolVar(&o.resolveHosts, "resolve-hosts", true, "with a runtime API (--stats-socket, --nginx-api): resolve task host names to addresses so their changes need no reload")
	f.BoolVar(&o.runtimeAPI, "runtime-api", true, "with --stats-socket (haproxy) or --nginx-api (nginx): apply task changes through the runtime API, reloading only for structural changes")
	f.BoolVar(&o.once, "once", false, "render and apply once, then exit")
	f.BoolVar(&o.printData, "print-data", false, "print the template data model as JSON and exit")
	f.DurationVar(&o.debounceMin, "debounce-min", 20*time.Millisecond, "quiet time that ends a burst of changes")
	f.DurationVar(&o.debounceMax, "debounce-max", time.Second, "longest wait from the first change of a burst")
	f.DurationVar(&o.minReload, "min-reload-interval", 0, "least time between two reloads (bounds reload storms during rolling deploys); default the last confirmed reload's duration with --haproxy-master-socket, 1s with --reload-cmd")
	f.StringVar(&o.metricsAddr, "metrics-listen", "", "serve Prometheus metrics at http://ADDR/metrics (off when empty)")
	f.DurationVar(&o.http.IdleTimeout, "http-idle-timeout", httpserve.DefaultIdleTimeout, "--metrics-listen: close a keep-alive connection idle this long")
	f.IntVar(&o.http.MaxConns, "http-max-conns", httpserve.DefaultMaxConns, "--metrics-listen: serve at most this many connections at once; more wait for a free slot")
	f.DurationVar(&o.resync, "resync", lb.DefaultResync, "period of full re-reads of Marathon")
	f.DurationVar(&o.healthGrace, "health-grace", 5*time.Minute, "keep a task's last known health this long when Marathon reports none (leader failover)")
	return cmd
}

func runLB(ctx context.Context, a *app, o *lbOptions) error {
	log := a.log.WithName("lb")
	ctx = logr.NewContext(ctx, log)
	if a.opts.marathon == "" {
		return errors.New("lb: --marathon is required (or PACER_MARATHON_URL)")
	}
	if o.out == "" && !o.printData {
		return errors.New("lb: --out is required")
	}
	deb := lb.Debounce{Min: o.debounceMin, Max: o.debounceMax}
	if err := deb.Validate(); err != nil {
		return fmt.Errorf("lb: --debounce-min/--debounce-max: %w", err)
	}
	if o.minReload < 0 {
		return fmt.Errorf("lb: --min-reload-interval %v must not be negative", o.minReload)
	}
	sel, err := o.selectOptions()
	if err != nil {
		return err
	}
	if err := o.checkNginxAPI("--nginx-api"); err != nil {
		return fmt.Errorf("lb: %w", err)
	}
	if err := o.checkReload(!o.once && !o.printData); err != nil {
		return fmt.Errorf("lb: %w", err)
	}
	renderer, err := o.renderer()
	if err != nil {
		return err
	}
	client, err := a.newClient(clientSpec{urls: splitURLs(a.opts.marathon), agent: "pacer-lb", retries: 4})
	if err != nil {
		return fmt.Errorf("lb: %w", err)
	}
	state := &lb.LiveState{}
	p := &lb.Pipeline{
		Source: &lb.Source{Lister: client, Events: lbEvents{client: client, log: log}, State: state, Resync: o.resync},
		Select: sel, Health: lb.NewHealthMemory(o.healthGrace, time.Now),
		Renderer: renderer, Debounce: deb, MinReloadInterval: o.minReloadInterval(), FastPath: o.template == "",
		Runtime: o.runtime(), Resolver: o.resolver(),
	}
	if o.printData {
		return o.runPrintData(ctx, a, p)
	}
	sink, err := o.sink()
	if err != nil {
		return err
	}
	p.Sink = sink
	if o.once {
		st, err := p.Once(ctx)
		if err != nil {
			return fmt.Errorf("lb: %w", err)
		}
		fmt.Fprintf(a.stdout, "%s: %d backends, %d servers, changed %t\n", o.out, st.Backends, st.Servers, st.Changed)
		return nil
	}
	if o.metricsAddr != "" {
		stop, err := serveLBMetrics(ctx, o.metricsAddr, o.http, p)
		if err != nil {
			return err
		}
		defer stop()
	}
	log.Info("Following Marathon", "marathon", client.URL(), "out", o.out, "format", o.format)
	return p.Run(ctx)
}

// runPrintData reads Marathon once and prints the template data.
func (o *lbOptions) runPrintData(ctx context.Context, a *app, p *lb.Pipeline) error {
	p.Sink = &printSink{}
	var backends []lb.Backend
	p.Renderer = rendererFunc(func(b []lb.Backend) ([]byte, error) { backends = b; return nil, nil })
	if _, err := p.Once(ctx); err != nil {
		return fmt.Errorf("lb: %w", err)
	}
	return lb.PrintData(a.stdout, lb.Data{Backends: backends, Options: o.renderOptions()})
}

type rendererFunc func([]lb.Backend) ([]byte, error)

func (f rendererFunc) Render(b []lb.Backend) ([]byte, error) { return f(b) }

// printSink accepts everything and writes nothing.
type printSink struct{}

func (printSink) Apply(context.Context, []byte) (bool, error) { return false, nil }

func (o *lbOptions) selectOptions() (lb.SelectOptions, error) {
	switch o.format {
	case "nginx":
		if len(o.groups) > 0 || o.strictMode {
			return lb.SelectOptions{}, errors.New("lb: --group and --strict-mode need --format haproxy")
		}
		return lb.SelectOptions{Flavor: lb.FlavorNixy, Realm: o.realm}, nil
	case "haproxy":
		if o.realm != "" {
			return lb.SelectOptions{}, errors.New("lb: --realm needs --format nginx")
		}
		if len(o.groups) == 0 {
			return lb.SelectOptions{}, errors.New("lb: --format haproxy needs --group (* for every app)")
		}
		return lb.SelectOptions{Flavor: lb.FlavorMarathonLB, Groups: o.groups, StrictMode: o.strictMode}, nil
	default:
		return lb.SelectOptions{}, fmt.Errorf("lb: --format %q: want nginx or haproxy", o.format)
	}
}

func (o *lbOptions) renderOptions() lb.RenderOptions {
	ro := lb.RenderOptions{ListenHTTP: o.listenHTTP, Bind: o.bind, StatsSocket: o.statsSocket}
	if o.format == "nginx" {
		ro.StreamModule = o.streamModule
		if o.streamModule == "auto" {
			ro.StreamModule = lb.DetectStreamModule()
		}
		ro.NginxAPI = o.nginxAPI
		if o.nginxAPI != "" {
			ro.LuaModules = o.luaModuleFiles()
		}
	}
	return ro
}

func (o *lbOptions) luaModuleFiles() []string {
	if o.luaModules == "auto" {
		return lb.DetectLuaModules()
	}
	var mods []string
	for _, m := range strings.Split(o.luaModules, ",") {
		if m = strings.TrimSpace(m); m != "" {
			mods = append(mods, m)
		}
	}
	return mods
}

// checkNginxAPI refuses --nginx-api where it cannot work.
func (o *lbOptions) checkNginxAPI(flag string) error {
	switch {
	case o.nginxAPI == "":
		return nil
	case o.format != "nginx":
		return fmt.Errorf("%s needs the nginx format (HAProxy takes task changes through its stats socket)", flag)
	case o.template != "":
		return fmt.Errorf("%s works with the built-in nginx format, not a template", flag)
	case o.luaModules == "auto" && lb.DetectLuaModules() == nil:
		return fmt.Errorf("%s needs nginx's lua module, not found in /usr/lib/nginx/modules (Debian: apt-get install libnginx-mod-http-lua lua-resty-core)", flag)
	}
	if socket, ok := strings.CutPrefix(o.nginxAPI, "unix:"); ok {
		if !filepath.IsAbs(socket) {
			return fmt.Errorf("%s %s: the socket path must be absolute", flag, o.nginxAPI)
		}
		return checkSocketDir(flag, filepath.Dir(socket))
	}
	host, port, err := net.SplitHostPort(o.nginxAPI)
	if err != nil || port == "" {
		return fmt.Errorf("%s %q: want unix:/path or host:port", flag, o.nginxAPI)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%s %s: listen on a loopback address or a unix socket; anyone reaching the API can redirect traffic", flag, o.nginxAPI)
	}
	return nil
}

// checkSocketDir refuses a directory for the upstream API socket that other
// users can reach: nginx creates the socket readable and writable by
// everyone (0666), and whoever can connect can redirect traffic.
func checkSocketDir(flag, dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("%s: the socket's directory: %w (create it for nginx and pacer only, e.g. install -d -m 0750 %s)", flag, err, dir)
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s: %s is not a directory", flag, dir)
	}
	if perm := fi.Mode().Perm(); perm&0o007 != 0 {
		return fmt.Errorf("%s: directory %s has mode %04o: other users could reach the socket (nginx makes it 0666) and redirect traffic; use a directory only nginx and pacer can enter, e.g. install -d -m 0750 /run/nginx-pacer", flag, dir, perm)
	}
	return nil
}

// checkReload refuses reload flags that cannot work together and, when
// needReload, a HAProxy that would be kept converged but never reloaded.
func (o *lbOptions) checkReload(needReload bool) error {
	switch {
	case o.masterSocket == "":
		if needReload && o.format == "haproxy" && strings.TrimSpace(o.reloadCmd) == "" {
			return errors.New("--format haproxy needs --haproxy-master-socket (HAProxy in master-worker mode: haproxy -W -S PATH -f CONFIG) or a --reload-cmd")
		}
	case o.format != "haproxy":
		return errors.New("--haproxy-master-socket needs --format haproxy")
	case strings.TrimSpace(o.reloadCmd) != "":
		return errors.New("--haproxy-master-socket and --reload-cmd both reload HAProxy: give one")
	}
	return nil
}

// minReloadInterval is --min-reload-interval, or its default: none beyond
// the measured reload time with the master socket, 1s for a reload command
// (whose end says nothing about the reload's).
func (o *lbOptions) minReloadInterval() time.Duration {
	if o.minReloadSet || o.masterSocket != "" {
		return o.minReload
	}
	return time.Second
}

// resolver resolves task host names when a runtime API takes task changes.
func (o *lbOptions) resolver() lb.Resolver {
	if o.runtime() == nil || !o.resolveHosts {
		return nil
	}
	return &lb.HostCache{}
}

// runtime is the HAProxy runtime API client when task changes can skip the
// reload: built-in haproxy format (server slots) with a stats socket.
func (o *lbOptions) runtime() lb.RuntimeUpdater {
	switch {
	case o.template != "" || !o.runtimeAPI:
		return nil
	case o.format == "haproxy" && o.statsSocket != "":
		return &lb.HAProxyRuntime{Socket: o.statsSocket}
	case o.format == "nginx" && o.nginxAPI != "":
		return &lb.NginxRuntime{API: o.nginxAPI}
	}
	return nil
}

func (o *lbOptions) renderer() (lb.Renderer, error) {
	ro := o.renderOptions()
	if o.template != "" {
		text, err := os.ReadFile(o.template)
		if err != nil {
			return nil, fmt.Errorf("lb: --template: %w", err)
		}
		r, err := lb.NewTemplateRenderer(filepath.Base(o.template), string(text), ro)
		if err != nil {
			return nil, fmt.Errorf("lb: --template: %w", err)
		}
		return r, nil
	}
	if o.format == "haproxy" {
		return lb.HAProxyRenderer{Options: ro}, nil
	}
	return lb.NginxRenderer{Options: ro}, nil
}

func (o *lbOptions) sink() (*lb.FileSink, error) {
	out, err := filepath.Abs(o.out)
	if err != nil {
		return nil, fmt.Errorf("lb: --out: %w", err)
	}
	s := &lb.FileSink{Path: out}
	if strings.TrimSpace(o.reloadCmd) != "" {
		s.Reload = []string{"/bin/sh", "-c", o.reloadCmd}
	}
	if o.masterSocket != "" {
		socket, err := filepath.Abs(o.masterSocket)
		if err != nil {
			return nil, fmt.Errorf("lb: --haproxy-master-socket: %w", err)
		}
		s.Reloader = &lb.HAProxyMaster{Socket: socket}
	}
	switch {
	case o.validateCmd == "none":
	case o.validateCmd != "":
		s.Validate = strings.Fields(o.validateCmd)
	case o.format == "haproxy":
		s.Validate = []string{"haproxy", "-c", "-f", lb.FilePlaceholder}
	default:
		prefix := o.nginxPrefix
		if prefix == "" {
			prefix = filepath.Dir(out)
		}
		s.Validate = []string{"nginx", "-t", "-q", "-p", prefix, "-c", lb.FilePlaceholder}
	}
	return s, nil
}

// lbEvents adapts the Marathon client's event stream to lb.EventStream.
type lbEvents struct {
	client *marathon.Client
	log    logr.Logger
}

var (
	_ lb.AppLister   = (*marathon.Client)(nil)
	_ lb.EventStream = lbEvents{}
)

func (e lbEvents) Stream(ctx context.Context, types []string, fn func(lb.Event)) error {
	opts := marathon.StreamOptions{Types: types, OnError: func(err error, retryIn time.Duration) {
		e.log.Error(err, "Marathon event stream broken, reconnecting and re-reading everything", "retryIn", retryIn)
	}}
	return e.client.StreamEvents(ctx, opts, func(ev marathon.Event) {
		fn(lb.Event{Type: ev.Type, Data: ev.Data, Gap: ev.Gap})
	})
}
