package marathonsim

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
)

// maxTreeVersions bounds the stored root versions (group rollback).
const maxTreeVersions = 100

// changeReq is one accepted-or-rejected change of the root group.
type changeReq struct {
	next     *tree
	gid      string          // group the change applies to (for group_change_success)
	force    bool            // cancel conflicting deployments instead of 409
	restarts map[string]bool // apps to restart even if unchanged
	accepted func()          // called once the change is stored (api_post_event)
}

// commit validates req.next, plans the deployment that reaches it, checks
// locks and swaps the tree in. It returns the started deployment.
func (s *Server) commit(req changeReq) (*deployment, error) {
	steps, kinds, err := s.prepare(req)
	if err != nil {
		return nil, err
	}
	return s.store(req, steps, kinds)
}

// prepare fills in versions and service ports of the changed apps of
// req.next, validates it and computes the plan, without storing anything.
func (s *Server) prepare(req changeReq) ([]step, map[string]changeKind, error) {
	orig, next := s.root, req.next
	version, _ := s.newVersion()
	next.version = version
	kinds := map[string]changeKind{}
	ports := &portAllocator{next: servicePortMin}
	for _, id := range next.sortedAppIDs() {
		a := next.apps[id]
		old, existed := orig.apps[id]
		if existed && old == a && !req.restarts[id] {
			continue
		}
		a = a.clone()
		next.apps[id] = a
		s.assignServicePorts(a, old, next, ports)
		kind := upgraded
		configChanged := true
		if existed {
			kind = classify(old, a)
			configChanged = kind == upgraded
			if req.restarts[id] {
				kind = upgraded
			}
		}
		if kind == unchanged {
			next.apps[id] = old
			continue
		}
		kinds[id] = kind
		a.Version = version
		// GroupVersioningUtil.updateVersionInfoForChangedApps
		// (upgrade/GroupVersioningUtil.scala:26-48 at v1.4.13): only a
		// config change (isUpgrade) moves lastConfigChangeAt; a scale or a
		// restart moves lastScalingAt alone.
		cfg := version
		if !configChanged && old.VersionInfo != nil {
			cfg = old.VersionInfo.LastConfigChangeAt
		}
		a.VersionInfo = &VersionInfo{LastScalingAt: version, LastConfigChangeAt: cfg}
	}
	var v violations
	validateTree(next, &v)
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	return computePlan(orig, next, kinds), kinds, nil
}

func (s *Server) store(req changeReq, steps []step, kinds map[string]changeKind) (*deployment, error) {
	orig, next, version := s.root, req.next, req.next.version
	affected := affectedApps(steps)
	if conflicts := s.conflicting(affected); len(conflicts) > 0 {
		if !req.force {
			ids := make([]string, 0, len(conflicts))
			for _, d := range conflicts {
				ids = append(ids, d.id)
			}
			return nil, lockedErr(ids)
		}
		for _, d := range conflicts {
			s.cancelDeployment(d)
		}
	}
	if g, ok := next.groups[req.gid]; ok && req.gid != "/" {
		gc := *g
		gc.Version = version
		next.groups[req.gid] = &gc
	}
	root := *next.groups["/"]
	root.Version = version
	next.groups["/"] = &root
	s.root = next
	s.touchAll()
	s.trees = append(s.trees, next)
	if len(s.trees) > maxTreeVersions {
		s.trees = s.trees[1:]
	}
	for id, kind := range kinds {
		s.history[id] = append(s.history[id], next.apps[id])
		if kind == upgraded {
			s.resetDelay(s.runtime(id))
		}
	}
	for id := range orig.apps {
		if _, ok := next.apps[id]; !ok {
			delete(s.history, id)
		}
	}
	if req.accepted != nil {
		req.accepted()
	}
	s.publish("group_change_success", map[string]any{"groupId": req.gid, "version": version})
	d := &deployment{id: newUUID(), version: version, orig: orig, target: next, steps: steps, cur: -1, affected: affected, restarts: map[string]*restartState{}, forced: req.restarts}
	s.deployments = append(s.deployments, d)
	s.settle()
	return d, nil
}

