package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"

	"pacer.dev/pacer/election/zktest"
	"pacer.dev/pacer/internal/marathon"
	"pacer.dev/pacer/marathonsim"
	"pacer.dev/pacer/reconciler"
	"pacer.dev/pacer/reconciler/reconcilertest"
)

// twoClusters is a spec tree of two clusters, each with its own service:
// what the specs render for fra never includes ams's apps, so a pass for fra
// against ams's Marathon would prune all of them.
func twoClusters(t *testing.T, amsExpect string) string {
	t.Helper()
	cluster := func(name, extra string) string {
		return "apiVersion: pacer.dev/v1\nkind: Cluster\nmetadata: {name: " + name + "}\nspec:\n" +
			"  marathon:\n    urls: [\"http://marathon." + name + ".invalid:8080\"]\n" + extra
	}
	group := func(name, cluster string, apps ...string) string {
		var b strings.Builder
		b.WriteString("apiVersion: pacer.dev/v1\nkind: ServiceGroup\nmetadata: {name: " + name + ", parent: /services}\nspec:\n")
		b.WriteString("  environments:\n    production: {clusters: [" + cluster + "]}\n  apps:\n")
		for _, a := range apps {
			b.WriteString("    " + a + ": {cmd: sleep 1000, instances: 1, cpus: 0.1, mem: 32}\n")
		}
		return b.String()
	}
	return specTree(t, map[string]string{
		"clusters.yaml":      cluster("ams", amsExpect) + "---\n" + cluster("fra", ""),
		"services/shop.yaml": group("shop", "ams", "api", "db", "web"),
		"services/blog.yaml": group("blog", "fra", "web"),
	})
}

func newClusterSim(t *testing.T, name string) *reconcilertest.Sim {
	return reconcilertest.NewSim(t, marathonsim.Options{FrameworkID: name + "-framework-0000", ZK: "zk://zk-1." + name + ":2181/marathon"})
}

// writes are the recorded requests that change Marathon.
func writes(sim *reconcilertest.Sim) []string {
	var out []string
	for _, r := range sim.Rec.Requests() {
		if r.Method != http.MethodGet {
			out = append(out, r.String())
		}
	}
	return out
}

// TestWrongClusterIsRefused is issue 12's scenario: ams's apps applied to
// ams's Marathon, then diff and reconcile --cluster fra --prune pointed at
// that Marathon. Without the cluster label they planned (and, but for the
// prune guard, made) the deletion of every ams app; now both refuse and
// nothing is planned or written, even with the prune guard off.
func TestWrongClusterIsRefused(t *testing.T) {
	ams := newClusterSim(t, "ams")
	dir := twoClusters(t, "")
	on := func(sim *reconcilertest.Sim, cluster string, args ...string) cliResult {
		return runCLI(t, append(args, "--specs", dir, "--cluster", cluster, "--marathon", sim.URL, "--retries", "0", "--max-delete-ratio", "1")...)
	}
	if r := on(ams, "ams", "reconcile", "--wait-timeout", "30s"); r.code != exitOK {
		t.Fatalf("reconcile ams: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, args := range [][]string{
		{"diff", "--prune"},
		{"diff", "--prune", "-o", "json"},
		{"reconcile", "--prune", "--wait-timeout", "30s"},
	} {
		ams.Rec.Reset()
		r := on(ams, "fra", args...)
		if r.code != exitError {
			t.Fatalf("%v --cluster fra on ams's Marathon: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", args, r.code, exitError, r.stdout, r.stderr)
		}
		for _, want := range []string{`cluster "fra"`, "/services/shop/production/api (pacer.dev/cluster=ams)", "labelled for cluster ams", "nothing is planned or written"} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("%v: stderr lacks %q:\n%s", args, want, r.stderr)
			}
		}
		if strings.Contains(r.stdout, "delete") || strings.Contains(r.stdout, "create") {
			t.Errorf("%v: printed a plan:\n%s", args, r.stdout)
		}
		if w := writes(ams); len(w) > 0 {
			t.Errorf("%v: wrote to ams's Marathon: %v", args, w)
		}
	}
	// ams itself is still in sync: the refusal changed nothing.
	if r := on(ams, "ams", "diff", "--prune", "--detailed-exitcode"); r.code != exitOK {
		t.Errorf("diff ams after the refusals: exit %d\n%s", r.code, r.stdout)
	}
}

