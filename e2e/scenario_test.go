package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"pacer.dev/pacer/election/zktest"
	"pacer.dev/pacer/internal/gittest"
	"pacer.dev/pacer/internal/loopback"
)

// The apps examples/specs runs in cluster ams (sync/production is manual:
// planned, never applied), with the images of the examples.
var scenarioWant = map[string]string{
	"/services/autofill/production/app":           "registry.example/autofill/app:3fb4278",
	"/services/autofill/production/checks":        "registry.example/autofill/checks:3fb4278",
	"/services/autofill/production/fluentd":       "registry.example/infra/fluentd:1.16.2",
	"/services/autofill/production/memcached":     "memcached:1.6.21-alpine",
	"/services/autofill/production/mms":           "registry.example/infra/mms-agent:10.2.0",
	"/services/autofill/production/mongo":         "mongo:4.4.29",
	"/services/autofill/production/statsd":        "statsd/statsd:v0.10.2",
	"/services/autofill/production/telegraf":      "telegraf:1.28.5",
	"/services/autofill/test/app":                 "registry.example/autofill/app:3fb4278",
	"/services/autofill/test/checks":              "registry.example/autofill/checks:3fb4278",
	"/services/autofill/test/fluentd":             "registry.example/infra/fluentd:1.16.2",
	"/services/autofill/test/memcached":           "memcached:1.6.21-alpine",
	"/services/autofill/test/mms":                 "registry.example/infra/mms-agent:10.2.0",
	"/services/autofill/test/mongo":               "mongo:4.4.29",
	"/services/autofill/test/statsd":              "statsd/statsd:v0.10.2",
	"/services/autofill/test/telegraf":            "telegraf:1.28.5",
	"/services/favicostore/production/api":        "registry.example/favicostore/api:v2.14.1",
	"/services/favicostore/production/redis":      "redis:7.2.4-alpine",
	"/services/speeddials/production/web":         "registry.example/speeddials/web:1.9.3",
	"/services/speeddials/production/thumbnailer": "registry.example/speeddials/thumbnailer:0.7.0",
}

const (
	scenarioWeb      = "/services/speeddials/production/web"
	scenarioIcons    = "/services/favicostore/production/api"
	scenarioManual   = "/services/sync/production/server"
	scenarioWebImage = "registry.example/speeddials/web:1.9.4"
	scenarioAPIImage = "registry.example/favicostore/api:v2.15.0"
)

// PagerDuty routing keys (32 characters) of the examples' environments;
// favicostore names a key file that does not exist here, so its incidents
// go to the default key, as do the cluster's.
var scenarioKeys = map[string]string{
	"PD_AUTOFILL_PROD": "autofillprodautofillprodautofill",
	"PD_AUTOFILL_TEST": "autofilltestautofilltestautofill",
	"PD_SPEEDDIALS":    "speeddialsspeeddialsspeeddialssp",
	"PD_SYNC_PROD":     "syncprodsyncprodsyncprodsyncprod",
}

