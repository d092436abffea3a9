package marathonsim

import "encoding/json"

// App is a Marathon 1.4 app definition as stored. Fields are in the order
// Marathon reads them; output order is decided by appView. Unknown input
// fields are ignored, as Marathon does.
type App struct {
	ID                         string                     `json:"id"`
	Cmd                        *string                    `json:"cmd"`
	Args                       []string                   `json:"args"`
	User                       *string                    `json:"user"`
	Env                        map[string]json.RawMessage `json:"env"`
	Instances                  *int                       `json:"instances"`
	CPUs                       *float64                   `json:"cpus"`
	Mem                        *float64                   `json:"mem"`
	Disk                       *float64                   `json:"disk"`
	GPUs                       *int                       `json:"gpus"`
	Executor                   *string                    `json:"executor"`
	Constraints                [][]string                 `json:"constraints"`
	URIs                       []string                   `json:"uris"`
	Fetch                      []Fetch                    `json:"fetch"`
	StoreURLs                  []string                   `json:"storeUrls"`
	BackoffSeconds             *int64                     `json:"backoffSeconds"`
	BackoffFactor              *float64                   `json:"backoffFactor"`
	MaxLaunchDelaySeconds      *int64                     `json:"maxLaunchDelaySeconds"`
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
	AcceptedResourceRoles      []string                   `json:"acceptedResourceRoles"`
	Ports                      []int                      `json:"ports"`
	PortDefinitions            []PortDefinition           `json:"portDefinitions"`
	RequirePorts               *bool                      `json:"requirePorts"`
	VersionInfo                *VersionInfo               `json:"versionInfo,omitempty"`
}

// Fetch is one artifact to fetch into the sandbox.
type Fetch struct {
	URI        string  `json:"uri"`
	Extract    *bool   `json:"extract,omitempty"`
	Executable *bool   `json:"executable,omitempty"`
	Cache      *bool   `json:"cache,omitempty"`
	DestPath   *string `json:"destPath,omitempty"`
}

// HealthCheck is a Marathon 1.4 health check with its defaults applied.
// Which optional keys it has depends on the protocol (defaultHealthCheck).
type HealthCheck struct {
	GracePeriodSeconds     *int64          `json:"gracePeriodSeconds"`
	IntervalSeconds        *int64          `json:"intervalSeconds"`
	TimeoutSeconds         *int64          `json:"timeoutSeconds"`
	MaxConsecutiveFailures *int64          `json:"maxConsecutiveFailures"`
	DelaySeconds           *int64          `json:"delaySeconds,omitempty"`
	Protocol               string          `json:"protocol,omitempty"`
	Path                   *string         `json:"path,omitempty"`
	PortIndex              *int            `json:"portIndex,omitempty"`
	Port                   *int            `json:"port,omitempty"`
	Command                json.RawMessage `json:"command,omitempty"`
	IgnoreHTTP1xx          *bool           `json:"ignoreHttp1xx,omitempty"`
}

// PortDefinition is one port of an app.
type PortDefinition struct {
	Port     int               `json:"port"`
	Protocol string            `json:"protocol"`
	Name     string            `json:"name,omitempty"`
	Labels   map[string]string `json:"labels"`
}

// UpgradeStrategy controls rolling restarts.
type UpgradeStrategy struct {
	MinimumHealthCapacity *float64 `json:"minimumHealthCapacity"`
	MaximumOverCapacity   *float64 `json:"maximumOverCapacity"`
}

// VersionInfo tells when the config and the scale of an app last changed.
type VersionInfo struct {
	LastScalingAt      string `json:"lastScalingAt"`
	LastConfigChangeAt string `json:"lastConfigChangeAt"`
}

func (a *App) instances() int {
	if a.Instances == nil {
		return 1
	}
	return *a.Instances
}

func (a *App) cpus() float64 { return deref(a.CPUs, 1) }
func (a *App) mem() float64  { return deref(a.Mem, 128) }

func (a *App) clone() *App {
	c := *a
	return &c
}

func deref[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

func ptr[T any](v T) *T { return &v }
