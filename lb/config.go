package lb

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// Config is everything a load balancer kept converged by pacer is set up
// with: which apps it serves, how its config is rendered, written,
// validated and reloaded, and the timings of the pipeline. pacer lb
// registers its flags without a prefix (--format), pacer run with "lb-"
// (--lb-format), so the two commands cannot drift apart.
type Config struct {
	Format       string // nginx (nixy labels) or haproxy (marathon-lb labels)
	Realm        string
	Groups       []string
	StrictMode   bool
	Out          string
	ReloadCmd    string
	ValidateCmd  string
	NginxPrefix  string
	Template     string
	ListenHTTP   string
	Bind         string
	StreamModule string
	StatsSocket  string
	MasterSocket string
	NginxAPI     string
	LuaModules   string
	ResolveHosts bool
	RuntimeAPI   bool
	DebounceMin  time.Duration
	DebounceMax  time.Duration
	// MinReload is --min-reload-interval; MinReloadSet says it was given
	// (when not, MinReloadInterval picks the default).
	MinReload    time.Duration
	MinReloadSet bool
	Resync       time.Duration
	HealthGrace  time.Duration

	// prefix is the flag prefix of RegisterFlags, for error messages.
	prefix string
}

// DefaultConfig is the Config of the flags' defaults.
func DefaultConfig() Config {
	return Config{
		Format:       "nginx",
		ListenHTTP:   DefaultListenHTTP,
		StreamModule: "auto",
		LuaModules:   "auto",
		ResolveHosts: true,
		RuntimeAPI:   true,
		DebounceMin:  20 * time.Millisecond,
		DebounceMax:  time.Second,
		Resync:       DefaultResync,
		HealthGrace:  5 * time.Minute,
	}
}

// RegisterFlags sets c to DefaultConfig and registers a flag for each of its
// fields on fs, named prefix + the pacer lb name (--format, or --lb-format
// with prefix "lb-"). Validate's errors then name the flags as registered.
func (c *Config) RegisterFlags(fs *pflag.FlagSet, prefix string) {
	*c = DefaultConfig()
	c.prefix = prefix
	d := DefaultConfig()
	n := func(name string) string { return prefix + name }
	fs.StringVar(&c.Format, n("format"), d.Format, "config format: nginx (nixy labels) or haproxy (marathon-lb labels)")
	fs.StringVar(&c.Realm, n("realm"), d.Realm, "nginx: serve only apps whose NIXY_REALM label equals this (all apps when empty)")
	fs.StringSliceVar(&c.Groups, n("group"), d.Groups, "haproxy: serve apps whose HAPROXY_GROUP lists one of these (* = all); repeatable")
	fs.BoolVar(&c.StrictMode, n("strict-mode"), d.StrictMode, "haproxy: serve a port only when HAPROXY_{n}_ENABLED=true")
	fs.StringVar(&c.Out, n("out"), d.Out, "config file to keep converged (pacer lb: required unless --print-data; pacer run: no load balancer when empty)")
	fs.StringVar(&c.ReloadCmd, n("reload-cmd"), d.ReloadCmd, `shell command (sh -c) run after the config changed, e.g. "nginx -s reload"`)
	fs.StringVar(&c.ValidateCmd, n("validate-cmd"), d.ValidateCmd, "command validating the draft ({file}); default per format; none to skip")
	fs.StringVar(&c.NginxPrefix, n("nginx-prefix"), d.NginxPrefix, "nginx prefix (-p) for validation and relative paths; default the directory of the config file")
	fs.StringVar(&c.Template, n("template"), d.Template, "Go text/template rendering the config instead of the built-in format (see pacer lb --print-data)")
	fs.StringVar(&c.ListenHTTP, n("listen-http"), d.ListenHTTP, "address of the HTTP virtual hosts")
	fs.StringVar(&c.Bind, n("bind"), d.Bind, "address TCP/UDP services listen on (all addresses when empty)")
	fs.StringVar(&c.StreamModule, n("stream-module"), d.StreamModule, "nginx: path of ngx_stream_module.so to load, auto to detect, empty for built-in")
	fs.StringVar(&c.StatsSocket, n("stats-socket"), d.StatsSocket, "haproxy: admin socket path (absolute); enables runtime API updates")
	fs.StringVar(&c.MasterSocket, n("haproxy-master-socket"), d.MasterSocket, "haproxy: master CLI socket of HAProxy in master-worker mode (haproxy -W -S PATH); pacer reloads through it and confirms every reload (instead of a reload command)")
	fs.StringVar(&c.NginxAPI, n("nginx-api"), d.NginxAPI, "nginx: serve pacer's upstream API here (unix:/path or 127.0.0.1:port) and apply task changes through it without reloads; needs the lua module")
	fs.StringVar(&c.LuaModules, n("lua-modules"), d.LuaModules, "nginx with the upstream API: comma-separated module files to load (ndk, then lua), auto to detect, empty for built-in")
	fs.BoolVar(&c.ResolveHosts, n("resolve-hosts"), d.ResolveHosts, "with a runtime API (stats socket, nginx API): resolve task host names to addresses so their changes need no reload")
	fs.BoolVar(&c.RuntimeAPI, n("runtime-api"), d.RuntimeAPI, "with a stats socket (haproxy) or the nginx API (nginx): apply task changes through the runtime API, reloading only for structural changes")
	fs.DurationVar(&c.DebounceMin, n("debounce-min"), d.DebounceMin, "quiet time that ends a burst of changes")
	fs.DurationVar(&c.DebounceMax, n("debounce-max"), d.DebounceMax, "longest wait from the first change of a burst")
	fs.Var(&minReloadValue{c: c}, n("min-reload-interval"), "least time between two reloads (bounds reload storms during rolling deploys); default the last confirmed reload's duration with the HAProxy master socket, 1s with a reload command")
	fs.DurationVar(&c.Resync, n("resync"), d.Resync, "period of full re-reads of Marathon")
	fs.DurationVar(&c.HealthGrace, n("health-grace"), d.HealthGrace, "keep a task's last known health this long when Marathon reports none (leader failover)")
}

