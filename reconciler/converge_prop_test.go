package reconciler

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"pacer.dev/pacer/specs"
)

// The property behind "a plan is the truth": every app spec that validate
// accepts, once applied, plans nothing. TestConvergeProperty generates app
// specs over the whole schema pacer accepts (specs/marathon_shape.go),
// loads, validates and renders them like `pacer reconcile`, applies them to
// an in-process marathonsim and asserts that the next plan is empty.
//
// Deterministic: batch b uses the seed b; a failure names the batch and
// the app and prints the app's spec.

// propBatches and propAppsPerBatch bound the run: a few hundred apps, a
// few seconds under -race. -prop.batches runs more, for a longer hunt.
var propBatches = flag.Int("prop.batches", 12, "batches of generated apps TestConvergeProperty applies")

const propAppsPerBatch = 25

func TestConvergeProperty(t *testing.T) {
	var st propStats
	for b := range *propBatches {
		t.Run(fmt.Sprintf("batch%d", b), func(t *testing.T) {
			c := newSim(t)
			// Round 0 creates the batch; round 1 generates it again with
			// another seed and applies that with pruning: updates of every
			// kind, apps dropped (deleted) and added; round 2 changes only
			// the instances of some apps (scales).
			var apps map[string]string
			cache := NewPlanCache() // held across rounds, as the operator does
			for round := range 3 {
				g := &specGen{r: rand.New(rand.NewPCG(uint64(b), uint64(round)))}
				if round < 2 {
					apps = g.batch(b, round, apps, &st)
				} else {
					apps = g.rescale(apps)
				}
				desired, err := renderTree(apps)
				if err != nil {
					t.Fatalf("round %d: accepted apps together: %v", round, err)
				}
				opts := PlanOptions{Prune: true, MaxDeleteRatio: 1}
				cached := opts
				cached.Cache = cache
				first := planSim(t, c, desired, cached)
				if _, err := Apply(t.Context(), c, first, ApplyOptions{Wait: true, PollInterval: 5 * time.Millisecond, WaitTimeout: 20 * time.Second}); err != nil {
					t.Fatalf("round %d: apply: %v\nplan:\n%s", round, err, first)
				}
				st.planned(first)
				second := planSim(t, c, desired, opts)
				if p := planSim(t, c, desired, cached); p.String() != second.String() {
					t.Errorf("round %d: the plan with a cache differs from the plan without:\n%s\nwithout:\n%s", round, p, second)
				}
				for _, a := range second.Apps {
					if a.Action == ActionUnchanged || a.Action == ActionSkip {
						continue // skipped: an app with persistent volumes is never deleted
					}
					name := a.ID[strings.LastIndex(a.ID, "/")+1:]
					var lines []string
					for _, ch := range a.Changes {
						lines = append(lines, "    "+ch.String())
					}
					t.Errorf("batch %d round %d: %s %s after apply:\n%s\n  spec: %s", b, round, a.Action, a.ID, strings.Join(lines, "\n"), apps[name])
				}
			}
		})
	}
	t.Logf("%d apps accepted, %d refused by validate; applied %d creates, %d updates, %d scales, %d deletes, each followed by an empty plan",
		st.accepted, st.refused, st.creates, st.updates, st.scales, st.deletes)
	// The generator aims at valid specs: 95% must be accepted, or the
	// property says little. Refusals are listed to keep the generator
	// honest when validate grows stricter.
	if total := st.accepted + st.refused; st.accepted*20 < total*19 {
		t.Errorf("only %d of %d generated apps were accepted by validate:\n%s", st.accepted, total, strings.Join(st.refusals, "\n"))
	} else if testing.Verbose() && len(st.refusals) > 0 {
		t.Logf("refused:\n%s", strings.Join(st.refusals, "\n"))
	}
}

// propStats counts what TestConvergeProperty generated and applied.
type propStats struct {
	accepted, refused                 int
	refusals                          []string
	creates, updates, scales, deletes int
}

func (s *propStats) planned(p *Plan) {
	s.creates += p.Summary.Create
	s.updates += p.Summary.Update
	s.scales += p.Summary.Scale
	s.deletes += p.Summary.Delete
}

