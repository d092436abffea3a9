package e2e

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"pacer.dev/pacer/election/zktest"
	"pacer.dev/pacer/internal/gittest"
)

// haSessionTimeout is the ZooKeeper session timeout of the HA tests: a
// crashed or partitioned leader is replaced after about this long.
const haSessionTimeout = 2 * time.Second

const haToken = "hook-s3cret"

// The apps of haSpecs, in two service groups with prune on.
const (
	appAPI    = "/services/web/production/api"
	appFront  = "/services/web/production/frontend"
	appCache  = "/services/web/production/cache"
	appIngest = "/services/batch/production/ingest"
	appReport = "/services/batch/production/report"
)

// haSpecs is a spec tree: cluster ams, service group web (api, frontend and,
// with cache, a cache app) and batch (ingest and, unless withoutReport,
// report). ingestCPUs lets a push make it invalid.
type haSpecs struct {
	api, ingestCPUs string
	cache           bool
	withoutReport   bool
}

func (s haSpecs) files() map[string]string {
	group := func(name string, apps ...string) string {
		return `apiVersion: pacer.dev/v1
kind: ServiceGroup
metadata: {name: ` + name + `, parent: /services}
spec:
  environments:
    production: {clusters: [ams], sync: {policy: automated, prune: true}}
  apps:
` + strings.Join(apps, "")
	}
	app := func(name, instances, cpus string) string {
		return fmt.Sprintf("    %s: {instances: %s, cpus: %s, mem: 32, cmd: \"sleep 1000\"}\n", name, instances, cpus)
	}
	web := []string{app("api", s.api, "0.1"), app("frontend", "2", "0.1")}
	if s.cache {
		web = append(web, app("cache", "1", "0.2"))
	}
	cpus := s.ingestCPUs
	if cpus == "" {
		cpus = "0.1"
	}
	batch := []string{app("ingest", "1", cpus)}
	if !s.withoutReport {
		batch = append(batch, app("report", "1", "0.1"))
	}
	return map[string]string{
		"specs/cluster.yaml": `apiVersion: pacer.dev/v1
kind: Cluster
metadata: {name: ams}
spec:
  marathon: {urls: ["http://marathon.ams:8080"]}
`,
		"specs/web.yaml":   group("web", web...),
		"specs/batch.yaml": group("batch", batch...),
	}
}

// haPair is a simulator, a specs repository and two `pacer run` instances
// electing a leader through ZooKeeper, each writing to the simulator through
// its own recording proxy.
type haPair struct {
	sim    string
	repo   *gittest.Repo
	rec    *writeRecorder
	pacers []*pacerProc
}

// startHAPair pushes initial, starts instances a and b (zkAddrs[i] is the
// ZooKeeper address instance i dials) and waits until both are ready and
// the cluster converged.
func startHAPair(t *testing.T, zkAddrs [2]string, syncInterval time.Duration, initial haSpecs) *haPair {
	t.Helper()
	h := &haPair{sim: startSim(t, "--task-start", "10ms"), repo: gittest.New(t)}
	h.rec = newWriteRecorder(t, h.sim)
	h.repo.Push("initial", initial.files())
	zkPath := "/pacer/" + strings.NewReplacer("/", "-").Replace(t.Name())
	for i, name := range []string{"a", "b"} {
		h.pacers = append(h.pacers, startPacer(t, name, []string{"PACER_GITLAB_TOKEN=" + haToken},
			"--git-url", h.repo.URL(), "--git-path", "specs", "--cluster", "ams",
			"--marathon", h.rec.proxy(t, name), "--zk", zkAddrs[i], "--zk-path", zkPath,
			"--zk-session-timeout", haSessionTimeout.String(), "--sync-interval", syncInterval.String(),
			"--shutdown-timeout", "5s"))
	}
	h.leader(t, nil)
	h.waitApp(t, appAPI, initial.api)
	return h
}

// leader waits until exactly one instance (not except) leads and the other
// follows, both ready, and returns them.
func (h *haPair) leader(t *testing.T, except *pacerProc) (leader, follower *pacerProc) {
	t.Helper()
	eventually(t, 15*time.Second, "one leader, one follower", func() (bool, error) {
		var states []string
		leader, follower = nil, nil
		for _, p := range h.pacers {
			if p == except {
				continue
			}
			st, err := p.status(t.Context())
			if err != nil {
				return false, err
			}
			states = append(states, p.name+"="+st.Election.State)
			switch {
			case !st.Ready:
				return false, fmt.Errorf("%s not ready", p.name)
			case st.Election.State == "leader":
				leader = p
			case st.Election.State == "follower":
				follower = p
			}
		}
		want := except == nil
		return leader != nil && (follower != nil) == want, fmt.Errorf("states %v", states)
	})
	return leader, follower
}

