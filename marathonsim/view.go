package marathonsim

import (
	"encoding/json"
	"sort"
	"strings"
)

// appView is an app as Marathon 1.4 writes it (Formats.AppDefWrites field
// order), followed by the AppInfo embeds.
type appView struct {
	ID                         string                     `json:"id"`
	Cmd                        *string                    `json:"cmd"`
	Args                       []string                   `json:"args"`
	User                       *string                    `json:"user"`
	Env                        map[string]json.RawMessage `json:"env"`
	Instances                  int                        `json:"instances"`
	CPUs                       float64                    `json:"cpus"`
	Mem                        float64                    `json:"mem"`
	Disk                       float64                    `json:"disk"`
	GPUs                       int                        `json:"gpus"`
	Executor                   string                     `json:"executor"`
	Constraints                [][]string                 `json:"constraints"`
	URIs                       []string                   `json:"uris"`
	Fetch                      []Fetch                    `json:"fetch"`
	StoreURLs                  []string                   `json:"storeUrls"`
	BackoffSeconds             int64                      `json:"backoffSeconds"`
	BackoffFactor              float64                    `json:"backoffFactor"`
	MaxLaunchDelaySeconds      int64                      `json:"maxLaunchDelaySeconds"`
	Container                  json.RawMessage            `json:"container"`
	HealthChecks               []HealthCheck              `json:"healthChecks"`
	ReadinessChecks            []json.RawMessage          `json:"readinessChecks"`
	Dependencies               []string                   `json:"dependencies"`
	UpgradeStrategy            *UpgradeStrategy           `json:"upgradeStrategy"`
	Labels                     map[string]string          `json:"labels"`
	IPAddress                  json.RawMessage            `json:"ipAddress"`
	Version                    string                     `json:"version"`
	Residency                  json.RawMessage            `json:"residency"`
	Secrets                    map[string]json.RawMessage `json:"secrets"`
	TaskKillGracePeriodSeconds *int64                     `json:"taskKillGracePeriodSeconds"`
	UnreachableStrategy        json.RawMessage            `json:"unreachableStrategy"`
	KillSelection              string                     `json:"killSelection"`
	AcceptedResourceRoles      []string                   `json:"acceptedResourceRoles,omitempty"`
	Ports                      *[]int                     `json:"ports,omitempty"`
	PortDefinitions            *[]PortDefinition          `json:"portDefinitions,omitempty"`
	RequirePorts               *bool                      `json:"requirePorts,omitempty"`
	VersionInfo                *VersionInfo               `json:"versionInfo,omitempty"`

	TasksStaged           *int                 `json:"tasksStaged,omitempty"`
	TasksRunning          *int                 `json:"tasksRunning,omitempty"`
	TasksHealthy          *int                 `json:"tasksHealthy,omitempty"`
	TasksUnhealthy        *int                 `json:"tasksUnhealthy,omitempty"`
	Deployments           *[]map[string]string `json:"deployments,omitempty"`
	ReadinessCheckResults *[]any               `json:"readinessCheckResults,omitempty"`
	Tasks                 *[]taskView          `json:"tasks,omitempty"`
	LastTaskFailure       *taskFailure         `json:"lastTaskFailure,omitempty"`
	TaskStats             map[string]any       `json:"taskStats,omitempty"`
}

type viewOpts struct {
	versionInfo, counts, deployments, tasks, lastTaskFailure, taskStats, readiness bool
}

