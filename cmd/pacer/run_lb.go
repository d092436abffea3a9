package main

import (
	"fmt"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"pacer.dev/pacer/internal/marathon"
	"pacer.dev/pacer/lb"
)

// runLBOptions are run's flags for the LB pipeline it runs beside the loop.
type runLBOptions struct {
	format, out, realm, reloadCmd, validateCmd string
	statsSocket, listenHTTP, bind, nginxAPI    string
	masterSocket                               string
	template                                   string
	groups                                     []string
}

func addRunLBFlags(cmd *cobra.Command, o *runLBOptions) {
	f := cmd.Flags()
	f.StringVar(&o.out, "lb-out", "", "keep this nginx/HAProxy config converged on Marathon (as pacer lb); off when empty")
	f.StringVar(&o.format, "lb-format", "nginx", "LB config format: nginx (nixy labels) or haproxy (marathon-lb labels)")
	f.StringVar(&o.realm, "lb-realm", "", "nginx: serve only apps whose NIXY_REALM equals this")
	f.StringSliceVar(&o.groups, "lb-group", nil, "haproxy: serve apps whose HAPROXY_GROUP lists one of these (* = all)")
	f.StringVar(&o.reloadCmd, "lb-reload-cmd", "", `shell command (sh -c) run after the config changed, e.g. "nginx -s reload"`)
	f.StringVar(&o.validateCmd, "lb-validate-cmd", "", "command validating the draft ({file}); default per format; none to skip")
	f.StringVar(&o.statsSocket, "lb-stats-socket", "", "haproxy: admin socket path (absolute); task changes then go through the runtime API without reloads")
	f.StringVar(&o.masterSocket, "lb-haproxy-master-socket", "", "haproxy: master CLI socket of HAProxy in master-worker mode (haproxy -W -S PATH); reloads through it are confirmed (as pacer lb --haproxy-master-socket)")
	f.StringVar(&o.nginxAPI, "lb-nginx-api", "", "nginx: serve pacer's upstream API here (unix:/path or 127.0.0.1:port); task changes then reach nginx without reloads (as pacer lb --nginx-api)")
	f.StringVar(&o.listenHTTP, "lb-listen-http", lb.DefaultListenHTTP, "address of the HTTP virtual hosts (as pacer lb --listen-http)")
	f.StringVar(&o.bind, "lb-bind", "", "address TCP/UDP services listen on, all addresses when empty (as pacer lb --bind)")
	f.StringVar(&o.template, "lb-template", "", "Go text/template rendering the config instead of the built-in format (as pacer lb --template)")
}

// pipeline builds the LB pipeline the way pacer lb does, with its metrics
// registered on reg (pacer run's registry, served at /metrics).
func (o runLBOptions) pipeline(client *marathon.Client, log logr.Logger, reg prometheus.Registerer) (*lb.Pipeline, error) {
	lo := &lbOptions{
		format: o.format, realm: o.realm, groups: o.groups, out: o.out, reloadCmd: o.reloadCmd, validateCmd: o.validateCmd,
		template: o.template, listenHTTP: o.listenHTTP, bind: o.bind, statsSocket: o.statsSocket, runtimeAPI: true,
		streamModule: "auto", nginxAPI: o.nginxAPI, luaModules: "auto", resolveHosts: true, masterSocket: o.masterSocket,
	}
	sel, err := lo.selectOptions()
	if err != nil {
		return nil, fmt.Errorf("run: --lb-*: %w", err)
	}
	// pacer run keeps the file converged even when nothing reloads HAProxy.
	if err := lo.checkReload(false); err != nil {
		return nil, fmt.Errorf("run: --lb-*: %w", err)
	}
	if err := lo.checkNginxAPI("--lb-nginx-api"); err != nil {
		return nil, fmt.Errorf("run: %w", err)
	}
	renderer, err := lo.renderer()
	if err != nil {
		return nil, fmt.Errorf("run: --lb-*: %w", err)
	}
	sink, err := lo.sink()
	if err != nil {
		return nil, fmt.Errorf("run: --lb-out: %w", err)
	}
	metrics, err := lb.NewMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("run: %w", err)
	}
	return &lb.Pipeline{
		Metrics:  metrics,
		Source:   &lb.Source{Lister: client, Events: lbEvents{client: client, log: log}, State: &lb.LiveState{}},
		Select:   sel,
		Health:   lb.NewHealthMemory(5*time.Minute, time.Now),
		Renderer: renderer,
		Sink:     sink,
		Runtime:  lo.runtime(),
		Resolver: lo.resolver(),
		Debounce: lb.Debounce{Min: 20 * time.Millisecond, Max: time.Second},
		// As pacer lb's --min-reload-interval default.
		MinReloadInterval: lo.minReloadInterval(),
		// A user template can depend on anything: validate every change.
		FastPath: o.template == "",
	}, nil
}