// TestScenario is the whole loop on real components: a bare git repo with
// examples/specs, ZooKeeper, two `pacer run` (one leads), marathon-sim with
// the process executor (stand-ins serve each task's ports), real nginx and
// HAProxy each kept converged by `pacer lb`, and a PagerDuty receiver.
//
//  1. The push is deployed: every app of ams runs healthy, the manual
//     environment is only planned, and every task of every served port is
//     reached through nginx (Host from subdomain, stream ports) and
//     HAProxy (vhosts, service ports).
//  2. An image change rolls out under request loops through both LBs:
//     zero failed requests, then only the new tasks answer; the tasks
//     change through the LBs' runtime APIs (HAProxy's stats socket,
//     nginx's upstream API), not reloads.
//  3. A task fails its health check: it leaves both LBs and Unhealthy is
//     paged with the app's dedup key and its environment's routing key.
//     The leader is killed (kill -9) with the incident open: the other
//     instance takes over with the open incident from ZooKeeper, does not
//     page it again, and resolves it once the task is healed.
//  4. An invalid push applies nothing (not even its valid part) and pages
//     InvalidSpecRevision; the fix resolves it and is applied.
//
// Throughout, the two instances never write concurrently and nothing else
// is paged.
func TestScenario(t *testing.T) {
	began := time.Now()
	lap := func(what string, since time.Time) {
		t.Logf("%-55s %6.1fs (at %5.1fs)", what, time.Since(since).Seconds(), time.Since(began).Seconds())
	}
	nginx, haproxy := lookBinary(t, "nginx", "nginx-light libnginx-mod-stream libnginx-mod-http-lua lua-resty-core"), lookBinary(t, "haproxy", "haproxy")
	zk := zktest.Start(t)
	h := &haPair{sim: startSim(t, "--executor", "process", "--task-start", "50ms"), repo: gittest.New(t)}
	h.rec = newWriteRecorder(t, h.sim)
	pd := newFaultPD(t)
	tree := scenarioTree(t)
	h.repo.Push("examples/specs", tree)

	var env []string
	for k, v := range scenarioKeys {
		env = append(env, k+"="+v)
	}
	keyFile := faultKeyFile(t)
	start := time.Now()
	for _, name := range []string{"a", "b"} {
		h.pacers = append(h.pacers, startPacer(t, name, env,
			"--git-url", h.repo.URL(), "--git-path", "specs", "--cluster", "ams",
			"--marathon", h.rec.proxy(t, name), "--zk", zk.Addr(), "--zk-path", "/pacer/scenario",
			"--zk-session-timeout", haSessionTimeout.String(), "--sync-interval", "1s", "--shutdown-timeout", "5s",
			"--pagerduty-endpoint", pd.URL, "--pagerduty-routing-key-file", keyFile,
			"--alert-for", "Unhealthy=1s,InvalidSpecRevision=0s", "--alert-clear-for", "1s"))
	}
	leader, _ := h.leader(t, nil)
	lbs := startScenarioLBs(t, h.sim, nginx, haproxy)

	var apps map[string]scenarioApp
	eventually(t, 60*time.Second, "examples/specs deployed, every task healthy", func() (bool, error) {
		var err error
		apps, err = scenarioConverged(t.Context(), h.sim, scenarioWant)
		return err == nil, err
	})
	lap("push → "+strconv.Itoa(len(scenarioWant))+" apps deployed and healthy", start)
	if _, ok := apps[scenarioManual]; ok {
		t.Errorf("%s (sync policy manual) was applied", scenarioManual)
	}
	eventually(t, 10*time.Second, "the manual environment is reported out of sync", func() (bool, error) {
		st, err := leader.status(t.Context())
		for _, a := range st.Apps {
			if a.ID == scenarioManual {
				return a.Sync == "OutOfSync", fmt.Errorf("%s is %s", a.ID, a.Sync)
			}
		}
		return false, fmt.Errorf("%s not in status: %v", scenarioManual, err)
	})

	start = time.Now()
	routes := scenarioRoutes(apps, lbs)
	eventually(t, 30*time.Second, "every task reached through nginx and HAProxy", func() (bool, error) {
		apps, err := scenarioApps(t.Context(), h.sim)
		if err != nil {
			return false, err
		}
		for _, r := range routes {
			if err := r.reach(t.Context(), lbs, apps[r.app].healthyTasks()); err != nil {
				return false, err
			}
		}
		return true, nil
	})
	lap(fmt.Sprintf("%d routes reach every task", len(routes)), start)
	kinds := map[string]int{}
	for _, r := range routes {
		kind := r.lb + " " + r.proto
		if r.host != "" {
			kind = r.lb + " vhost"
		}
		kinds[kind]++
	}
	t.Logf("routes by LB and kind: %v", kinds)

	// 2. Rolling deploy of an image change under load.
	old := apps[scenarioWeb].healthyTasks()
	loops := []*requestLoop{
		startRequestLoop(t.Context(), "nginx", lbs.nginxHTTP, "speeddials", 3),
		startRequestLoop(t.Context(), "haproxy", lbs.haproxyHTTP, "speeddials.example.com", 3),
	}
	work := lbs.lbWork(t)
	withImage := scenarioEdit(t, tree, "specs/services/speeddials.yaml", "speeddials/web:1.9.3", "speeddials/web:1.9.4")
	h.repo.Push("speeddials web 1.9.4", withImage)
	start = time.Now()
	want := scenarioWith(scenarioWant, scenarioWeb, scenarioWebImage)
	eventually(t, 60*time.Second, "the image change rolled out", func() (bool, error) {
		var err error
		apps, err = scenarioConverged(t.Context(), h.sim, want)
		return err == nil, err
	})
	fresh := apps[scenarioWeb].healthyTasks()
	eventually(t, 10*time.Second, "only new tasks answer through both LBs", func() (bool, error) {
		for _, l := range []struct{ addr, host string }{{lbs.nginxHTTP, "speeddials"}, {lbs.haproxyHTTP, "speeddials.example.com"}} {
			if err := reachEvery(l.addr, fresh, func() (string, error) { return lbTask(t.Context(), l.addr, l.host) }); err != nil {
				return false, err
			}
		}
		return true, nil
	})
	lap("image push → rolled out, only new tasks served", start)
	for _, l := range loops {
		total, byTask, failures := l.finish()
		var oldN, newN int
		for id, n := range byTask {
			switch {
			case slices.Contains(old, id):
				oldN += n
			case slices.Contains(fresh, id):
				newN += n
			default:
				t.Errorf("%s: %d answers from task %s, neither old nor new", l.name, n, id)
			}
		}
		t.Logf("rolling deploy through %s: %d requests, %d failed; %d answered by old tasks, %d by new", l.name, total, len(failures), oldN, newN)
		if len(failures) > 0 {
			t.Errorf("%s: %d of %d requests failed during the rolling deploy, first: %s", l.name, len(failures), total, failures[0])
		}
		if oldN == 0 || newN == 0 || total < 200 {
			t.Errorf("%s: %d requests, %d by old and %d by new tasks: the loop did not span the deploy", l.name, total, oldN, newN)
		}
	}
	after := lbs.lbWork(t)
	t.Logf("LB work for the rolling deploy: nginx %.0f reloads, %.0f upstream API updates; HAProxy %.0f reloads, %.0f runtime API updates",
		after[0]-work[0], after[3]-work[3], after[1]-work[1], after[2]-work[2])
	// The tasks came and went through the runtime APIs: a handful of
	// reloads at most (none expected), never one per task.
	if after[0]-work[0] > 2 || after[1]-work[1] > 2 || after[2] == work[2] || after[3] == work[3] {
		t.Errorf("rolling deploy: nginx %.0f reloads, %.0f API updates; HAProxy %.0f reloads, %.0f API updates; want at most 2 reloads each and API updates",
			after[0]-work[0], after[3]-work[3], after[1]-work[1], after[2]-work[2])
	}

	// 3. A task fails its health check: paged, then healed and resolved.
	sick := fresh[0]
	start = time.Now()
	faultSim(t, h.sim, http.MethodPost, "/sim/v1/tasks/"+sick+"/health", `{"alive": false}`)
	webKey := "pacer/ams" + scenarioWeb + "/Unhealthy"
	pd.waitIncidents(t, 20*time.Second, "Unhealthy paged", map[string][]string{webKey: {"trigger"}})
	lap("task unhealthy → Unhealthy triggered (for 1s)", start)
	eventually(t, 10*time.Second, "the unhealthy task left both LBs", func() (bool, error) {
		rest := slices.DeleteFunc(slices.Clone(fresh), func(id string) bool { return id == sick })
		for _, l := range []struct{ addr, host string }{{lbs.nginxHTTP, "speeddials"}, {lbs.haproxyHTTP, "speeddials.example.com"}} {
			if err := reachEvery(l.addr, rest, func() (string, error) { return lbTask(t.Context(), l.addr, l.host) }); err != nil {
				return false, err
			}
		}
		return true, nil
	})
	// The leader dies with the incident open (kill -9, as a crashed or
	// replaced instance): the follower takes over with the open incident
	// from ZooKeeper, does not page it again however long it still holds,
	// and resolves it once healed.
	killedAt, first := time.Now(), leader
	first.kill()
	leader, _ = h.leader(t, first)
	lap("kill -9 of leader "+first.name+" → "+leader.name+" leads", killedAt)
	tookOver := time.Now()
	eventually(t, 10*time.Second, leader.name+" passes for longer than Unhealthy's for", func() (bool, error) {
		st, err := leader.status(t.Context())
		return err == nil && st.LastPass.After(tookOver.Add(2*time.Second)), err
	})
	start = time.Now()
	faultSim(t, h.sim, http.MethodPost, "/sim/v1/tasks/"+sick+"/health", `{"alive": true}`)
	pd.waitIncidents(t, 20*time.Second, "Unhealthy resolved by the new leader", map[string][]string{webKey: {"trigger", "resolve"}})
	lap("healed → resolved (clear-for 1s)", start)

	// 4. An invalid push: nothing applied, paged; the fix resolves it.
	broken := scenarioEdit(t, withImage, "specs/services/favicostore.yaml", "favicostore/api:v2.14.1", "favicostore/api:v2.15.0")
	broken = scenarioEdit(t, broken, "specs/services/speeddials.yaml", "cpus: 2", "cpus: -2")
	writesBefore := h.rec.len()
	h.repo.Push("favicostore api v2.15.0, thumbnailer with negative cpus", broken)
	bad := h.repo.Head()
	start = time.Now()
	invalidKey := "pacer/ams/-/InvalidSpecRevision"
	pd.waitIncidents(t, 20*time.Second, "InvalidSpecRevision paged", map[string][]string{
		webKey: {"trigger", "resolve"}, invalidKey: {"trigger"}})
	lap("invalid push → InvalidSpecRevision triggered", start)
	var seenAt time.Time
	for _, p := range h.pacers {
		if p == first {
			continue // killed
		}
		eventually(t, 10*time.Second, p.name+" reports the invalid revision", func() (bool, error) {
			st, err := p.status(t.Context())
			if err != nil || st.InvalidRevision == nil || st.InvalidRevision.ID != bad {
				return false, fmt.Errorf("invalid revision %+v: %v", st.InvalidRevision, err)
			}
			if !strings.Contains(st.InvalidRevision.Error, "cpus") || st.Revision.ID == bad {
				t.Errorf("%s: invalid revision %+v, revision in force %s", p.name, st.InvalidRevision, st.Revision.ID)
			}
			seenAt = time.Now()
			return true, nil
		})
	}
	eventually(t, 10*time.Second, "the leader passes with the invalid revision in force", func() (bool, error) {
		st, err := leader.status(t.Context())
		return err == nil && st.LastPass.After(seenAt), err
	})
	if ws := h.rec.writes()[writesBefore:]; len(ws) > 0 {
		t.Errorf("writes after the invalid push: %v", ws)
	}
	if apps, err := scenarioApps(t.Context(), h.sim); err != nil || apps[scenarioIcons].image() != scenarioWant[scenarioIcons] {
		t.Errorf("favicostore api after the invalid push: %q, %v; want the valid part not applied either", apps[scenarioIcons].image(), err)
	}

	fixed := scenarioEdit(t, withImage, "specs/services/favicostore.yaml", "favicostore/api:v2.14.1", "favicostore/api:v2.15.0")
	h.repo.Push("thumbnailer cpus fixed", fixed)
	start = time.Now()
	pd.waitIncidents(t, 20*time.Second, "InvalidSpecRevision resolved", map[string][]string{
		webKey: {"trigger", "resolve"}, invalidKey: {"trigger", "resolve"}})
	lap("fix pushed → InvalidSpecRevision resolved", start)
	fixedAt := start
	want = scenarioWith(want, scenarioIcons, scenarioAPIImage)
	eventually(t, 60*time.Second, "the fixed revision applied", func() (bool, error) {
		var err error
		apps, err = scenarioConverged(t.Context(), h.sim, want)
		return err == nil, err
	})
	icons := apps[scenarioIcons].healthyTasks()
	eventually(t, 10*time.Second, "favicostore's new tasks answer through both LBs", func() (bool, error) {
		for _, l := range []struct{ addr, host string }{{lbs.nginxHTTP, "icons"}, {lbs.haproxyHTTP, "icons.example.com"}} {
			if err := reachEvery(l.addr, icons, func() (string, error) { return lbTask(t.Context(), l.addr, l.host) }); err != nil {
				return false, err
			}
		}
		return true, nil
	})
	lap("fix pushed → favicostore api rolled out and served", fixedAt)

	if got := pd.incidents(); len(got) != 2 {
		t.Errorf("incidents at the end: %q; want only %s and %s", got, webKey, invalidKey)
	}
	// The incidents, each once, to the environment's routing key; the
	// cluster's to the default one.
	routing := map[string]string{webKey: scenarioKeys["PD_SPEEDDIALS"], invalidKey: faultKey}
	for _, e := range pd.recv.Events() {
		if want, ok := routing[e.DedupKey]; ok && e.RoutingKey != want {
			t.Errorf("%s %s sent with routing key %q, want %q", e.Action, e.DedupKey, e.RoutingKey, want)
		}
	}
	if rej := pd.recv.Rejected(); len(rej) > 0 {
		t.Errorf("PagerDuty rejected events: %q", rej)
	}
	ws := h.assertNoConcurrentWrites(t)
	byFirst := 0
	for _, w := range ws {
		switch {
		case w.start.Before(killedAt) && w.instance != first.name:
			t.Errorf("write by the follower while %s led: %s", first.name, w)
		case !w.start.Before(killedAt) && w.instance != leader.name:
			t.Errorf("write by the killed leader: %s", w)
		case w.start.Before(killedAt):
			byFirst++
		}
		if w.method == http.MethodDelete {
			t.Errorf("DELETE sent: %s", w)
		}
	}
	t.Logf("%d writes to Marathon: %d by %s, then %d by %s, none concurrent, no DELETE; whole scenario %s",
		len(ws), byFirst, first.name, len(ws)-byFirst, leader.name, time.Since(began).Round(100*time.Millisecond))
}