// TestUnlabelledAppsAreAdopted: apps pacer wrote before it labelled
// clusters are ours; the first pass adds the label (one update each).
func TestUnlabelledAppsAreAdopted(t *testing.T) {
	ams := newClusterSim(t, "ams")
	dir := twoClusters(t, "")
	for _, app := range []string{"api", "db", "web"} {
		id := "/services/shop/production/" + app
		code, body := ams.Control(t, http.MethodPut, "/v2/apps"+id,
			`{"id":"`+id+`","cmd":"sleep 1000","instances":1,"cpus":0.1,"mem":32,"labels":{"pacer.dev/managed-by":"pacer"}}`)
		if code >= 300 {
			t.Fatalf("create %s: %d %s", id, code, body)
		}
	}
	args := []string{"--specs", dir, "--cluster", "ams", "--marathon", ams.URL, "--retries", "0", "--prune"}
	r := runCLI(t, append([]string{"diff"}, args...)...)
	if r.code != exitOK {
		t.Fatalf("diff: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "0 to create, 3 to update, 0 to scale, 0 to delete") || !strings.Contains(r.stdout, `labels["pacer.dev/cluster"]: + "ams"`) {
		t.Errorf("diff of unlabelled apps: want three label updates:\n%s", r.stdout)
	}
	if r := runCLI(t, append([]string{"reconcile", "--wait-timeout", "30s"}, args...)...); r.code != exitOK {
		t.Fatalf("reconcile: exit %d\n%s", r.code, r.stderr)
	}
	if r := runCLI(t, append([]string{"diff", "--detailed-exitcode"}, args...)...); r.code != exitOK {
		t.Errorf("diff after the adoption: exit %d\n%s", r.code, r.stdout)
	}
}

// TestMarathonIdentityExpected: a Cluster spec's spec.marathon.expect makes
// diff and reconcile refuse another Marathon before they read its apps.
func TestMarathonIdentityExpected(t *testing.T) {
	ams, fra := newClusterSim(t, "ams"), newClusterSim(t, "fra")
	dir := twoClusters(t, "    expect: {frameworkId: ams-framework-0000, zk: \"zk://zk-1.ams:2181/marathon\"}\n")
	for _, args := range [][]string{{"diff"}, {"reconcile", "--wait-timeout", "30s"}, {"status"}} {
		fra.Rec.Reset()
		r := runCLI(t, append(args, "--specs", dir, "--cluster", "ams", "--marathon", fra.URL, "--retries", "0")...)
		if r.code != exitError {
			t.Fatalf("%v on fra's Marathon: exit %d, want %d\n%s\n%s", args, r.code, exitError, r.stdout, r.stderr)
		}
		for _, want := range []string{"wrong Marathon", "not cluster ams's", `frameworkId: Marathon reports "fra-framework-0000", want "ams-framework-0000"`,
			`zk: Marathon reports "zk://zk-1.fra:2181/marathon"`, "clusters.yaml:1:1"} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("%v: stderr lacks %q:\n%s", args, want, r.stderr)
			}
		}
		var got []string
		for _, req := range fra.Rec.Requests() {
			got = append(got, req.String())
		}
		if len(got) != 1 || got[0] != "GET /v2/info" {
			t.Errorf("%v: requests %v, want only GET /v2/info", args, got)
		}
	}
	if r := runCLI(t, "reconcile", "--specs", dir, "--cluster", "ams", "--marathon", ams.URL, "--retries", "0", "--wait-timeout", "30s"); r.code != exitOK {
		t.Errorf("reconcile on ams's own Marathon: exit %d\n%s", r.code, r.stderr)
	}
}

