package lb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gambol99/go-marathon"

	"pacer.dev/pacer/internal/loopback"
)

// nginxRig runs the pipeline's passes by hand (Pass) in front of a real
// nginx with dynamic upstreams (RenderOptions.NginxAPI), reloaded by a
// command that also counts its runs.
type nginxRig struct {
	t       *testing.T
	c       *cluster
	state   *LiveState
	p       *Pipeline
	rt      *NginxRuntime
	prefix  string
	conf    string
	reloads string // file the reload command appends a line to
}

// requireLua returns nginx's lua modules, failing like requireBinary when
// they are missing (make deps installs libnginx-mod-http-lua and
// lua-resty-core).
func requireLua(t testing.TB) []string {
	t.Helper()
	requireBinary(t, "nginx")
	mods := DetectLuaModules()
	if mods == nil {
		t.Fatal("nginx lua module not found: install it with `make deps` (Debian: apt-get install libnginx-mod-http-lua lua-resty-core)")
	}
	return mods
}

func newNginxRig(t *testing.T, apps ...marathon.Application) *nginxRig {
	t.Helper()
	nginx := requireBinary(t, "nginx")
	mods := requireLua(t)
	prefix := t.TempDir()
	addr := loopback.Addr(t)
	c := &cluster{addr: addr, httpPort: loopback.Port(t, addr)}
	r := &nginxRig{t: t, c: c, state: &LiveState{}, prefix: prefix, conf: filepath.Join(prefix, "nginx.conf"),
		reloads: filepath.Join(prefix, "reloads")}
	opts := c.renderOptions()
	opts.NginxAPI = "unix:" + filepath.Join(prefix, "api.sock")
	opts.LuaModules = mods
	r.rt = &NginxRuntime{API: opts.NginxAPI}
	sink := &FileSink{Path: r.conf, Validate: []string{nginx, "-t", "-q", "-p", prefix, "-c", FilePlaceholder}}
	r.p = &Pipeline{Source: &Source{State: r.state}, Renderer: NginxRenderer{Options: opts}, Sink: sink,
		Select: SelectOptions{Flavor: FlavorNixy}, FastPath: true, Runtime: r.rt}
	// The first config is written before nginx runs, so without a reload
	// command; the next pass finds it unchanged and in use.
	if st := r.pass(apps...); st.Err != nil {
		t.Fatalf("first pass: %+v", st)
	}
	pid := startServer(t, nginx, "-p", prefix, "-c", r.conf, "-e", "stderr", "-g", "daemon off;")
	sink.Reload = []string{"sh", "-c", "echo >> " + r.reloads + " && kill -HUP " + strconv.Itoa(pid)}
	eventually(t, 10*time.Second, func() error { _, err := r.rt.Lists(t.Context()); return err })
	if st := r.pass(apps...); st.Changed || st.Err != nil {
		t.Fatalf("second pass: %+v", st)
	}
	return r
}

func (r *nginxRig) pass(apps ...marathon.Application) Status {
	r.t.Helper()
	r.state.Replace(apps, nil)
	st, ok := r.p.Pass(r.t.Context(), time.Time{})
	if !ok {
		r.t.Fatal("not rendered")
	}
	return st
}

// reloadCount is how many times the reload command ran.
func (r *nginxRig) reloadCount() int {
	b, err := os.ReadFile(r.reloads)
	if errors.Is(err, os.ErrNotExist) {
		return 0
	}
	if err != nil {
		r.t.Fatal(err)
	}
	return bytes.Count(b, []byte("\n"))
}

func localTask(n, port int, alive bool) *marathon.Task {
	return task(n, onHost("127.0.0.1"), ports(port), withTaskID("web."+strconv.Itoa(n)), health(alive))
}

