package lb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/go-logr/logr"
)

// Dynamic nginx upstreams: nginx has no API to change an upstream's servers
// without a reload (that is NGINX Plus), so with RenderOptions.NginxAPI the
// nginx renderer hands the choice of server to a Lua balancer (Debian's
// libnginx-mod-http-lua with lua-resty-core's ngx.balancer, the way
// Kubernetes' ingress-nginx avoids reloads). Each HTTP upstream whose tasks
// all have IPv4 addresses becomes
//
//	upstream web_0 {
//	    server 0.0.0.1:1; # placeholder, never used
//	    balancer_by_lua_block { pacer.balance("web_0", "10.0.0.1:31000 10.0.0.2:31004") }
//	}
//
// The string is the server list of the config (used when nginx has just
// started); the list pacer last sent through the API, kept in the shared
// dict pacer_upstreams, takes precedence. pacer sends lists with
// NginxRuntime: a list per changed upstream on a task change, and every list
// (Sync, "replace all") before any reload, so a reloaded nginx never prefers
// a list older than its config. Lists are never empty (an upstream without
// tasks is structure: the 503 server) and hold only IPv4 address:port
// pairs, which the API checks again before storing anything; a request
// whose task refuses the connection is retried on the next one.

// NginxUpstreamsPath is the path of the upstream API on RenderOptions.NginxAPI.
const NginxUpstreamsPath = "/pacer/upstreams"

// nginxDictName is the shared dict holding the lists sent through the API.
const nginxDictName = "pacer_upstreams"

// nginxLua is the Lua code of the dynamic upstreams, run by init_by_lua_block
// (in the master, once per config load). pacer.balance picks a server for a
// request (round robin per worker, the next server on each retry);
// pacer.api serves NginxUpstreamsPath: GET lists every stored upstream,
// POST takes lines "name addr:port addr:port ..." (an empty list deletes
// the name), with ?mode=full deleting every name not listed. A POST is
// checked whole before anything is stored.
const nginxLua = `pacer = {}
        do
            local balancer = require "ngx.balancer"
            local dict = ngx.shared.pacer_upstreams
            local cache, turn = {}, {}
            local function parse(raw)
                local list = {}
                for host, port in raw:gmatch("(%d+%.%d+%.%d+%.%d+):(%d+)") do
                    list[#list + 1] = { host, tonumber(port) }
                end
                return list
            end
            function pacer.balance(name, static)
                local raw = dict:get(name) or static
                local c = cache[name]
                if c == nil or c.raw ~= raw then
                    c = { raw = raw, list = parse(raw) }
                    cache[name] = c
                end
                local n = #c.list
                if n == 0 then
                    ngx.log(ngx.ERR, "pacer: upstream ", name, " has no server")
                    return ngx.exit(ngx.ERROR)
                end
                local ctx = ngx.ctx
                local i = ctx.pacer_peer
                if i == nil then
                    i = (turn[name] or math.random(n)) % n + 1
                    turn[name] = i
                    if n > 1 then balancer.set_more_tries(n - 1) end
                else
                    i = i % n + 1
                end
                ctx.pacer_peer = i
                local ok, err = balancer.set_current_peer(c.list[i][1], c.list[i][2])
                if not ok then
                    ngx.log(ngx.ERR, "pacer: upstream ", name, ": ", err)
                    return ngx.exit(ngx.ERROR)
                end
            end
            local function valid(addr)
                local a, b, c, d, port = addr:match("^(%d+)%.(%d+)%.(%d+)%.(%d+):(%d+)$")
                if a == nil then return false end
                for _, octet in ipairs({ a, b, c, d }) do
                    if tonumber(octet) > 255 then return false end
                end
                port = tonumber(port)
                return port >= 1 and port <= 65535
            end
            local function refuse(status, msg)
                ngx.status = status
                ngx.say(msg)
                return ngx.exit(status)
            end
            function pacer.api()
                local method = ngx.req.get_method()
                if method == "GET" then
                    local keys = dict:get_keys(0)
                    table.sort(keys)
                    for _, k in ipairs(keys) do
                        ngx.say(k, " ", dict:get(k))
                    end
                    return
                end
                if method ~= "POST" then
                    return refuse(405, "GET or POST")
                end
                ngx.req.read_body()
                local body = ngx.req.get_body_data() or ""
                local lists, names = {}, {}
                for line in body:gmatch("[^\n]+") do
                    local name, rest = line:match("^([%w_%.%-]+)(.*)$")
                    if name == nil then
                        return refuse(400, "bad line: " .. line)
                    end
                    for addr in rest:gmatch("%S+") do
                        if not valid(addr) then
                            return refuse(400, "upstream " .. name .. ": bad address " .. addr)
                        end
                    end
                    lists[name] = rest:match("^%s*(.-)%s*$")
                    names[#names + 1] = name
                end
                if ngx.var.arg_mode == "full" then
                    for _, k in ipairs(dict:get_keys(0)) do
                        if lists[k] == nil then dict:delete(k) end
                    end
                end
                for _, name in ipairs(names) do
                    local list = lists[name]
                    if list == "" then
                        dict:delete(name)
                    else
                        local ok, err = dict:safe_set(name, list)
                        if not ok then
                            return refuse(507, "upstream " .. name .. ": " .. err)
                        end
                    end
                end
                ngx.say("ok ", #names)
            end
        end`

