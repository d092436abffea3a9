package lb

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"strconv"
)

// Renderer turns backends into a load balancer config. Renderers are pure:
// the same backends give the same bytes.
type Renderer interface {
	Render(backends []Backend) ([]byte, error)
}

// DefaultListenHTTP is where HTTP virtual hosts are served when
// RenderOptions.ListenHTTP is empty.
const DefaultListenHTTP = ":80"

// RenderOptions are the settings of the rendered config that do not come
// from Marathon. Relative nginx paths are relative to the prefix nginx is
// started with (nginx -p PREFIX), so a config rendered with the defaults runs
// as is for an unprivileged user: `nginx -p PREFIX -c FILE`.
type RenderOptions struct {
	// ListenHTTP is the address of the HTTP virtual hosts (--listen-http),
	// "[host]:port"; default ":80".
	ListenHTTP string `json:"listenHTTP"`
	// Bind is the address TCP/UDP services listen on (--bind); empty means
	// all addresses.
	Bind string `json:"bind,omitempty"`

	// nginx.

	// StreamModule is the path of ngx_stream_module.so, loaded with
	// load_module when there are stream backends. Leave empty when nginx has
	// the stream module built in (see DetectStreamModule).
	StreamModule string `json:"streamModule,omitempty"`
	// NginxAPI is where nginx serves pacer's upstream API (--nginx-api):
	// "unix:/path/to/socket" or "host:port", never a public address. When
	// set, HTTP upstreams whose tasks all have IPv4 addresses are balanced
	// by a Lua balancer, and task changes reach the running nginx through
	// the API without a reload (NginxRuntime). Needs nginx's lua module
	// and lua-resty-core (Debian: libnginx-mod-http-lua, lua-resty-core).
	NginxAPI string `json:"nginxAPI,omitempty"`
	// LuaModules are loaded with load_module when NginxAPI is set, in
	// order; see DetectLuaModules. Empty when the lua module is built in.
	LuaModules []string `json:"luaModules,omitempty"`
	// User sets nginx's user directive; empty omits it (the directive only
	// matters when the master runs as root).
	User string `json:"user,omitempty"`
	// PIDFile is nginx's pid file; default "nginx.pid" (relative to the prefix).
	PIDFile string `json:"pidFile,omitempty"`
	// ErrorLog is nginx's error log; default "stderr".
	ErrorLog string `json:"errorLog,omitempty"`
	// AccessLog is nginx's access log; default "off".
	AccessLog string `json:"accessLog,omitempty"`
	// TempDir holds nginx's temp directories (client_body, proxy, ...);
	// default "" puts them at the prefix root as "<name>_temp". It must exist.
	TempDir string `json:"tempDir,omitempty"`

	// HAProxy.

	// StatsSocket is the HAProxy admin socket (a path); empty means none.
	StatsSocket string `json:"statsSocket,omitempty"`
	// MaxConn is HAProxy's global maxconn; 0 leaves it to HAProxy, which
	// derives it from the file descriptor limit (marathon-lb sets 50000, which
	// fails to start where the limit is lower).
	MaxConn int `json:"maxConn,omitempty"`
	// HAProxyPIDFile is HAProxy's pid file; empty means none.
	HAProxyPIDFile string `json:"haproxyPidFile,omitempty"`
}

func (o RenderOptions) listenHTTP() string {
	if o.ListenHTTP == "" {
		return DefaultListenHTTP
	}
	return o.ListenHTTP
}

// bindAddr is Bind joined with port, or ":port" when Bind is empty.
func (o RenderOptions) bindAddr(port int) string {
	return net.JoinHostPort(o.Bind, strconv.Itoa(port))
}

// bindFor is where backend b's service port listens: its own address
// (HAPROXY_{n}_BIND_ADDR, "*" for all addresses) over Bind.
func (o RenderOptions) bindFor(b Backend) string {
	switch b.BindAddr {
	case "":
		return o.bindAddr(b.ServicePort)
	case "*":
		return net.JoinHostPort("", strconv.Itoa(b.ServicePort))
	}
	return net.JoinHostPort(b.BindAddr, strconv.Itoa(b.ServicePort))
}

// Data is what templates see: the backends (sorted by name) and the options.
// Its JSON form is `pacer lb --print-data`.
type Data struct {
	Backends []Backend     `json:"backends"`
	Options  RenderOptions `json:"options"`
}

// HTTP returns the HTTP backends.
func (d Data) HTTP() []Backend {
	return filterBackends(d.Backends, func(b Backend) bool { return !b.Stream() })
}

// Stream returns the TCP and UDP backends.
func (d Data) Stream() []Backend { return filterBackends(d.Backends, Backend.Stream) }

func filterBackends(bs []Backend, keep func(Backend) bool) []Backend {
	var out []Backend
	for _, b := range bs {
		if keep(b) {
			out = append(out, b)
		}
	}
	return out
}

// PrintData writes the data model as indented JSON.
func PrintData(w io.Writer, d Data) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return fmt.Errorf("print lb data: %w", err)
	}
	return nil
}