// parseEmbeds reads the embed parameters, accepting the "apps.", "app.",
// "group.apps." and bare forms.
// parseEmbeds reads the repeatable embed parameter as
// InfoEmbedResolver does (api/v2/InfoEmbedResolver.scala:34-70 at v1.4.13):
// each value is one embed (Jersey does not split on commas, so
// "apps.tasks,apps.counts" is one unknown embed and ignored), with at most
// one of the prefixes group.apps., apps. or app. removed.
func parseEmbeds(values []string) (opts viewOpts, groups, apps bool) {
	for _, e := range values {
		switch e {
		case "group.groups":
			groups = true
			continue
		case "group.apps":
			apps = true
			continue
		}
		apps = apps || strings.HasPrefix(e, "group.apps.")
		for _, p := range []string{"group.apps.", "apps.", "app."} {
			if rest, ok := strings.CutPrefix(e, p); ok {
				e = rest
				break
			}
		}
		switch e {
		case "tasks":
			opts.tasks, opts.deployments = true, true
		case "counts":
			opts.counts = true
		case "deployments":
			opts.deployments = true
		case "lastTaskFailure":
			opts.lastTaskFailure = true
		case "taskStats":
			opts.taskStats = true
		case "readiness":
			opts.readiness = true
		case "failures":
			opts.tasks, opts.lastTaskFailure, opts.deployments = true, true, true
		}
	}
	return opts, groups, apps
}

func (s *Server) appView(a *App, o viewOpts) *appView {
	v := &appView{
		ID: a.ID, Cmd: a.Cmd, Args: a.Args, User: a.User, Env: a.Env, Instances: a.instances(), CPUs: a.cpus(), Mem: a.mem(),
		Disk: deref(a.Disk, 0), GPUs: deref(a.GPUs, 0), Executor: deref(a.Executor, ""), Constraints: a.Constraints, URIs: a.URIs,
		Fetch: a.Fetch, StoreURLs: a.StoreURLs, BackoffSeconds: deref(a.BackoffSeconds, 1), BackoffFactor: deref(a.BackoffFactor, 1.15),
		MaxLaunchDelaySeconds: deref(a.MaxLaunchDelaySeconds, 3600), Container: a.Container, HealthChecks: a.HealthChecks,
		ReadinessChecks: a.ReadinessChecks, Dependencies: a.Dependencies, UpgradeStrategy: a.UpgradeStrategy, Labels: a.Labels,
		IPAddress: a.IPAddress, Version: a.Version, Residency: a.Residency, Secrets: a.Secrets,
		TaskKillGracePeriodSeconds: a.TaskKillGracePeriodSeconds, UnreachableStrategy: a.UnreachableStrategy, KillSelection: a.KillSelection,
		AcceptedResourceRoles: a.AcceptedResourceRoles,
	}
	if a.IPAddress == nil {
		// AppDefWrites (Formats.scala:1223-1240 at v1.4.13): ports are the
		// service ports, portDefinitions zipped with them. Stored apps are
		// zipped already; a request's app (POST response, api_post_event)
		// is written before port assignment, with its 0s.
		ports := servicePortsOf(a)
		pds := a.PortDefinitions
		if !portsMatch(pds, ports) {
			pds = zipPortDefinitions(pds, ports)
		}
		v.Ports, v.PortDefinitions, v.RequirePorts = &ports, &pds, ptr(deref(a.RequirePorts, false))
	}
	if o.versionInfo {
		v.VersionInfo = a.VersionInfo
	}
	r := s.rt[a.ID]
	if o.counts {
		var staged, running, healthy, unhealthy int
		if r != nil {
			for _, t := range r.tasks {
				countTask(t, &staged, &running, &healthy, &unhealthy)
			}
		}
		v.TasksStaged, v.TasksRunning, v.TasksHealthy, v.TasksUnhealthy = &staged, &running, &healthy, &unhealthy
	}
	if o.deployments {
		deps := []map[string]string{}
		for _, d := range s.deployments {
			for _, id := range d.affected {
				if id == a.ID {
					deps = append(deps, map[string]string{"id": d.id})
				}
			}
		}
		v.Deployments = &deps
	}
	if o.readiness {
		v.ReadinessCheckResults = &[]any{}
	}
	if o.tasks {
		tasks := []taskView{}
		if r != nil {
			for _, t := range sortedTasks(r) {
				tasks = append(tasks, taskJSON(t))
			}
		}
		v.Tasks = &tasks
	}
	if o.lastTaskFailure && r != nil {
		v.LastTaskFailure = r.lastFailure
	}
	if o.taskStats && r != nil && len(r.tasks) > 0 {
		v.TaskStats = s.taskStats(a, r)
	}
	return v
}