// waitApp waits until the simulator runs id with instances tasks.
func (h *haPair) waitApp(t *testing.T, id, instances string) {
	t.Helper()
	eventually(t, 10*time.Second, id+" at "+instances+" instances", func() (bool, error) {
		a, err := getSimApp(t.Context(), h.sim, id)
		got := fmt.Sprint(a.Instances)
		return err == nil && got == instances && fmt.Sprint(a.TasksRunning) == instances,
			fmt.Errorf("instances %s, running %d: %v", got, a.TasksRunning, err)
	})
}

// waitGone waits until the simulator has no app id.
func (h *haPair) waitGone(t *testing.T, id string) {
	t.Helper()
	eventually(t, 10*time.Second, id+" deleted", func() (bool, error) {
		_, err := getSimApp(t.Context(), h.sim, id)
		return err != nil && strings.Contains(err.Error(), "404"), err
	})
}

// assertNoConcurrentWrites checks the recorded writes: no two instances
// ever wrote at the same time.
func (h *haPair) assertNoConcurrentWrites(t *testing.T) []write {
	t.Helper()
	ws := h.rec.writes()
	for _, o := range overlaps(ws) {
		t.Errorf("concurrent writes:\n  %s\n  %s", o[0], o[1])
	}
	return ws
}

// TestRunHA runs two `pacer run` binaries against marathon-sim, a local bare
// git repository and a real ZooKeeper, with every Marathon write recorded
// by a proxy per instance.
func TestRunHA(t *testing.T) {
	zk := zktest.Start(t)
	t.Run("KillLeader", func(t *testing.T) { testHAKillLeader(t, zk) })
	t.Run("PartitionLeader", func(t *testing.T) { testHAPartitionLeader(t, zk) })
	t.Run("WebhookToFollower", func(t *testing.T) { testHAWebhookToFollower(t, zk) })
}

// testHAWebhookToFollower: GitLab's push webhook reaches whichever instance
// the load balancer in front of pacer picks. With a 1h interval, a push
// announced to the follower is applied by the leader at once: the follower
// passes the accepted hook on, and only the leader writes.
func testHAWebhookToFollower(t *testing.T, zk *zktest.Server) {
	h := startHAPair(t, [2]string{zk.Addr(), zk.Addr()}, time.Hour, haSpecs{api: "2"})
	leader, follower := h.leader(t, nil)
	h.waitApp(t, appAPI, "2")
	writesBefore := h.rec.len()

	h.repo.Push("api: 3", haSpecs{api: "3"}.files())
	start := time.Now()
	if code := postHook(t, follower.base, haToken); code != http.StatusAccepted {
		t.Fatalf("webhook to the follower: %d, want 202", code)
	}
	h.waitApp(t, appAPI, "3")
	t.Logf("webhook to the follower → push applied by the leader: %s (interval 1h)", time.Since(start))
	for _, w := range h.rec.writes()[writesBefore:] {
		if w.instance != leader.name {
			t.Errorf("write by %s, want only the leader %s: %s", w.instance, leader.name, w)
		}
	}
	h.assertNoConcurrentWrites(t)
}