// dynamicUpstream reports whether the nginx renderer with opts balances b
// through the Lua balancer: an HTTP backend with servers, all IPv4
// addresses (what the balancer and the API accept). Anything else is
// rendered with static server lines and changes by reload.
func dynamicUpstream(opts RenderOptions, b Backend) bool {
	if opts.NginxAPI == "" || b.Stream() || len(b.Servers) == 0 {
		return false
	}
	for _, s := range b.Servers {
		if !isIPv4(s.Host) {
			return false
		}
	}
	return true
}

func isIPv4(host string) bool {
	a, err := netip.ParseAddr(host)
	return err == nil && a.Is4()
}

// nginxDictSize is the size of the shared dict for backends: room for
// eight times the lists (shared dict entries cost far more than their
// bytes), at least 1 MiB, rounded up to a power of two so that it changes
// rarely. It is structure: a change is a reload.
func nginxDictSize(opts RenderOptions, backends []Backend) int {
	n := 0
	for _, b := range backends {
		if dynamicUpstream(opts, b) {
			n += 128 + len(b.Name) + 22*len(b.Servers)
		}
	}
	return pow2(max(1<<20, 8*n))
}

// writeServerList writes b's servers as "addr:port addr:port".
func writeServerList(w *bytes.Buffer, b Backend) {
	for i, s := range b.Servers {
		if i > 0 {
			w.WriteByte(' ')
		}
		writeAddr(w, s)
	}
}

// DetectLuaModules returns the module files nginx must load for NginxAPI
// where the distribution ships them separately (Debian's
// libnginx-mod-http-ndk and libnginx-mod-http-lua), in load order, or nil
// when they are not found (nginx then needs the lua module built in, as in
// OpenResty).
func DetectLuaModules() []string {
	for _, dir := range []string{"/usr/lib/nginx/modules", "/usr/lib64/nginx/modules"} {
		mods := []string{dir + "/ndk_http_module.so", dir + "/ngx_http_lua_module.so"}
		ok := true
		for _, m := range mods {
			if _, err := os.Stat(m); err != nil {
				ok = false
			}
		}
		if ok {
			return mods
		}
	}
	return nil
}

// NginxRuntime is the RuntimeUpdater of nginx's dynamic upstreams: it sends
// server lists to the upstream API that NginxRenderer renders for
// RenderOptions.NginxAPI.
type NginxRuntime struct {
	// API is RenderOptions.NginxAPI: "unix:/path/to/socket" or "host:port".
	API string
	// Timeout bounds one request; zero means 5s.
	Timeout time.Duration

	client *http.Client
	// synced is the backends whose lists nginx holds, all of them (the
	// last Sync or Update that worked); nil when unknown.
	synced []Backend
}

var _ RuntimeUpdater = (*NginxRuntime)(nil)

// Update implements RuntimeUpdater: it sends the lists of the upstreams
// whose servers changed, or every list when the lists nginx holds are
// unknown. A changed backend that is not a dynamic upstream (a stream
// service, a task known by host name) is ErrNotRuntime.
func (n *NginxRuntime) Update(ctx context.Context, prev, next []Backend) (int, error) {
	old := make(map[string]Backend, len(prev))
	for _, b := range prev {
		old[b.Name] = b
	}
	full := n.synced == nil // the lists nginx holds are unknown: send them all
	var body bytes.Buffer
	count := 0
	for _, b := range next {
		was, ok := old[b.Name]
		if ok && slices.Equal(was.Servers, b.Servers) {
			if full && n.dynamic(b) {
				writeListLine(&body, b)
				count++
			}
			continue
		}
		if !ok || !n.dynamic(b) || !n.dynamic(was) {
			return 0, fmt.Errorf("upstream %s is not dynamic: %w", b.Name, ErrNotRuntime)
		}
		writeListLine(&body, b)
		count++
	}
	if count == 0 && !full {
		return 0, nil
	}
	if err := n.post(ctx, full, &body); err != nil {
		n.synced = nil
		return 0, err
	}
	n.synced = next
	logr.FromContextOrDiscard(ctx).V(1).Info("Updated nginx upstreams through pacer's API", "upstreams", count)
	return count, nil
}