// conflicting returns the running deployments that touch any of ids.
func (s *Server) conflicting(ids []string) []*deployment {
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	var out []*deployment
	for _, d := range s.deployments {
		for _, id := range d.affected {
			if want[id] {
				out = append(out, d)
				break
			}
		}
	}
	return out
}

// portAllocator hands out free service ports during one change; the ports
// in use are collected once per change, not once per app.
type portAllocator struct {
	used map[int]bool
	next int
}

// assignServicePorts is GroupManagerActor.assignDynamicServicePorts
// (core/group/impl/GroupManagerActor.scala:238-305 at v1.4.13): service port
// 0 becomes a free port from 10000 up (the port old had at that index
// first); the service ports go into the Docker port mappings when the app
// has some, and portDefinitions, when not empty, are zipped with the
// service ports (padded with RandomPortDefinition, AppDefinition.scala:420).
func (s *Server) assignServicePorts(a, old *App, t *tree, pa *portAllocator) {
	var oldPorts []int
	if old != nil {
		oldPorts = servicePortsOf(old)
	}
	free := func() int {
		if pa.used == nil {
			pa.used = map[int]bool{}
			for _, other := range t.apps {
				for _, p := range servicePortsOf(other) {
					pa.used[p] = true
				}
			}
		}
		for pa.used[pa.next] && pa.next < servicePortMax {
			pa.next++
		}
		pa.used[pa.next] = true
		return pa.next
	}
	ports := servicePortsOf(a)
	for i := range ports {
		if ports[i] != 0 {
			continue
		}
		if i < len(oldPorts) && oldPorts[i] != 0 {
			ports[i] = oldPorts[i]
		} else {
			ports[i] = free()
		}
	}
	if pms := containerPortMappings(a.Container); len(pms) > 0 {
		for i, pm := range pms {
			pm["servicePort"] = ports[i]
		}
		a.Container = rewritePortMappings(a.Container, pms)
	}
	a.PortDefinitions = zipPortDefinitions(a.PortDefinitions, ports)
}

// zipPortDefinitions is mergeServicePortsAndPortDefinitions of
// GroupManagerActor and the "portDefinitions" of AppDefWrites
// (Formats.scala:1223-1236): each definition takes the service port at its
// index; missing definitions are {port, tcp, labels {}}, missing ports 0.
func zipPortDefinitions(pds []PortDefinition, ports []int) []PortDefinition {
	if len(pds) == 0 || len(ports) == 0 {
		return pds
	}
	n := max(len(pds), len(ports))
	out := make([]PortDefinition, n)
	for i := range out {
		if i < len(pds) {
			out[i] = pds[i]
		} else {
			out[i] = PortDefinition{Protocol: "tcp", Labels: map[string]string{}}
		}
		out[i].Port = 0
		if i < len(ports) {
			out[i].Port = ports[i]
		}
	}
	return out
}

// servicePortsOf is AppDefinition.servicePorts (AppDefinition.scala:283-284):
// the Docker port mappings' service ports when there are mappings, else the
// portDefinitions' ports.
func servicePortsOf(a *App) []int {
	if pms := containerPortMappings(a.Container); len(pms) > 0 {
		out := make([]int, 0, len(pms))
		for _, pm := range pms {
			sp, _ := pm["servicePort"].(float64)
			if i, ok := pm["servicePort"].(int); ok {
				sp = float64(i)
			}
			out = append(out, int(sp))
		}
		return out
	}
	out := make([]int, len(a.PortDefinitions))
	for i, pd := range a.PortDefinitions {
		out[i] = pd.Port
	}
	return out
}

func rewritePortMappings(c json.RawMessage, pms []map[string]any) json.RawMessage {
	var ct map[string]any
	if json.Unmarshal(c, &ct) != nil {
		return c
	}
	if d, ok := ct["docker"].(map[string]any); ok {
		d["portMappings"] = pms
	}
	b, err := json.Marshal(ct)
	if err != nil {
		return c
	}
	return b
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