// rescale changes the instances of about a third of apps.
func (g *specGen) rescale(apps map[string]string) map[string]string {
	out := make(map[string]string, len(apps))
	for _, name := range slices.Sorted(maps.Keys(apps)) {
		out[name] = apps[name]
		if !g.chance(0.35) {
			continue
		}
		var a map[string]any
		if err := json.Unmarshal([]byte(apps[name]), &a); err != nil {
			panic(err)
		}
		n, _ := a["instances"].(float64)
		a["instances"] = (int(n) + 1 + g.r.IntN(2)) % 3
		b, err := json.Marshal(a)
		if err != nil {
			panic(err)
		}
		out[name] = string(b)
	}
	return out
}

// batch generates the apps of one batch (name → JSON body), each checked
// by validate together with those accepted before it; a refused app is
// counted and left out. Round 1 leaves a few names out and adds others;
// prev are the apps of the round before.
func (g *specGen) batch(b, round int, prev map[string]string, st *propStats) map[string]string {
	apps := map[string]string{}
	var order []string
	for i := range propAppsPerBatch + 3*round {
		if round > 0 && g.chance(0.15) {
			continue // dropped: pruned
		}
		name := fmt.Sprintf("app%02d", i)
		body := g.app(i, order)
		if before, ok := prev[name]; ok && servicePorts(body) > servicePorts(before) && servicePorts(before) > 0 {
			// Simulator gap: an update that adds a dynamic service port
			// to an app that has some may get a port the app keeps
			// (marathonsim/change.go assignServicePorts does not count
			// the kept ports as used), and the next write of the app is
			// a 422 "Ports must be unique". Marathon 1.4.13 takes ports
			// from outside the app's (GroupManagerActor.scala:238-298).
			// The app is replaced by a new one instead.
			name += "b"
		}
		try := copyMap(apps)
		try[name] = body
		if _, err := renderTree(try); err != nil {
			st.refused++
			st.refusals = append(st.refusals, fmt.Sprintf("batch %d round %d %s: %v\n    %s", b, round, name, err, body))
			continue
		}
		apps[name] = body
		order = append(order, name)
		st.accepted++
	}
	return apps
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// renderTree loads, validates and renders a spec tree holding apps (name →
// JSON body, which is YAML too) in one environment, as `pacer reconcile`
// does.
func renderTree(apps map[string]string) ([]DesiredApp, error) {
	var b strings.Builder
	b.WriteString(`apiVersion: pacer.dev/v1
kind: Cluster
metadata: {name: ams}
spec:
  marathon: {urls: ["http://marathon.ams:8080"]}
---
apiVersion: pacer.dev/v1
kind: ServiceGroup
metadata: {name: prop, parent: /services}
spec:
  environments:
    production: {clusters: [ams]}
  apps:
`)
	if len(apps) == 0 {
		b.WriteString("    {}\n")
	}
	for _, name := range slices.Sorted(maps.Keys(apps)) {
		fmt.Fprintf(&b, "    %s: %s\n", name, apps[name])
	}
	set, err := specs.Load(fstest.MapFS{"specs.yaml": {Data: []byte(b.String())}})
	if err != nil {
		return nil, err
	}
	if err := set.Validate(); err != nil {
		return nil, err
	}
	rendered, err := set.Render("ams", "")
	if err != nil {
		return nil, err
	}
	out := make([]DesiredApp, len(rendered))
	for i, a := range rendered {
		out[i] = DesiredApp{ID: a.ID, Definition: a.Definition, IgnoreDifferences: a.IgnoreDifferences, Source: a.Source.String(), Revision: "prop"}
	}
	if len(out) == 0 && len(apps) > 0 {
		return nil, errors.New("nothing rendered")
	}
	return out, nil
}

// specGen generates app spec bodies.
type specGen struct{ r *rand.Rand }

func (g *specGen) chance(p float64) bool { return g.r.Float64() < p }

func pick[T any](g *specGen, xs ...T) T { return xs[g.r.IntN(len(xs))] }

// app returns the JSON body of app number i; earlier are the names of the
// apps generated before it in the batch, which it may depend on.
func (g *specGen) app(i int, earlier []string) string {
	a := map[string]any{}
	var ports []portInfo // the app's ports, for health and readiness checks
	networking := pick(g, "host", "host", "bridge", "bridge", "ip", "mesos")
	resident := networking != "ip" && g.chance(0.1)

	switch networking {
	case "host", "mesos":
		ports = g.hostPorts(a, i)
	case "ip":
		ip := map[string]any{"networkName": pick(g, "dcos", "calico")}
		if g.chance(0.5) {
			ip["groups"] = []any{"default"}
		}
		if g.chance(0.5) {
			ip["labels"] = map[string]any{"net": "a"}
		}
		if g.chance(0.5) {
			ip["discovery"] = map[string]any{"ports": []any{map[string]any{"number": 8080, "name": "http", "protocol": pick(g, "tcp", "udp")}}}
		}
		a["ipAddress"] = ip
	}
	g.container(a, networking, resident, i, &ports)
	g.command(a, networking)

	if g.chance(0.3) {
		a["user"] = pick(g, "nobody", "root")
	}
	if g.chance(0.5) {
		env := map[string]any{"LOG_LEVEL": pick(g, "info", "debug", "")}
		if g.chance(0.3) {
			env["DB_PASSWORD"] = map[string]any{"secret": "db"}
			a["secrets"] = map[string]any{"db": map[string]any{"source": "vault/db"}}
		}
		a["env"] = env
	}
	a["instances"] = pick(g, 0, 1, 1, 2)
	if g.chance(0.7) {
		a["cpus"] = pick(g, 0.1, 0.25, 0.5, 1, 2)
	}
	if g.chance(0.7) {
		a["mem"] = pick(g, 32, 64, 100.5, 128, 256)
	}
	if g.chance(0.3) {
		a["disk"] = pick(g, 0, 10, 512)
	}
	// gpus > 0 never launches on the simulator's agents: it would only test
	// the deployment timeout. 0 is Marathon's default.
	if g.chance(0.1) {
		a["gpus"] = 0
	}
	if g.chance(0.1) {
		a["executor"] = pick(g, "", "//cmd")
	}
	if g.chance(0.4) {
		var cs []any
		for range 1 + g.r.IntN(2) {
			cs = append(cs, pick[any](g,
				[]any{"hostname", "UNIQUE"},
				[]any{"hostname", "UNIQUE", ""},
				[]any{"rack", "GROUP_BY"},
				[]any{"rack", "GROUP_BY", "3"},
				[]any{"hostname", "LIKE", "agent-[0-9]+"},
				[]any{"rack", "UNLIKE", "r9"},
				[]any{"hostname", "MAX_PER", "2"},
			))
		}
		a["constraints"] = dedupe(cs)
	}
	switch pick(g, "", "", "uris", "fetch") {
	case "uris":
		a["uris"] = pick[any](g, []any{"http://x.example/a.tgz"}, []any{"http://x.example/run.sh", "http://x.example/b.zip"})
	case "fetch":
		f := map[string]any{"uri": pick(g, "http://x.example/a.tgz", "http://x.example/run.sh")}
		for _, k := range []string{"executable", "extract", "cache"} {
			if g.chance(0.5) {
				f[k] = g.chance(0.5)
			}
		}
		if g.chance(0.3) {
			f["destPath"] = "bin/run"
		}
		a["fetch"] = []any{f}
	}
	if g.chance(0.05) {
		a["storeUrls"] = []any{"http://x.example/store.tgz"}
	}
	// backoffSeconds, maxLaunchDelaySeconds and taskKillGracePeriodSeconds
	// are whole seconds in Marathon 1.4.13 (readNullable[Long],
	// api/v2/json/Formats.scala:988-990, 1052): 0.5 is a 422 there and in
	// the simulator, though validate accepts it (specs' shape says num).
	if g.chance(0.3) {
		a["backoffSeconds"] = pick(g, 1, 5, 0)
	}
	if g.chance(0.3) {
		a["backoffFactor"] = pick(g, 1, 1.15, 2)
	}
	if g.chance(0.3) {
		a["maxLaunchDelaySeconds"] = pick(g, 60, 3600)
	}
	// The simulator keeps a killed task TASK_KILLING for the app's
	// taskKillGracePeriodSeconds (in real seconds): 0 keeps round 1's
	// restarts and deletes short.
	if g.chance(0.2) {
		a["taskKillGracePeriodSeconds"] = 0
	}
	g.healthChecks(a, ports)
	g.readinessChecks(a, ports)
	if len(earlier) > 0 && g.chance(0.3) {
		deps := []any{earlier[g.r.IntN(len(earlier))]}
		switch pick(g, "", "abs", "rel") {
		case "abs":
			deps = append(deps, "/services/prop/production/"+earlier[g.r.IntN(len(earlier))])
		case "rel":
			deps = append(deps, "../production/"+earlier[g.r.IntN(len(earlier))])
		}
		a["dependencies"] = dedupe(deps)
	}
	g.explicitDefaults(a)
	if resident {
		// Simulator gap: for an app with persistent volumes marathonsim
		// fills in no residency, upgradeStrategy {1, 1} and
		// unreachableStrategy {0, 0}, where Marathon 1.4.13 fills in
		// residency {3600, WAIT_FOREVER}, {0.5, 0} and "disabled"
		// (api/v2/json/Formats.scala:1023-1031; normalization models
		// Marathon, TestNormalizeEquivalent "resident defaults"). Resident
		// apps here give all three.
		a["residency"] = map[string]any{"relaunchEscalationTimeoutSeconds": pick(g, 3600, 60), "taskLostBehavior": pick(g, "WAIT_FOREVER", "RELAUNCH_AFTER_TIMEOUT")}
		a["upgradeStrategy"] = map[string]any{"minimumHealthCapacity": 0, "maximumOverCapacity": 0}
	} else if _, set := a["upgradeStrategy"]; !set && g.chance(0.4) {
		// Simulator gap: a restart where the minimum healthy count
		// equals the maximum capacity ({1, 0}, or {0.5, 0.2} with one
		// instance) never finishes in marathonsim; Marathon 1.4.13
		// allows one instance of over-capacity then
		// (upgrade/TaskReplaceActor.scala:208-236). Only strategies that
		// leave room are generated.
		a["upgradeStrategy"] = pick[any](g,
			map[string]any{"minimumHealthCapacity": 0},
			map[string]any{"minimumHealthCapacity": 0, "maximumOverCapacity": 0},
			map[string]any{"minimumHealthCapacity": 0, "maximumOverCapacity": 0.2},
			map[string]any{"minimumHealthCapacity": 0.5, "maximumOverCapacity": 1},
			map[string]any{"minimumHealthCapacity": 1, "maximumOverCapacity": 1},
			map[string]any{"maximumOverCapacity": 1},
			map[string]any{"minimumHealthCapacity": 0.5},
		)
	}
	if g.chance(0.5) {
		labels := map[string]any{"team": pick(g, "search", "sync")}
		if g.chance(0.3) {
			labels["tier"] = "backend"
		}
		a["labels"] = labels
	}
	if resident && g.chance(0.2) {
		a["acceptedResourceRoles"] = []any{"*"} // validate: persistent volumes need exactly ["*"]
	} else if g.chance(0.2) {
		a["acceptedResourceRoles"] = pick[any](g, []any{"*"}, []any{"slave_public", "*"})
	}
	if resident || g.chance(0.3) {
		if resident || g.chance(0.3) {
			a["unreachableStrategy"] = "disabled"
		} else {
			a["unreachableStrategy"] = map[string]any{"inactiveAfterSeconds": pick(g, 0, 60), "expungeAfterSeconds": pick(g, 120, 600)}
		}
	}
	if g.chance(0.2) {
		a["killSelection"] = pick(g, "YOUNGEST_FIRST", "OLDEST_FIRST")
	}
	b, err := json.Marshal(a)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// explicitDefaults writes some of Marathon's defaults and empty values
// out: the same app as leaving them out.
func (g *specGen) explicitDefaults(a map[string]any) {
	defaults := map[string]any{
		"instances": 1, "cpus": 1, "mem": 128, "disk": 0, "executor": "", "requirePorts": false,
		"backoffSeconds": 1, "backoffFactor": 1.15, "maxLaunchDelaySeconds": 3600, "killSelection": "YOUNGEST_FIRST",
		"env": map[string]any{}, "labels": map[string]any{}, "constraints": []any{}, "uris": []any{}, "fetch": []any{},
		"storeUrls": []any{}, "healthChecks": []any{}, "readinessChecks": []any{}, "dependencies": []any{}, "secrets": map[string]any{},
	}
	for k, v := range defaults {
		if _, set := a[k]; !set && g.chance(0.05) {
			a[k] = v
		}
	}
	if _, set := a["uris"]; set {
		if _, both := a["fetch"]; both {
			delete(a, "uris") // Marathon refuses both
		}
	}
}

// servicePorts is how many service ports Marathon gives a generated app.
func servicePorts(body string) int {
	var a struct {
		IPAddress       any   `json:"ipAddress"`
		Ports           []any `json:"ports"`
		PortDefinitions []any `json:"portDefinitions"`
		Container       struct {
			Docker struct {
				Network      string `json:"network"`
				PortMappings []any  `json:"portMappings"`
			} `json:"docker"`
		} `json:"container"`
	}
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		panic(err)
	}
	switch d := a.Container.Docker; {
	case (d.Network == "BRIDGE" || d.Network == "USER") && len(d.PortMappings) > 0:
		return len(d.PortMappings)
	case a.IPAddress != nil:
		return 0
	case a.PortDefinitions != nil:
		return len(a.PortDefinitions)
	case a.Ports != nil:
		return len(a.Ports)
	}
	return 1
}

// portInfo is one port of a generated app.
type portInfo struct{ name string }

// hostPorts gives a host-networked app its ports: the default one, legacy
// ports or port definitions.
func (g *specGen) hostPorts(a map[string]any, i int) []portInfo {
	switch pick(g, "default", "none", "ports", "defs", "defs") {
	case "none":
		a["portDefinitions"] = []any{}
		return nil
	case "ports":
		n := 1 + g.r.IntN(2)
		ps := make([]any, n)
		for k := range ps {
			ps[k] = 0
		}
		if g.chance(0.3) {
			ps[0] = 11000 + i // fixed, unique in the batch
		}
		a["ports"] = ps
		return make([]portInfo, n)
	case "defs":
		n := 1 + g.r.IntN(2)
		var defs []any
		var out []portInfo
		for k := range n {
			d := map[string]any{}
			if g.chance(0.7) {
				d["port"] = 0
			}
			if k == 0 && g.chance(0.3) {
				d["port"] = 12000 + i
			}
			if g.chance(0.5) {
				d["protocol"] = pick(g, "tcp", "udp", "udp,tcp")
			}
			name := ""
			if g.chance(0.6) {
				name = fmt.Sprintf("p%d", k)
				d["name"] = name
			}
			if g.chance(0.3) {
				d["labels"] = map[string]any{"VIP_0": "x"}
			}
			defs = append(defs, d)
			out = append(out, portInfo{name: name})
		}
		a["portDefinitions"] = defs
		if g.chance(0.3) {
			a["requirePorts"] = g.chance(0.5)
		}
		return out
	}
	return []portInfo{{name: "default"}}
}

// container gives the app a container: none, Docker in the app's network
// mode, or the Mesos containerizer with a Docker image; with volumes,
// persistent ones when resident.
func (g *specGen) container(a map[string]any, networking string, resident bool, i int, ports *[]portInfo) {
	var c map[string]any
	switch networking {
	case "bridge":
		d := map[string]any{"image": "registry.example/app:" + pick(g, "1", "2.0"), "network": "BRIDGE"}
		var pms []any
		*ports = nil
		for k := range 1 + g.r.IntN(2) {
			pm := map[string]any{"containerPort": 8080 + k}
			if g.chance(0.7) {
				pm["hostPort"] = 0
			}
			if g.chance(0.3) {
				pm["servicePort"] = pick(g, 0, 13000+i*2+k)
			}
			if g.chance(0.5) {
				pm["protocol"] = pick(g, "tcp", "udp", "udp,tcp")
			}
			name := ""
			if g.chance(0.5) {
				name = fmt.Sprintf("m%d", k)
				pm["name"] = name
			}
			if g.chance(0.2) {
				pm["labels"] = map[string]any{"VIP_0": "y"}
			}
			pms = append(pms, pm)
			*ports = append(*ports, portInfo{name: name})
		}
		d["portMappings"] = pms
		// Issue 12: portDefinitions or ports next to portMappings used to
		// be written forever. validate refuses the combination now
		// (specs TestBadSpecs); normalization still makes it quiet
		// (TestSimMappedPortsConverge).
		g.dockerOptions(d)
		c = map[string]any{"docker": d}
		if g.chance(0.7) {
			c["type"] = "DOCKER"
		}
	case "ip":
		switch pick(g, "none", "docker", "user") {
		case "docker":
			dropDiscovery(a)
			d := map[string]any{"image": "registry.example/app:1"}
			g.dockerOptions(d)
			c = map[string]any{"type": "DOCKER", "docker": d}
		case "user":
			// Docker on the IP-per-task network. Simulator gap: it
			// writes hostPort 0 into a USER mapping that has none, where
			// Marathon 1.4.13 leaves it out (hostPort is formatNullable,
			// api/v2/json/Formats.scala:226-233; no default outside BRIDGE,
			// state/Container.scala:58-66). The mappings here give it.
			dropDiscovery(a)
			d := map[string]any{"image": "registry.example/app:1", "network": "USER"}
			pm := map[string]any{"containerPort": 8080, "hostPort": pick(g, 0, 31000)}
			if g.chance(0.5) {
				pm["name"] = "http"
				*ports = append(*ports, portInfo{name: "http"})
			} else {
				*ports = append(*ports, portInfo{})
			}
			if g.chance(0.3) {
				pm["protocol"] = "udp"
			}
			d["portMappings"] = []any{pm}
			g.dockerOptions(d)
			c = map[string]any{"type": "DOCKER", "docker": d}
		}
	case "mesos":
		if g.chance(0.5) {
			d := map[string]any{"image": "registry.example/app:1"}
			if g.chance(0.3) {
				d["forcePullImage"] = g.chance(0.5)
			}
			if g.chance(0.2) {
				d["privileged"] = g.chance(0.5) // dropped by Marathon
			}
			c = map[string]any{"type": "MESOS", "docker": d}
		} else {
			c = map[string]any{"type": "MESOS"}
		}
	default: // host
		if g.chance(0.5) {
			d := map[string]any{"image": "registry.example/app:3"}
			if g.chance(0.5) {
				d["network"] = "HOST"
			}
			g.dockerOptions(d)
			c = map[string]any{"type": "DOCKER", "docker": d}
		}
	}
	if resident {
		if c == nil {
			c = map[string]any{"type": "MESOS"}
		}
		c["volumes"] = []any{map[string]any{"containerPath": "data", "mode": "RW", "persistent": map[string]any{"size": pick(g, 10, 100)}}}
	} else if c != nil && g.chance(0.3) {
		c["volumes"] = []any{map[string]any{"containerPath": "/etc/app", "hostPath": "/srv/app", "mode": pick(g, "RO", "RW")}}
	} else if c != nil && g.chance(0.1) {
		c["volumes"] = []any{map[string]any{"containerPath": "/data", "mode": "RW", "external": map[string]any{"name": fmt.Sprintf("vol%d", i), "provider": "dvdi", "options": map[string]any{"dvdi/driver": "rexray"}}}}
		// Simulator gap: it fills in upgradeStrategy {1, 1} for an app
		// with external volumes, Marathon 1.4.13 {0.5, 0}
		// (api/v2/json/Formats.scala:1023-1027). These apps give it.
		a["upgradeStrategy"] = map[string]any{"minimumHealthCapacity": 0, "maximumOverCapacity": pick(g, 0, 1)}
	} else if c != nil && g.chance(0.1) {
		c["volumes"] = []any{}
	}
	if c != nil {
		a["container"] = c
	}
}

// dropDiscovery removes ipAddress.discovery: validate refuses it for Docker
// containers, which declare their ports in portMappings.
func dropDiscovery(a map[string]any) {
	if ip, ok := a["ipAddress"].(map[string]any); ok {
		delete(ip, "discovery")
	}
}

func (g *specGen) dockerOptions(d map[string]any) {
	if g.chance(0.2) {
		d["privileged"] = g.chance(0.5)
	}
	if g.chance(0.3) {
		d["forcePullImage"] = g.chance(0.5)
	}
	if g.chance(0.3) {
		d["parameters"] = []any{map[string]any{"key": "label", "value": "a=b"}}
	}
	if g.chance(0.05) {
		d["parameters"] = []any{}
	}
}

// command sets cmd or args (never both: Marathon refuses that); an app
// with a Docker image may have neither.
func (g *specGen) command(a map[string]any, networking string) {
	c, _ := a["container"].(map[string]any)
	d, _ := c["docker"].(map[string]any)
	choices := []string{"cmd", "cmd", "args"}
	if d["image"] != nil { // validate: an app needs cmd, args or an image
		choices = append(choices, "none")
	}
	switch pick(g, choices...) {
	case "cmd":
		a["cmd"] = pick(g, "sleep 1000", "./run --port $PORT0", "python3 -m http.server")
	case "args":
		a["args"] = pick[any](g, []any{"serve"}, []any{"serve", "--verbose"})
	}
}

// healthChecks adds checks of every protocol; those on a port only when
// the app has one.
func (g *specGen) healthChecks(a map[string]any, ports []portInfo) {
	if !g.chance(0.5) {
		return
	}
	var hcs []any
	mesosCheck := false // Marathon allows one Mesos health check per app
	for range 1 + g.r.IntN(2) {
		protos := []string{"COMMAND"}
		if len(ports) > 0 {
			protos = append(protos, "HTTP", "HTTPS", "TCP", "")
			if !mesosCheck {
				protos = append(protos, "MESOS_HTTP", "MESOS_HTTPS", "MESOS_TCP")
			}
		}
		proto := pick(g, protos...)
		mesosCheck = mesosCheck || strings.HasPrefix(proto, "MESOS_")
		hc := map[string]any{}
		if proto != "" {
			hc["protocol"] = proto
		}
		switch strings.ToUpper(proto) {
		case "COMMAND":
			hc["command"] = map[string]any{"value": "true"}
		case "", "HTTP", "HTTPS", "MESOS_HTTP", "MESOS_HTTPS":
			if g.chance(0.6) {
				hc["path"] = pick(g, "/", "/health")
			}
		}
		if strings.ToUpper(proto) != "COMMAND" {
			switch pick(g, "", "index", "index", "port") {
			case "index":
				hc["portIndex"] = g.r.IntN(len(ports))
			case "port":
				hc["port"] = 8080
			}
		}
		fields := map[string][]any{"gracePeriodSeconds": {0, 10, 300}, "intervalSeconds": {1, 60}, "timeoutSeconds": {1, 20},
			"maxConsecutiveFailures": {0, 3}}
		// Marathon 1.4.13 reads delaySeconds on COMMAND and Mesos checks
		// only, ignoreHttp1xx on Marathon HTTP(S) checks only
		// (api/v2/json/Formats.scala:760-811); validate refuses them
		// elsewhere.
		upper := strings.ToUpper(proto)
		if upper == "COMMAND" || strings.HasPrefix(upper, "MESOS_") {
			fields["delaySeconds"] = []any{0, 15}
		}
		for k, vs := range fields {
			if g.chance(0.3) {
				hc[k] = pick(g, vs...)
			}
		}
		if (upper == "" || upper == "HTTP" || upper == "HTTPS") && g.chance(0.1) {
			hc["ignoreHttp1xx"] = g.chance(0.5)
		}
		hcs = append(hcs, hc)
	}
	a["healthChecks"] = dedupe(hcs)
}

// readinessChecks adds one on a named port, when the app has one.
func (g *specGen) readinessChecks(a map[string]any, ports []portInfo) {
	var named []string
	for _, p := range ports {
		if p.name != "" {
			named = append(named, p.name)
		}
	}
	if len(named) == 0 || !g.chance(0.2) {
		return
	}
	rc := map[string]any{"portName": pick(g, named...)}
	if g.chance(0.5) {
		rc["path"] = "/ready"
	}
	if g.chance(0.3) {
		rc["protocol"] = pick(g, "HTTP", "HTTPS")
	}
	if g.chance(0.3) {
		rc["httpStatusCodesForReady"] = []any{200, 204}
	}
	if g.chance(0.2) {
		rc["intervalSeconds"], rc["timeoutSeconds"] = 30, 10
	}
	a["readinessChecks"] = []any{rc}
}

// dedupe drops repeated elements (a set field given twice is a different
// spec, not the same one).
func dedupe(xs []any) []any {
	seen := map[string]bool{}
	var out []any
	for _, x := range xs {
		b, _ := json.Marshal(x)
		if !seen[string(b)] {
			seen[string(b)] = true
			out = append(out, x)
		}
	}
	return out
}