// testHAKillLeader: a push is applied on the interval; an invalid push
// applies nothing and is reported by both instances; an out-of-band scale is
// healed; kill -9 of the leader hands over within the session timeout, the
// new leader converges a later push (update, create, prune), and the two
// never wrote concurrently, the follower not at all while the leader lived.
func testHAKillLeader(t *testing.T, zk *zktest.Server) {
	h := startHAPair(t, [2]string{zk.Addr(), zk.Addr()}, time.Second, haSpecs{api: "2"})
	old, next := h.leader(t, nil)
	h.waitApp(t, appIngest, "1")

	h.repo.Push("api: 3", haSpecs{api: "3"}.files())
	start := time.Now()
	h.waitApp(t, appAPI, "3")
	t.Logf("push → applied (1s interval): %s", time.Since(start))

	// Invalid: batch's ingest asks for negative cpus; web's api change in
	// the same revision must not be applied either.
	h.repo.Push("broken", haSpecs{api: "4", ingestCPUs: "-1"}.files())
	bad := h.repo.Head()
	writesBefore := h.rec.len()
	var seenAt time.Time
	for _, p := range h.pacers {
		eventually(t, 10*time.Second, p.name+" reports the invalid revision", func() (bool, error) {
			st, err := p.status(t.Context())
			if err != nil || st.InvalidRevision == nil || st.InvalidRevision.ID != bad {
				return false, fmt.Errorf("status %+v: %v", st.InvalidRevision, err)
			}
			if st.InvalidRevision.Error == "" || st.Revision.ID == bad {
				t.Errorf("%s: invalid revision %+v, revision in force %s", p.name, st.InvalidRevision, st.Revision.ID)
			}
			seenAt = time.Now()
			return true, nil
		})
	}
	// A further pass of the leader with the invalid revision in force.
	eventually(t, 10*time.Second, "leader passes after the invalid push", func() (bool, error) {
		st, err := old.status(t.Context())
		return err == nil && st.LastPass.After(seenAt), err
	})
	if a, err := getSimApp(t.Context(), h.sim, appAPI); err != nil || a.Instances != 3 {
		t.Errorf("api after an invalid push: %+v, %v; want 3 instances", a, err)
	}
	if ws := h.rec.writes()[writesBefore:]; len(ws) > 0 {
		t.Errorf("writes after an invalid push: %v", ws)
	}

	scaleOutOfBand(t, h.sim, appAPI, 7)
	start = time.Now()
	h.waitApp(t, appAPI, "3")
	t.Logf("out-of-band scale → healed: %s", time.Since(start))

	killedAt := time.Now()
	old.kill()
	leader, _ := h.leader(t, old)
	took := time.Since(killedAt)
	t.Logf("kill -9 %s → %s leads after %s (session timeout %s)", old.name, leader.name, took, haSessionTimeout)
	if leader != next {
		t.Fatalf("leader after the kill is %s, want %s", leader.name, next.name)
	}
	// The server expires a session on its tick after the timeout.
	if limit := haSessionTimeout + 2*zktest.TickTime + 300*time.Millisecond; took > limit {
		t.Errorf("takeover took %s, more than the session timeout (+ ticks and polling: %s)", took, limit)
	}

	h.repo.Push("api: 2, cache, no report", haSpecs{api: "2", cache: true, withoutReport: true}.files())
	h.waitApp(t, appAPI, "2")
	h.waitApp(t, appCache, "1")
	h.waitGone(t, appReport)

	ws := h.assertNoConcurrentWrites(t)
	var byNew int
	for _, w := range ws {
		switch {
		case w.start.Before(killedAt) && w.instance != old.name:
			t.Errorf("write by the follower while the leader lived: %s", w)
		case !w.start.Before(killedAt) && w.instance != next.name:
			t.Errorf("write by the killed leader after the kill: %s", w)
		case !w.start.Before(killedAt):
			byNew++
		}
	}
	if byNew < 3 {
		t.Errorf("the new leader made %d writes, want at least 3 (update, create, delete)", byNew)
	}
	t.Logf("%d writes, %d by the new leader, none concurrent", len(ws), byNew)
}