// scenarioWith returns a copy of want with id's image set.
func scenarioWith(want map[string]string, id, image string) map[string]string {
	out := map[string]string{}
	for k, v := range want {
		out[k] = v
	}
	out[id] = image
	return out
}

// scenarioLBs are the two load balancers of the scenario, each a real
// server kept converged by a `pacer lb` process: nginx (nixy labels, every
// realm) and HAProxy (marathon-lb labels, groups internal and external,
// master-worker with a stats socket), each with its own random loopback
// address (loopback.Addr), so that both can bind every service port and
// no other test's LB competes for them.
type scenarioLBs struct {
	nginxAddr, haproxyAddr  string // the LBs' loopback addresses
	nginxHTTP, haproxyHTTP  string // host:port of the HTTP listeners
	nginxMetrics, haMetrics string // pacer lb's /metrics URLs
}

func startScenarioLBs(t *testing.T, simURL, nginx, haproxy string) *scenarioLBs {
	t.Helper()
	lbs := &scenarioLBs{nginxAddr: loopback.Addr(t)}
	for lbs.haproxyAddr == "" || lbs.haproxyAddr == lbs.nginxAddr {
		lbs.haproxyAddr = loopback.Addr(t)
	}
	lbs.nginxHTTP = loopback.HostPort(lbs.nginxAddr, loopback.Port(t, lbs.nginxAddr))
	lbs.haproxyHTTP = loopback.HostPort(lbs.haproxyAddr, loopback.Port(t, lbs.haproxyAddr))
	nginxMetrics := loopback.HostPort(lbs.nginxAddr, loopback.Port(t, lbs.nginxAddr))
	haMetrics := loopback.HostPort(lbs.haproxyAddr, loopback.Port(t, lbs.haproxyAddr))
	lbs.nginxMetrics, lbs.haMetrics = "http://"+nginxMetrics+"/metrics", "http://"+haMetrics+"/metrics"

	// As on an LB host: `pacer lb --once` renders the first config, the
	// server starts on it, then `pacer lb` keeps it converged and reloads
	// the running server.
	ndir := t.TempDir()
	nconf := filepath.Join(ndir, "nginx.conf")
	// The upstream API socket's directory is for nginx and pacer only.
	apiDir := filepath.Join(ndir, "api")
	if err := os.Mkdir(apiDir, 0o700); err != nil {
		t.Fatal(err)
	}
	nargs := []string{"lb", "--marathon", simURL, "--format", "nginx", "--out", nconf,
		"--listen-http", lbs.nginxHTTP, "--bind", lbs.nginxAddr, "--nginx-api", "unix:" + filepath.Join(apiDir, "upstreams.sock")}
	scenarioLBOnce(t, nargs...)
	ng := startScenarioProc(t, "nginx", nginx, "-p", ndir, "-c", nconf, "-e", "stderr", "-g", "daemon off;")

	hdir := t.TempDir()
	hconf, pidFile, sock := filepath.Join(hdir, "haproxy.cfg"), filepath.Join(hdir, "haproxy.pid"), filepath.Join(hdir, "haproxy.sock")
	hargs := []string{"lb", "--marathon", simURL, "--format", "haproxy", "--group", "internal", "--group", "external",
		"--out", hconf, "--listen-http", lbs.haproxyHTTP, "--bind", lbs.haproxyAddr, "--stats-socket", sock}
	scenarioLBOnce(t, hargs...)
	ha := startScenarioProc(t, "haproxy", haproxy, "-W", "-db", "-f", hconf)
	eventually(t, 15*time.Second, "nginx and HAProxy listen", func() (bool, error) {
		for _, p := range []*scenarioProc{ng, ha} {
			if err := p.exited(); err != nil {
				return false, err
			}
		}
		for _, addr := range []string{lbs.nginxHTTP, lbs.haproxyHTTP} {
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err != nil {
				return false, err
			}
			c.Close()
		}
		return true, nil
	})
	// The HAProxy master is signalled only once it serves: an early
	// SIGUSR2 kills it.
	if err := os.WriteFile(pidFile, []byte(strconv.Itoa(ha.cmd.Process.Pid)), 0o644); err != nil {
		t.Fatal(err)
	}
	// Runs before HAProxy is stopped: on failure, show what it serves.
	t.Cleanup(func() {
		if t.Failed() {
			cfg, _ := os.ReadFile(hconf)
			t.Logf("haproxy.cfg:\n%s\nshow servers state:\n%s", cfg, haproxyCommand(sock, "show servers state"))
		}
	})
	startScenarioProc(t, "pacer lb nginx", bin.pacer, append(nargs, "--metrics-listen", nginxMetrics,
		"--reload-cmd", nginx+" -p "+ndir+" -c "+nconf+" -s reload")...)
	startScenarioProc(t, "pacer lb haproxy", bin.pacer, append(hargs, "--metrics-listen", haMetrics,
		"--reload-cmd", `kill -USR2 "$(cat `+pidFile+`)"`)...)
	return lbs
}