// Sync makes nginx hold exactly the lists of backends' dynamic upstreams
// (one "replace all" request, skipped when it already does). The pipeline
// calls it before every config write that may reload, so a reloaded nginx
// never takes an older list over its config. An nginx that is not running
// (nothing listens on API) needs nothing: it starts on the config's lists.
func (n *NginxRuntime) Sync(ctx context.Context, backends []Backend) error {
	if n.synced != nil && sameServers(n.synced, backends) {
		return nil
	}
	var body bytes.Buffer
	for _, b := range backends {
		if n.dynamic(b) {
			writeListLine(&body, b)
		}
	}
	err := n.post(ctx, true, &body)
	switch {
	case err == nil:
		n.synced = backends
		return nil
	case notListening(err):
		n.synced = nil
		logr.FromContextOrDiscard(ctx).V(1).Info("nginx upstream API not listening; nginx will start on the config's lists", "api", n.API)
		return nil
	default:
		n.synced = nil
		return err
	}
}

func (n *NginxRuntime) dynamic(b Backend) bool {
	return dynamicUpstream(RenderOptions{NginxAPI: n.API}, b)
}

func writeListLine(w *bytes.Buffer, b Backend) {
	w.WriteString(b.Name)
	w.WriteByte(' ')
	writeServerList(w, b)
	w.WriteByte('\n')
}

func sameServers(a, b []Backend) bool {
	return slices.EqualFunc(a, b, func(x, y Backend) bool {
		return x.Name == y.Name && slices.Equal(x.Servers, y.Servers)
	})
}

func (n *NginxRuntime) post(ctx context.Context, full bool, body *bytes.Buffer) error {
	ctx, cancel := context.WithTimeout(ctx, cmpOrDur(n.Timeout, 5*time.Second))
	defer cancel()
	base, client := n.endpoint()
	url := base + NginxUpstreamsPath
	if full {
		url += "?mode=full"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, body)
	if err != nil {
		return fmt.Errorf("nginx upstream api %s: %w", n.API, err)
	}
	req.Header.Set("Content-Type", "text/plain")
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("nginx upstream api %s: %w", n.API, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("nginx upstream api %s: %s: %s", n.API, resp.Status, strings.TrimSpace(string(out)))
	}
	return nil
}

// endpoint is the base URL and client for API.
func (n *NginxRuntime) endpoint() (string, *http.Client) {
	socket, isUnix := strings.CutPrefix(n.API, "unix:")
	if n.client == nil {
		tr := &http.Transport{MaxIdleConns: 1, IdleConnTimeout: 30 * time.Second}
		if isUnix {
			tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, "unix", socket)
			}
		}
		n.client = &http.Client{Transport: tr}
	}
	if isUnix {
		return "http://nginx", n.client
	}
	return "http://" + n.API, n.client
}

// notListening reports a request that found no nginx: connection refused,
// or no socket file.
func notListening(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOENT)
}

// Lists reads the lists nginx holds (GET on the upstream API), by
// upstream name. For tests and `curl`-free debugging.
func (n *NginxRuntime) Lists(ctx context.Context) (map[string][]string, error) {
	ctx, cancel := context.WithTimeout(ctx, cmpOrDur(n.Timeout, 5*time.Second))
	defer cancel()
	base, client := n.endpoint()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+NginxUpstreamsPath, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("nginx upstream api %s: %w", n.API, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("nginx upstream api %s: %s: %v", n.API, resp.Status, err)
	}
	lists := map[string][]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(l)
		if len(f) > 0 {
			lists[f[0]] = f[1:]
		}
	}
	return lists, nil
}

// nginxAPIListen is the listen parameter of NginxAPI.
func nginxAPIListen(api string) string {
	if strings.HasPrefix(api, "unix:") {
		return api
	}
	return nginxListen(api)
}