// testHAPartitionLeader: with a 1h interval, a webhook with a wrong token is
// refused and the right one syncs at once; then the leader's ZooKeeper
// connection is black-holed while drift keeps both instances wanting to
// write: the partitioned leader stops writing before the other starts, the
// other takes over and applies a webhook-announced push, and after the
// partition heals the old leader only follows.
func testHAPartitionLeader(t *testing.T, zk *zktest.Server) {
	proxies := []*zktest.Proxy{zktest.NewProxy(t, zk.Addr()), zktest.NewProxy(t, zk.Addr())}
	h := startHAPair(t, [2]string{proxies[0].Addr(), proxies[1].Addr()}, time.Hour, haSpecs{api: "2"})
	old, next := h.leader(t, nil)
	oldProxy := proxies[slices.Index(h.pacers, old)]

	h.repo.Push("api: 3", haSpecs{api: "3"}.files())
	if code := postHook(t, old.base, "wrong"); code != http.StatusUnauthorized {
		t.Errorf("webhook with a wrong token: %d, want 401", code)
	}
	start := time.Now()
	if code := postHook(t, old.base, haToken); code != http.StatusAccepted {
		t.Errorf("webhook: %d, want 202", code)
	}
	h.waitApp(t, appAPI, "3")
	t.Logf("webhook → push applied: %s (interval 1h)", time.Since(start))

	// Keep ingest drifting so that whoever leads keeps writing.
	ctx, stopDrift := context.WithCancel(t.Context())
	var drifting sync.WaitGroup
	drifting.Go(func() { drift(ctx, t, h.sim, appIngest) })
	defer func() { stopDrift(); drifting.Wait() }()
	if _, ok := h.rec.waitWrite(t.Context(), h.rec.len(), 5*time.Second, func(w write) bool { return w.instance == old.name }); !ok {
		t.Fatal("the leader does not heal the drift")
	}

	partitionedAt := time.Now()
	oldProxy.Partition()
	// Both instances polled together: the partitioned leader must be seen
	// to stop leading no later than the other is seen to lead.
	var oldStopped, nextLeads time.Time
	eventually(t, 10*time.Second, next.name+" leads after the partition", func() (bool, error) {
		so, err := old.status(t.Context())
		if err != nil {
			return false, err
		}
		sn, err := next.status(t.Context())
		if err != nil {
			return false, err
		}
		now := time.Now()
		if oldStopped.IsZero() && so.Election.State != "leader" && !so.Leader {
			oldStopped = now
		}
		if sn.Election.State == "leader" {
			nextLeads = now
		}
		return !nextLeads.IsZero(), fmt.Errorf("%s %s, %s %s", old.name, so.Election.State, next.name, sn.Election.State)
	})
	t.Logf("partition of %s: it stops leading after %s, %s leads after %s (session timeout %s)",
		old.name, oldStopped.Sub(partitionedAt), next.name, nextLeads.Sub(partitionedAt), haSessionTimeout)
	if oldStopped.IsZero() || oldStopped.After(nextLeads) {
		t.Errorf("%s was not seen to stop leading before %s led", old.name, next.name)
	}
	first, ok := h.rec.waitWrite(t.Context(), 0, 10*time.Second, func(w write) bool { return w.instance == next.name })
	if !ok {
		t.Fatal("the new leader does not heal the drift")
	}
	stopDrift()
	drifting.Wait()
	h.waitApp(t, appIngest, "1")
	// The new leader fetched on election: the push it had not seen (its
	// interval is 1h) stays applied, nothing is rolled back.
	if a, err := getSimApp(t.Context(), h.sim, appAPI); err != nil || a.Instances != 3 {
		t.Errorf("api after the takeover: %+v, %v; want 3 instances", a, err)
	}
	pushedAt := time.Now()

	h.repo.Push("api: 2", haSpecs{api: "2"}.files())
	start = time.Now()
	if code := postHook(t, next.base, haToken); code != http.StatusAccepted {
		t.Errorf("webhook: %d, want 202", code)
	}
	h.waitApp(t, appAPI, "2")
	t.Logf("webhook to the new leader → push applied: %s", time.Since(start))

	oldProxy.Heal()
	eventually(t, 15*time.Second, old.name+" follows after the partition heals", func() (bool, error) {
		st, err := old.status(t.Context())
		return err == nil && st.Election.State == "follower", fmt.Errorf("election %+v: %v", st.Election, err)
	})
	scaleOutOfBand(t, h.sim, appAPI, 5)
	h.waitApp(t, appAPI, "2")

	ws := h.assertNoConcurrentWrites(t)
	for _, w := range ws {
		switch {
		case w.instance == next.name && w.start.Before(partitionedAt):
			t.Errorf("write by the follower before the partition: %s", w)
		case w.instance == next.name && w.path == appAPI && w.start.Before(pushedAt):
			t.Errorf("the new leader rolled api back before the next push: %s", w)
		}
	}
	var lastOld time.Time
	oldAfter := 0
	for _, w := range ws {
		if w.instance != old.name || w.start.Before(partitionedAt) {
			continue
		}
		oldAfter++
		if w.end.After(lastOld) {
			lastOld = w.end
		}
		if !w.end.Before(first.start) {
			t.Errorf("the partitioned leader wrote after the new leader started:\n  %s\n  first of the new leader: %s", w, first)
		}
	}
	if oldAfter > 0 {
		t.Logf("after the partition: %s wrote %d time(s), the last ending %s after it; %s's first write started %s after it",
			old.name, oldAfter, lastOld.Sub(partitionedAt), next.name, first.start.Sub(partitionedAt))
	} else {
		t.Logf("after the partition: %s did not write; %s's first write started %s after it",
			old.name, next.name, first.start.Sub(partitionedAt))
	}
}

// drift scales id out of band every 500ms (longer than the operator's 250ms
// event debounce, so each change gets its own pass), alternating between 3
// and 4 instances, until ctx is done.
func drift(ctx context.Context, t *testing.T, simURL, id string) {
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for n := 0; ; n++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, simURL+"/v2/apps"+id+"?force=true",
			strings.NewReader(fmt.Sprintf(`{"instances":%d}`, 3+n%2)))
		if err != nil {
			t.Error(err)
			return
		}
		req.Header.Set("Content-Type", "application/json")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