// scenarioLBOnce runs `pacer lb --once` with args.
func scenarioLBOnce(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), bin.pacer, append(args, "--once")...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pacer %s --once: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// lbWork counts the config reloads of nginx and HAProxy and their runtime
// API updates (HAProxy's stats socket, nginx's upstream API) so far, from
// the pacer lb metrics.
func (lbs *scenarioLBs) lbWork(t *testing.T) [4]float64 {
	t.Helper()
	var out [4]float64
	for i, m := range []struct{ u, name string }{
		{lbs.nginxMetrics, `pacer_lb_reloads_total{result="ok"}`},
		{lbs.haMetrics, `pacer_lb_reloads_total{result="ok"}`},
		{lbs.haMetrics, `pacer_lb_runtime_updates_total{result="ok"}`},
		{lbs.nginxMetrics, `pacer_lb_runtime_updates_total{result="ok"}`},
	} {
		v, err := metricValue(t.Context(), m.u, m.name)
		if err != nil {
			t.Errorf("pacer lb metrics: %v", err)
		}
		out[i] = v
	}
	return out
}

// scenarioRoute is one way in to an app through one LB: HTTP with a Host
// header on the LB's HTTP listener, or a service port (tcp: an HTTP
// request, which the stand-ins answer on every tcp port; udp: a datagram).
type scenarioRoute struct {
	app, lb    string
	host       string // HTTP listener with this Host
	port       int    // else this service port
	proto      string // of the service port
	servedFrom string // the LB's address
}