// minReloadValue is --min-reload-interval: a duration that records that it
// was given. Its String is empty until set, so help shows no default.
type minReloadValue struct{ c *Config }

func (v *minReloadValue) String() string {
	if v.c == nil || !v.c.MinReloadSet {
		return ""
	}
	return v.c.MinReload.String()
}

func (v *minReloadValue) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	v.c.MinReload, v.c.MinReloadSet = d, true
	return nil
}

func (v *minReloadValue) Type() string { return "duration" }

// flag is the name of one of c's flags as registered.
func (c *Config) flag(name string) string { return "--" + c.prefix + name }

// Validate refuses settings that cannot work together. needReload is true
// when the load balancer must be reloaded by pacer (pacer lb following
// Marathon): a HAProxy that nothing reloads is then refused. pacer run keeps
// the file converged even when nothing reloads it. Validate does not
// require Out (pacer run without it runs no load balancer) and reads no
// template; it checks the nginx upstream API socket's directory.
func (c *Config) Validate(needReload bool) error {
	if err := (Debounce{Min: c.DebounceMin, Max: c.DebounceMax}).Validate(); err != nil {
		return fmt.Errorf("%s/%s: %w", c.flag("debounce-min"), c.flag("debounce-max"), err)
	}
	if c.MinReload < 0 {
		return fmt.Errorf("%s %v must not be negative", c.flag("min-reload-interval"), c.MinReload)
	}
	if c.Resync < 0 || c.HealthGrace < 0 {
		return fmt.Errorf("%s and %s must not be negative", c.flag("resync"), c.flag("health-grace"))
	}
	if _, err := c.SelectOptions(); err != nil {
		return err
	}
	if err := c.checkNginxAPI(); err != nil {
		return err
	}
	return c.checkReload(needReload)
}