// taskView is an EnrichedTask (BEHAVIOUR.md §5).
type taskView struct {
	ID                 string       `json:"id"`
	State              string       `json:"state"`
	StartedAt          *string      `json:"startedAt"`
	StagedAt           string       `json:"stagedAt"`
	Ports              []int        `json:"ports"`
	Version            string       `json:"version"`
	IPAddresses        []ipAddress  `json:"ipAddresses"`
	AppID              string       `json:"appId"`
	SlaveID            string       `json:"slaveId"`
	Host               string       `json:"host"`
	ServicePorts       []int        `json:"servicePorts,omitempty"`
	HealthCheckResults []healthView `json:"healthCheckResults,omitempty"`
}

// taskJSON is EnrichedTaskWrites (api/v2/json/Formats.scala:146-166 at
// v1.4.13) of a task as /v2/apps/{id}/tasks and app-embedded tasks write
// it: without servicePorts, which only /v2/tasks passes
// (AppTasksResource.scala:73, AppInfoBaseData.scala:151 vs
// TasksResource.scala:84-90).
func taskJSON(t *task) taskView {
	return taskView{ID: t.id, State: t.state, StartedAt: t.startedStr, StagedAt: t.stagedStr, Ports: nonNil(t.ports),
		Version: t.def.Version, IPAddresses: []ipAddress{{IPAddress: simHost, Protocol: "IPv4"}}, AppID: t.appID, SlaveID: simAgentID,
		Host: simHost, HealthCheckResults: healthViews(t)}
}

// countTask adds t to the app counts (TaskCounts, BEHAVIOUR.md §5):
// tasksRunning counts TASK_RUNNING only, tasksStaged TASK_STAGING; a task
// being killed counts in none of them.
func countTask(t *task, staged, running, healthy, unhealthy *int) {
	switch t.state {
	case stateRunning:
		*running++
	case stateStaging:
		*staged++
	default:
		return
	}
	if t.healthy() {
		*healthy++
	} else if t.unhealthy() {
		*unhealthy++
	}
}

// taskStats is the apps.taskStats embed: counts and lifetimes per category.
func (s *Server) taskStats(a *App, r *appRuntime) map[string]any {
	cats := map[string]func(t *task) bool{
		"startedAfterLastScaling": func(t *task) bool {
			return a.VersionInfo == nil || formatTime(t.stagedAt) >= a.VersionInfo.LastScalingAt
		},
		"withLatestConfig":   func(t *task) bool { return t.def.VersionInfo == a.VersionInfo || t.def.Version == a.Version },
		"withOutdatedConfig": func(t *task) bool { return t.def.Version != a.Version },
		"totalSummary":       func(*task) bool { return true },
	}
	out := map[string]any{}
	now := s.now()
	for name, match := range cats {
		var staged, running, healthy, unhealthy int
		var lifes []float64
		for _, t := range r.tasks {
			if !match(t) {
				continue
			}
			if t.state == stateRunning {
				lifes = append(lifes, now.Sub(t.startedAt).Seconds())
			}
			countTask(t, &staged, &running, &healthy, &unhealthy)
		}
		if staged+running == 0 {
			continue
		}
		stats := map[string]any{"counts": map[string]int{"staged": staged, "running": running, "healthy": healthy, "unhealthy": unhealthy}}
		if len(lifes) > 0 {
			sort.Float64s(lifes)
			sum := 0.0
			for _, l := range lifes {
				sum += l
			}
			stats["lifeTime"] = map[string]float64{"averageSeconds": sum / float64(len(lifes)), "medianSeconds": lifes[len(lifes)/2]}
		}
		out[name] = map[string]any{"stats": stats}
	}
	return out
}

func portsMatch(pds []PortDefinition, ports []int) bool {
	if len(ports) == 0 {
		return true
	}
	if len(pds) != len(ports) {
		return false
	}
	for i := range pds {
		if pds[i].Port != ports[i] {
			return false
		}
	}
	return true
}