func (r scenarioRoute) String() string {
	if r.host != "" {
		return r.lb + " Host " + r.host
	}
	return fmt.Sprintf("%s %s %s:%d", r.lb, r.proto, r.servedFrom, r.port)
}

// reach asks through the route until every task in want answered.
func (r scenarioRoute) reach(ctx context.Context, lbs *scenarioLBs, want []string) error {
	what := r.app + " via " + r.String()
	if len(want) == 0 {
		return fmt.Errorf("%s: no healthy task", what)
	}
	return reachEvery(what, want, func() (string, error) {
		switch {
		case r.host != "" && r.lb == "nginx":
			return lbTask(ctx, lbs.nginxHTTP, r.host)
		case r.host != "":
			return lbTask(ctx, lbs.haproxyHTTP, r.host)
		case r.proto == "udp":
			return udpTask(net.JoinHostPort(r.servedFrom, strconv.Itoa(r.port)))
		}
		return lbTask(ctx, net.JoinHostPort(r.servedFrom, strconv.Itoa(r.port)), "")
	})
}

// scenarioRoutes derives from each app's labels how the LBs serve it:
// nginx (nixy) by subdomain over HTTP, else by NIXY_PROTOCOL on the first
// service port; HAProxy (marathon-lb) by HAPROXY_0_VHOST over HTTP and on
// every tcp service port of an app in a group it serves. Service ports are
// reached on the LB's own address in lbs.
func scenarioRoutes(apps map[string]scenarioApp, lbs *scenarioLBs) []scenarioRoute {
	var out []scenarioRoute
	ids := make([]string, 0, len(apps))
	for id := range apps {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		a := apps[id]
		ports := a.ports()
		if len(ports) == 0 {
			continue
		}
		switch proto := a.Labels["NIXY_PROTOCOL"]; {
		case a.Labels["subdomain"] != "":
			out = append(out, scenarioRoute{app: id, lb: "nginx", host: a.Labels["subdomain"]})
		case proto == "tcp" || proto == "udp":
			out = append(out, scenarioRoute{app: id, lb: "nginx", port: ports[0].ServicePort, proto: proto, servedFrom: lbs.nginxAddr})
		}
		if a.Labels["HAPROXY_GROUP"] == "" {
			continue
		}
		if v := a.Labels["HAPROXY_0_VHOST"]; v != "" {
			out = append(out, scenarioRoute{app: id, lb: "haproxy", host: v})
		}
		for _, p := range ports {
			if p.Protocol == "udp" {
				continue // marathon-lb serves no UDP
			}
			out = append(out, scenarioRoute{app: id, lb: "haproxy", port: p.ServicePort, proto: "tcp", servedFrom: lbs.haproxyAddr})
		}
	}
	return out
}

// haproxyCommand sends one command to HAProxy's stats socket and returns
// the answer (or the error).
func haproxyCommand(socket, cmd string) string {
	c, err := net.DialTimeout("unix", socket, time.Second)
	if err != nil {
		return err.Error()
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.WriteString(c, cmd+"\n"); err != nil {
		return err.Error()
	}
	b, err := io.ReadAll(c)
	if err != nil {
		return string(b) + err.Error()
	}
	return string(b)
}