// TestRunRemembersMarathonIdentity: pacer run with --state-dir records the
// Marathon it saw and refuses to start against another one.
func TestRunRemembersMarathonIdentity(t *testing.T) {
	ams, fra := newClusterSim(t, "ams"), newClusterSim(t, "fra")
	dir := twoClusters(t, "")
	state := t.TempDir()
	client := func(url string) *marathon.Client {
		c, err := marathon.New(marathon.Options{URLs: []string{url}, Retry: marathon.Retry{Attempts: 1}})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ctx := logr.NewContext(t.Context(), logr.Discard())
	if err := checkRunIdentity(ctx, client(ams.URL), "ams", nil, fileIdentity{dir: state}); err != nil {
		t.Fatalf("first sight: %v", err)
	}
	var saved savedIdentity
	data, err := os.ReadFile(filepath.Join(state, identityFile))
	if err != nil || json.Unmarshal(data, &saved) != nil || saved.Identity.FrameworkID != "ams-framework-0000" || saved.Cluster != "ams" {
		t.Fatalf("identity file %s (%v): want ams's framework id", data, err)
	}
	if err := checkRunIdentity(ctx, client(ams.URL), "ams", nil, fileIdentity{dir: state}); err != nil {
		t.Errorf("same Marathon again: %v", err)
	}
	fra.Rec.Reset()
	r := runCLI(t, "run", "--specs", dir, "--cluster", "ams", "--marathon", fra.URL, "--state-dir", state,
		"--listen", "127.0.0.1:0", "--retries", "0", "--sync-interval", "1h", "--shutdown-timeout", "2s")
	if r.code != exitError {
		t.Fatalf("run against fra's Marathon: exit %d, want %d\n%s", r.code, exitError, r.stderr)
	}
	for _, want := range []string{"wrong Marathon", `"fra-framework-0000", want "ams-framework-0000"`, identityFile} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if w := writes(fra); len(w) > 0 {
		t.Errorf("run wrote to fra's Marathon: %v", w)
	}
	if r := runCLI(t, "run", "--specs", dir, "--cluster", "fra", "--marathon", fra.URL, "--state-dir", state, "--listen", "127.0.0.1:0"); r.code != exitError ||
		!strings.Contains(r.stderr, identityFile+" belongs to cluster ams, not fra") {
		t.Errorf("run of another cluster on the same --state-dir: exit %d\n%s", r.code, r.stderr)
	}
}

// TestRunRemembersMarathonIdentityInZooKeeper: with --zk the identity lives
// next to the election, where every instance of the cluster finds it.
func TestRunRemembersMarathonIdentityInZooKeeper(t *testing.T) {
	t.Parallel()
	ams, fra := newClusterSim(t, "ams"), newClusterSim(t, "fra")
	zk := zktest.Start(t)
	o := &runOptions{zk: zk.Addr(), zkSessionTimeout: 2 * time.Second}
	check := func(url string) error {
		t.Helper()
		store, closeStore, err := newIdentityStore(o, "ams", logr.Discard())
		if err != nil {
			t.Fatal(err)
		}
		defer closeStore()
		if w := store.where(); w != "zookeeper /pacer/ams/marathon-identity" {
			t.Errorf("identity kept in %s", w)
		}
		c, err := marathon.New(marathon.Options{URLs: []string{url}, Retry: marathon.Retry{Attempts: 1}})
		if err != nil {
			t.Fatal(err)
		}
		return checkRunIdentity(logr.NewContext(t.Context(), logr.Discard()), c, "ams", nil, store)
	}
	if err := check(ams.URL); err != nil {
		t.Fatalf("first sight: %v", err)
	}
	if err := check(ams.URL); err != nil {
		t.Errorf("same Marathon, another session: %v", err)
	}
	err := check(fra.URL)
	if !errors.Is(err, reconciler.ErrWrongMarathon) || !strings.Contains(err.Error(), "zookeeper /pacer/ams/marathon-identity") {
		t.Errorf("fra's Marathon: %v; want ErrWrongMarathon naming the znode", err)
	}
}