// SelectOptions are the app selection of the format's labels.
func (c *Config) SelectOptions() (SelectOptions, error) {
	switch c.Format {
	case "nginx":
		if len(c.Groups) > 0 || c.StrictMode {
			return SelectOptions{}, fmt.Errorf("%s and %s need %s haproxy", c.flag("group"), c.flag("strict-mode"), c.flag("format"))
		}
		return SelectOptions{Flavor: FlavorNixy, Realm: c.Realm}, nil
	case "haproxy":
		if c.Realm != "" {
			return SelectOptions{}, fmt.Errorf("%s needs %s nginx", c.flag("realm"), c.flag("format"))
		}
		if len(c.Groups) == 0 {
			return SelectOptions{}, fmt.Errorf("%s haproxy needs %s (* for every app)", c.flag("format"), c.flag("group"))
		}
		return SelectOptions{Flavor: FlavorMarathonLB, Groups: c.Groups, StrictMode: c.StrictMode}, nil
	default:
		return SelectOptions{}, fmt.Errorf("%s %q: want nginx or haproxy", c.flag("format"), c.Format)
	}
}

// checkNginxAPI refuses an nginx upstream API where it cannot work or
// where others could reach it.
func (c *Config) checkNginxAPI() error {
	flag := c.flag("nginx-api")
	switch {
	case c.NginxAPI == "":
		return nil
	case c.Format != "nginx":
		return fmt.Errorf("%s needs the nginx format (HAProxy takes task changes through its stats socket)", flag)
	case c.Template != "":
		return fmt.Errorf("%s works with the built-in nginx format, not a template", flag)
	case c.LuaModules == "auto" && DetectLuaModules() == nil:
		return fmt.Errorf("%s needs nginx's lua module, not found in /usr/lib/nginx/modules (Debian: apt-get install libnginx-mod-http-lua lua-resty-core)", flag)
	}
	if socket, ok := strings.CutPrefix(c.NginxAPI, "unix:"); ok {
		if !filepath.IsAbs(socket) {
			return fmt.Errorf("%s %s: the socket path must be absolute", flag, c.NginxAPI)
		}
		return checkSocketDir(flag, filepath.Dir(socket))
	}
	host, port, err := net.SplitHostPort(c.NginxAPI)
	if err != nil || port == "" {
		return fmt.Errorf("%s %q: want unix:/path or host:port", flag, c.NginxAPI)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%s %s: listen on a loopback address or a unix socket; anyone reaching the API can redirect traffic", flag, c.NginxAPI)
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

// checkReload refuses reload settings that cannot work together and, when
// needReload, a HAProxy that would be kept converged but never reloaded.
func (c *Config) checkReload(needReload bool) error {
	switch {
	case c.MasterSocket == "":
		if needReload && c.Format == "haproxy" && strings.TrimSpace(c.ReloadCmd) == "" {
			return fmt.Errorf("%s haproxy needs %s (HAProxy in master-worker mode: haproxy -W -S PATH -f CONFIG) or a %s",
				c.flag("format"), c.flag("haproxy-master-socket"), c.flag("reload-cmd"))
		}
	case c.Format != "haproxy":
		return fmt.Errorf("%s needs %s haproxy", c.flag("haproxy-master-socket"), c.flag("format"))
	case strings.TrimSpace(c.ReloadCmd) != "":
		return fmt.Errorf("%s and %s both reload HAProxy: give one", c.flag("haproxy-master-socket"), c.flag("reload-cmd"))
	}
	return nil
}

// Debounce is the burst debounce of the debounce flags.
func (c *Config) Debounce() Debounce { return Debounce{Min: c.DebounceMin, Max: c.DebounceMax} }

// MinReloadInterval is MinReload, or its default: none beyond the measured
// reload time with the master socket, 1s for a reload command (whose end
// says nothing about the reload's).
func (c *Config) MinReloadInterval() time.Duration {
	if c.MinReloadSet || c.MasterSocket != "" {
		return c.MinReload
	}
	return time.Second
}

// RenderOptions are the renderers' options.
func (c *Config) RenderOptions() RenderOptions {
	ro := RenderOptions{ListenHTTP: c.ListenHTTP, Bind: c.Bind, StatsSocket: c.StatsSocket}
	if c.Format == "nginx" {
		ro.StreamModule = c.StreamModule
		if c.StreamModule == "auto" {
			ro.StreamModule = DetectStreamModule()
		}
		ro.NginxAPI = c.NginxAPI
		if c.NginxAPI != "" {
			ro.LuaModules = c.luaModuleFiles()
		}
	}
	return ro
}

func (c *Config) luaModuleFiles() []string {
	if c.LuaModules == "auto" {
		return DetectLuaModules()
	}
	var mods []string
	for _, m := range strings.Split(c.LuaModules, ",") {
		if m = strings.TrimSpace(m); m != "" {
			mods = append(mods, m)
		}
	}
	return mods
}

// Resolver resolves task host names when a runtime API takes task changes.
func (c *Config) Resolver() Resolver {
	if c.Runtime() == nil || !c.ResolveHosts {
		return nil
	}
	return &HostCache{}
}

// Runtime is the runtime API client when task changes can skip the reload:
// the built-in haproxy format (server slots) with a stats socket, or the
// built-in nginx format with the upstream API.
func (c *Config) Runtime() RuntimeUpdater {
	switch {
	case c.Template != "" || !c.RuntimeAPI:
		return nil
	case c.Format == "haproxy" && c.StatsSocket != "":
		return &HAProxyRuntime{Socket: c.StatsSocket}
	case c.Format == "nginx" && c.NginxAPI != "":
		return &NginxRuntime{API: c.NginxAPI}
	}
	return nil
}

// Renderer is the template renderer of Template, else the format's.
func (c *Config) Renderer() (Renderer, error) {
	ro := c.RenderOptions()
	if c.Template != "" {
		text, err := os.ReadFile(c.Template)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.flag("template"), err)
		}
		r, err := NewTemplateRenderer(filepath.Base(c.Template), string(text), ro)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.flag("template"), err)
		}
		return r, nil
	}
	if c.Format == "haproxy" {
		return HAProxyRenderer{Options: ro}, nil
	}
	return NginxRenderer{Options: ro}, nil
}

