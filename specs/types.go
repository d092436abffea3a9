package specs

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"
)

// Sync policies of an environment.
const (
	SyncAutomated = "automated" // every change is applied (the default)
	SyncManual    = "manual"    // changes are only planned
)

// Per-app alert conditions an environment's alerting may set a duration
// (alerting.for) for; the names are those of the incidents' class.
const (
	ConditionOutOfSync        = "OutOfSync"        // live state differs from the specs
	ConditionSyncFailed       = "SyncFailed"       // Marathon rejected a change or its deployment failed
	ConditionUnhealthy        = "Unhealthy"        // tasks fail their health checks
	ConditionUnderprovisioned = "Underprovisioned" // fewer running, healthy tasks than instances
	ConditionDeploymentStuck  = "DeploymentStuck"  // a deployment runs longer than its limit
	ConditionCrashLooping     = "CrashLooping"     // tasks fail repeatedly, the app is in launch backoff
)

// AlertConditions lists the conditions alerting.for accepts.
func AlertConditions() []string {
	return []string{ConditionCrashLooping, ConditionDeploymentStuck, ConditionOutOfSync,
		ConditionSyncFailed, ConditionUnderprovisioned, ConditionUnhealthy}
}

func conditionList() string { return strings.Join(AlertConditions(), ", ") }

// Source is where something is defined: a file relative to the specs root
// and a 1-based line and column.
type Source struct {
	File string `json:"file"`
	Line int    `json:"line"`
	Col  int    `json:"col"`
}

func (s Source) String() string { return fmt.Sprintf("%s:%d:%d", s.File, s.Line, s.Col) }

// Set is a loaded spec tree. It is read-only once loaded and safe for
// concurrent use.
type Set struct {
	Clusters []*Cluster      // sorted by name
	Groups   []*ServiceGroup // sorted by path, then file
	Files    []string        // spec files found (*.yaml, *.yml), sorted
	Skipped  []Skipped       // entries not read (hidden, other extensions, directory symlinks), sorted

	loadErrs Errors
	once     sync.Once
	valid    error
	warns    Errors
}

// Cluster is a Marathon cluster pacer deploys to.
type Cluster struct {
	Name         string
	MarathonURLs []string
	// Expect is spec.marathon.expect (nil when not set): what the cluster's
	// Marathon must report in /v2/info.
	Expect *MarathonExpect
	// ShowEnv is spec.plan.showEnv: env keys (or path.Match patterns) whose
	// values plans of the apps deployed here may print.
	ShowEnv []string
	// Marathon is how to reach those URLs (spec.marathon.timeout,
	// basicAuth, token); zero values mean unset.
	Marathon MarathonAccess
	// NixyRealms and HAProxyGroups are what the cluster's load balancers
	// serve (spec.loadBalancers). Validate checks the NIXY_REALM and
	// HAPROXY_GROUP / HAPROXY_{n}_GROUP labels of the apps deployed here
	// against them. nil means the spec does not list them (labels of that
	// kind are not checked); an empty list means no load balancer of that
	// kind serves anything here.
	NixyRealms    []string
	HAProxyGroups []string
	Source        Source

	node *yaml.Node // the document's root mapping
}

// MarathonAccess is the Cluster spec's part of how to reach Marathon. The
// credentials are references; the secrets are never in git.
type MarathonAccess struct {
	Timeout   time.Duration
	BasicAuth SecretRef
	Token     SecretRef
}

// ServiceGroup is a service: apps deployed once per environment, in the
// Marathon group <parent>/<name>/<environment>.
type ServiceGroup struct {
	Name         string
	Parent       string         // absolute, "/" by default
	Environments []*Environment // sorted by name
	Apps         []*AppSpec     // sorted by name
	Defaults     map[string]any // merged under every app
	Checks       []*CheckSpec   // spec.checks, sorted by name
	Source       Source
	// ShowEnv is spec.plan.showEnv: env keys (or path.Match patterns) whose
	// values plans may print; every other env value is masked.
	ShowEnv []string

	path string
	node *yaml.Node
}

// Path is the group's id without the environment, e.g. /services/autofill.
func (g *ServiceGroup) Path() string { return g.path }

// Environment is one deployment of a ServiceGroup.
type Environment struct {
	Name     string
	Clusters []string
	Alerting *Alerting // nil when the environment does not page
	Sync     Sync
	Source   Source

	path string // the Marathon group, e.g. /services/autofill/production
}

// Path is the Marathon group of the environment, e.g. /services/autofill/production.
func (e *Environment) Path() string { return e.path }

// Alerting says how an environment pages.
type Alerting struct {
	Urgency    string                   `json:"urgency"`
	RoutingKey SecretRef                `json:"routingKey"`
	For        map[string]time.Duration `json:"for,omitempty"`
}

// SecretRef says where a secret comes from; the secret itself is never in git.
type SecretRef struct {
	FromEnv  string `json:"fromEnv,omitempty"`
	FromFile string `json:"fromFile,omitempty"`
}

// Sync says how pacer converges an environment.
type Sync struct {
	Policy string `json:"policy"` // SyncAutomated or SyncManual
	Prune  bool   `json:"prune"`
}

// AppSpec is one app of a ServiceGroup as written, before rendering.
type AppSpec struct {
	Name              string
	Body              map[string]any            // Marathon fields, decoded
	IgnoreDifferences []string                  // JSON pointers
	Overlays          map[string]map[string]any // by environment
	Source            Source

	node   *yaml.Node                // the body mapping
	broken bool                      // decoding reported a problem inside the app
	merged map[string]map[string]any // by environment, set once by Validate
}

// App is one rendered Marathon app: what pacer submits to one cluster.
type App struct {
	ID                string          `json:"id"`           // absolute, e.g. /services/autofill/production/app
	Group             string          `json:"group"`        // e.g. /services/autofill/production
	ServiceGroup      string          `json:"serviceGroup"` // e.g. /services/autofill
	Environment       string          `json:"environment"`
	Cluster           string          `json:"cluster"`
	Source            Source          `json:"source"`
	IgnoreDifferences []string        `json:"ignoreDifferences,omitempty"`
	Sync              Sync            `json:"sync"`
	Alerting          *Alerting       `json:"alerting,omitempty"`
	Definition        json.RawMessage `json:"definition"`        // the Marathon app JSON
	ShowEnv           []string        `json:"showEnv,omitempty"` // env keys (or patterns) plans may print: the Cluster's spec.plan.showEnv, then the group's
}