// TestNginxDynamicNoReload: with --nginx-api, task changes reach the
// running nginx through pacer's upstream API, with no reload and traffic
// following; the file keeps the current list for the next start; a new
// app is structure (validated, reloaded); a reload keeps the lists sent.
func TestNginxDynamicNoReload(t *testing.T) {
	web1, web2, web3, api := namedHTTP(t, "web-1"), namedHTTP(t, "web-2"), namedHTTP(t, "web-3"), namedHTTP(t, "api-1")
	web := func(tasks ...*marathon.Task) marathon.Application {
		return app("/shop/web", withPorts(0), withLabel("subdomain", "web.test"), withHealthCheck("HTTP"), withTasks(tasks...))
	}
	apiApp := app("/shop/api", withPorts(0), withLabel("subdomain", "api.test"),
		withTasks(task(9, onHost("127.0.0.1"), ports(api), withTaskID("api.9"))))
	r := newNginxRig(t, web(localTask(1, web1, true), localTask(2, web2, true)))
	c := r.c
	checkServing(t, c, "web.test", "web-1", "web-2")

	steps := []struct {
		name  string
		tasks []*marathon.Task
		want  []string
	}{
		{"web-2 unhealthy", []*marathon.Task{localTask(1, web1, true), localTask(2, web2, false)}, []string{"web-1"}},
		{"web-2 healthy again", []*marathon.Task{localTask(1, web1, true), localTask(2, web2, true)}, []string{"web-1", "web-2"}},
		{"web-3 replaces web-1", []*marathon.Task{localTask(2, web2, true), localTask(3, web3, true)}, []string{"web-2", "web-3"}},
		{"web-2 killing", []*marathon.Task{task(2, onHost("127.0.0.1"), ports(web2), withTaskID("web.2"), health(true), inState("TASK_KILLING")), localTask(3, web3, true)}, []string{"web-3"}},
	}
	for _, s := range steps {
		st := r.pass(web(s.tasks...))
		if !st.Runtime || st.Reloaded || st.Validated || !st.Changed || st.Err != nil {
			t.Fatalf("%s: %+v, want an API update without reload", s.name, st)
		}
		checkServing(t, c, "web.test", s.want...)
	}
	if n := r.reloadCount(); n != 0 {
		t.Errorf("%d reloads for task changes, want 0", n)
	}
	// The file carries the current list, for a restarted nginx.
	if conf := string(readFile(t, r.conf)); !strings.Contains(conf, `pacer.balance("shop_web_0", "127.0.0.1:`+strconv.Itoa(web3)+`")`) {
		t.Errorf("config file does not list web-3 alone:\n%s", conf)
	}

	// A new app is structure: lists sent first, then validated and reloaded.
	st := r.pass(web(localTask(3, web3, true)), apiApp)
	if st.Runtime || !st.Validated || !st.Reloaded || st.Err != nil {
		t.Fatalf("new app: %+v, want validated and reloaded", st)
	}
	checkServing(t, c, "api.test", "api-1")
	checkServing(t, c, "web.test", "web-3")
	// After the reload, API updates still reach the new workers.
	st = r.pass(web(localTask(1, web1, true), localTask(3, web3, true)), apiApp)
	if !st.Runtime || st.Err != nil {
		t.Fatalf("task change after the reload: %+v", st)
	}
	checkServing(t, c, "web.test", "web-1", "web-3")
	if n := r.reloadCount(); n != 1 {
		t.Errorf("%d reloads, want 1 (the new app)", n)
	}
	lists, err := r.rt.Lists(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lists {
		slices.Sort(l)
	}
	want := map[string][]string{
		"shop_api_0": {"127.0.0.1:" + strconv.Itoa(api)},
		"shop_web_0": {"127.0.0.1:" + strconv.Itoa(web1), "127.0.0.1:" + strconv.Itoa(web3)},
	}
	slices.Sort(want["shop_web_0"])
	if fmt.Sprint(lists) != fmt.Sprint(want) {
		t.Errorf("nginx holds %v, want %v", lists, want)
	}
}

// TestNginxDynamicHostNamesReload: a task known by host name cannot go
// through the Lua balancer (it takes addresses): its upstream keeps static
// server lines and changes by reload, until a HostCache resolves the name.
func TestNginxDynamicHostNamesReload(t *testing.T) {
	web1, web2 := namedHTTP(t, "web-1"), namedHTTP(t, "web-2")
	named := func(ports_ ...int) marathon.Application {
		var ts []*marathon.Task
		for i, p := range ports_ {
			ts = append(ts, task(i+1, onHost("localhost"), ports(p), withTaskID("named."+strconv.Itoa(i))))
		}
		return app("/shop/named", withPorts(0), withLabel("subdomain", "named.test"), withTasks(ts...))
	}
	r := newNginxRig(t, named(web1))
	checkServing(t, r.c, "named.test", "web-1")
	if conf := string(readFile(t, r.conf)); !strings.Contains(conf, "server localhost:"+strconv.Itoa(web1)+";") {
		t.Fatalf("upstream of a named host is not static:\n%s", conf)
	}
	st := r.pass(named(web1, web2))
	if st.Runtime || !st.Reloaded || st.Err != nil {
		t.Fatalf("named task change: %+v, want a reload", st)
	}
	checkServing(t, r.c, "named.test", "web-1", "web-2")

	// With a HostCache the name becomes an address: one reload to make the
	// upstream dynamic, then task changes go through the API.
	r.p.Resolver = &HostCache{Clock: newStepClock(), Lookup: func(_ context.Context, host string) ([]net.IP, error) {
		if host != "localhost" {
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		}
		return []net.IP{net.ParseIP("127.0.0.1")}, nil
	}}
	if st := r.pass(named(web1, web2)); st.Runtime || !st.Reloaded || st.Err != nil {
		t.Fatalf("named tasks resolved: %+v, want one reload (the upstream becomes dynamic)", st)
	}
	if st := r.pass(named(web2)); !st.Runtime || st.Reloaded || st.Err != nil {
		t.Fatalf("resolved task change: %+v, want an API update without reload", st)
	}
	checkServing(t, r.c, "named.test", "web-2")
	if n := r.reloadCount(); n != 2 {
		t.Errorf("%d reloads, want 2", n)
	}
}

// TestNginxUpstreamAPIChecksInput: the API refuses a request with any bad
// line or address as a whole, storing nothing, and never accepts an empty
// list as a list (it deletes the name: the config's list applies).
func TestNginxUpstreamAPIChecksInput(t *testing.T) {
	web1, web2 := namedHTTP(t, "web-1"), namedHTTP(t, "web-2")
	r := newNginxRig(t, app("/shop/web", withPorts(0), withLabel("subdomain", "web.test"),
		withTasks(task(1, onHost("127.0.0.1"), ports(web1), withTaskID("web.1")))))
	good := "shop_web_0 127.0.0.1:" + strconv.Itoa(web2)
	for _, body := range []string{
		good + "\nshop_web_0 127.0.0.1:0",
		good + "\nother_0 10.0.0.300:80",
		good + "\nother_0 web.example.com:80",
		good + "\nother_0 [::1]:80",
		good + "\nbad\"name 10.0.0.1:80",
	} {
		err := r.rt.post(t.Context(), false, bytes.NewBufferString(body))
		if err == nil || !strings.Contains(err.Error(), "400") {
			t.Errorf("POST %q: %v, want 400", body, err)
		}
	}
	checkServing(t, r.c, "web.test", "web-1")

	if err := r.rt.post(t.Context(), false, bytes.NewBufferString(good)); err != nil {
		t.Fatal(err)
	}
	checkServing(t, r.c, "web.test", "web-2")
	// An empty list removes what was sent: the config's list serves again.
	if err := r.rt.post(t.Context(), false, bytes.NewBufferString("shop_web_0\n")); err != nil {
		t.Fatal(err)
	}
	checkServing(t, r.c, "web.test", "web-1")
	code, _, err := rawAPI(t, r.rt, http.MethodDelete)
	if err != nil || code != http.StatusMethodNotAllowed {
		t.Errorf("DELETE = %d, %v; want 405", code, err)
	}
}

func rawAPI(t *testing.T, rt *NginxRuntime, method string) (int, string, error) {
	base, client := rt.endpoint()
	req, err := http.NewRequestWithContext(t.Context(), method, base+NginxUpstreamsPath, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// apiRecorder is a fake upstream API recording the requests it gets.
type apiRecorder struct {
	mu     sync.Mutex
	calls  []string // "full|delta: body"
	status int
}

func (a *apiRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	a.mu.Lock()
	defer a.mu.Unlock()
	mode := "delta"
	if r.URL.Query().Get("mode") == "full" {
		mode = "full"
	}
	a.calls = append(a.calls, mode+": "+string(b))
	if a.status != 0 {
		http.Error(w, "no memory", a.status)
		return
	}
	io.WriteString(w, "ok\n")
}

func (a *apiRecorder) take() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	c := a.calls
	a.calls = nil
	return c
}

func TestNginxRuntimeUpdate(t *testing.T) {
	rec := &apiRecorder{}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	rt := &NginxRuntime{API: strings.TrimPrefix(srv.URL, "http://"), Timeout: time.Second}
	web := func(servers ...Server) Backend {
		return Backend{Name: "web_0", AppID: "/web", Protocol: ProtocolHTTP, Hosts: []string{"web"}, Servers: servers}
	}
	db := func(servers ...Server) Backend {
		return Backend{Name: "db_0", AppID: "/db", Protocol: ProtocolTCP, ServicePort: 10001, Servers: servers}
	}
	s1, s2 := Server{TaskID: "t1", Host: "10.0.0.1", Port: 31000}, Server{TaskID: "t2", Host: "10.0.0.2", Port: 31001}
	named := Server{TaskID: "t3", Host: "agent-3", Port: 31002}
	ctx := context.Background()

	// Lists unknown: everything is sent, replacing what nginx holds.
	n, err := rt.Update(ctx, []Backend{web(s1), db(s1)}, []Backend{web(s1, s2), db(s1)})
	if err != nil || n != 1 {
		t.Fatalf("first update = %d, %v", n, err)
	}
	if got, want := rec.take(), []string{"full: web_0 10.0.0.1:31000 10.0.0.2:31001\n"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("first update sent %q, want %q", got, want)
	}
	// Then only what changed.
	if n, err := rt.Update(ctx, []Backend{web(s1, s2)}, []Backend{web(s2)}); err != nil || n != 1 {
		t.Fatalf("second update = %d, %v", n, err)
	}
	if got, want := rec.take(), []string{"delta: web_0 10.0.0.2:31001\n"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("second update sent %q, want %q", got, want)
	}
	if n, err := rt.Update(ctx, []Backend{web(s2)}, []Backend{web(s2)}); err != nil || n != 0 || len(rec.take()) != 0 {
		t.Errorf("no change = %d, %v; want no request", n, err)
	}
	// Not through the API: stream services, names, new upstreams.
	for name, tc := range map[string][2][]Backend{
		"stream": {{web(s2), db(s1)}, {web(s2), db(s2)}},
		"name":   {{web(s2)}, {web(s2, named)}},
		"new":    {{web(s2)}, {web(s2), {Name: "api_0", Protocol: ProtocolHTTP, Servers: []Server{s1}}}},
	} {
		if _, err := rt.Update(ctx, tc[0], tc[1]); !errors.Is(err, ErrNotRuntime) {
			t.Errorf("%s: %v, want ErrNotRuntime", name, err)
		}
	}
	if got := rec.take(); len(got) != 0 {
		t.Errorf("refused updates sent %q", got)
	}
	// A failed request makes the lists unknown: the next update sends all.
	rec.status = http.StatusInsufficientStorage
	if _, err := rt.Update(ctx, []Backend{web(s2)}, []Backend{web(s1)}); err == nil || !strings.Contains(err.Error(), "no memory") {
		t.Errorf("failing API: %v", err)
	}
	rec.status = 0
	rec.take()
	if _, err := rt.Update(ctx, []Backend{web(s1)}, []Backend{web(s1, s2)}); err != nil {
		t.Fatal(err)
	}
	if got := rec.take(); len(got) != 1 || !strings.HasPrefix(got[0], "full: ") {
		t.Errorf("after a failure sent %q, want a full replace", got)
	}
	// Sync sends the lists once; again only when they changed.
	bs := []Backend{web(s1), db(s2)}
	for range 2 {
		if err := rt.Sync(ctx, bs); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := rec.take(), []string{"full: web_0 10.0.0.1:31000\n"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("syncs sent %q, want %q", got, want)
	}
}

// TestNginxRuntimeNotListening: with no nginx behind the API, Sync is
// fine (nginx will start on the config's lists) but Update fails, so the
// pipeline takes the reload path.
func TestNginxRuntimeNotListening(t *testing.T) {
	rt := &NginxRuntime{API: "unix:" + filepath.Join(t.TempDir(), "none.sock"), Timeout: time.Second}
	bs := []Backend{{Name: "web_0", Protocol: ProtocolHTTP, Servers: []Server{{Host: "10.0.0.1", Port: 80}}}}
	if err := rt.Sync(context.Background(), bs); err != nil {
		t.Errorf("Sync without nginx: %v, want nil", err)
	}
	if _, err := rt.Update(context.Background(), bs, bs); err == nil {
		t.Error("Update without nginx: nil error, want one")
	}
}