// Sink is the file sink of Out with its validate and reload commands.
func (c *Config) Sink() (*FileSink, error) {
	if c.Out == "" {
		return nil, errors.New(c.flag("out") + " is empty")
	}
	out, err := filepath.Abs(c.Out)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.flag("out"), err)
	}
	s := &FileSink{Path: out}
	if strings.TrimSpace(c.ReloadCmd) != "" {
		s.Reload = []string{"/bin/sh", "-c", c.ReloadCmd}
	}
	if c.MasterSocket != "" {
		socket, err := filepath.Abs(c.MasterSocket)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.flag("haproxy-master-socket"), err)
		}
		s.Reloader = &HAProxyMaster{Socket: socket}
	}
	switch {
	case c.ValidateCmd == "none":
	case c.ValidateCmd != "":
		s.Validate = strings.Fields(c.ValidateCmd)
	case c.Format == "haproxy":
		s.Validate = []string{"haproxy", "-c", "-f", FilePlaceholder}
	default:
		prefix := c.NginxPrefix
		if prefix == "" {
			prefix = filepath.Dir(out)
		}
		s.Validate = []string{"nginx", "-t", "-q", "-p", prefix, "-c", FilePlaceholder}
	}
	return s, nil
}

// Pipeline builds the pipeline of c reading Marathon through src (its State
// set when nil), without a Sink: the caller adds one (Sink, or its own for
// --print-data) and the metrics. Call Validate first.
func (c *Config) Pipeline(src *Source) (*Pipeline, error) {
	sel, err := c.SelectOptions()
	if err != nil {
		return nil, err
	}
	renderer, err := c.Renderer()
	if err != nil {
		return nil, err
	}
	if src.State == nil {
		src.State = &LiveState{}
	}
	if src.Resync == 0 {
		src.Resync = c.Resync
	}
	return &Pipeline{
		Source:            src,
		Select:            sel,
		Health:            NewHealthMemory(c.HealthGrace, time.Now),
		Renderer:          renderer,
		Debounce:          c.Debounce(),
		MinReloadInterval: c.MinReloadInterval(),
		// A user template can depend on anything: validate every change.
		FastPath: c.Template == "",
		Runtime:  c.Runtime(),
		Resolver: c.Resolver(),
	}, nil
}
