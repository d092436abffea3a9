package specs

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Defaults of a check's fields.
const (
	DefaultCheckInterval = time.Minute
	DefaultExecTimeout   = 10 * time.Second
	DefaultProbeTimeout  = 5 * time.Second
	DefaultQueryTimeout  = 10 * time.Second
	defaultWarnFailing   = "0"
	defaultCritFailing   = "50%"
)

// CheckSpec is one entry of a ServiceGroup's spec.checks as written, before
// rendering.
type CheckSpec struct {
	Name      string
	Kind      string // CheckExec, CheckHTTP, CheckTCP or CheckPrometheus
	Settings  CheckSettings
	Tip       string
	Runbook   string
	Exec      *ExecCheck
	Probe     *Probe // http and tcp
	Query     *PrometheusQuery
	Overrides map[string]CheckOverride // by environment
	Source    Source

	node *yaml.Node
}

// CheckSettings are the fields of a check an environment may override.
type CheckSettings struct {
	Enabled  bool          `json:"enabled"`
	Page     bool          `json:"page"`
	Interval time.Duration `json:"intervalNanos"`
	For      int           `json:"for"`
	ClearFor int           `json:"clearFor"`
}

// CheckOverride is spec.checks.<name>.environments.<env>: nil fields keep
// the check's value.
type CheckOverride struct {
	Enabled, Page *bool
	Interval      *time.Duration
	For, ClearFor *int
}

// ExecCheck is a command run by pacer agent in the tasks of App.
type ExecCheck struct {
	App     string        `json:"app"`     // as written (the app's name); absolute in a rendered Check
	Command []string      `json:"command"` // argv
	Timeout time.Duration `json:"timeoutNanos"`
	Tasks   string        `json:"tasks"` // TasksOne or TasksEvery
}

// Probe is an http or tcp check the leader runs against every task of App.
type Probe struct {
	App       string        `json:"app"` // as written (the app's name); absolute in a rendered Check
	PortIndex int           `json:"portIndex"`
	PortName  string        `json:"portName,omitempty"`
	Timeout   time.Duration `json:"timeoutNanos"`
	Warning   Threshold     `json:"warning"`
	Critical  Threshold     `json:"critical"`
	// HTTP only. URL, when set, is probed instead of App's tasks.
	URL          string `json:"url,omitempty"`
	Scheme       string `json:"scheme,omitempty"`
	Path         string `json:"path,omitempty"`
	ExpectStatus []int  `json:"expectStatus,omitempty"` // empty: 200-399
	ExpectBody   string `json:"expectBody,omitempty"`
}

// PrometheusQuery is a prometheus check.
type PrometheusQuery struct {
	URL      string        `json:"url"`
	Query    string        `json:"query"`
	Warning  *float64      `json:"warning,omitempty"`
	Critical *float64      `json:"critical,omitempty"`
	Below    bool          `json:"below,omitempty"`
	NoData   string        `json:"noData"`
	Timeout  time.Duration `json:"timeoutNanos"`
}

// Threshold is a number of failing tasks, as a count or a share of the tasks.
type Threshold struct {
	Count   int     `json:"count,omitempty"`
	Percent float64 `json:"percent,omitempty"`
	Share   bool    `json:"share,omitempty"` // Percent is used, not Count
}

// ParseThreshold reads "3" (tasks) or "50%" (of the tasks).
func ParseThreshold(s string) (Threshold, error) {
	s = strings.TrimSpace(s)
	if p, ok := strings.CutSuffix(s, "%"); ok {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || v < 0 || v > 100 || math.IsNaN(v) {
			return Threshold{}, fmt.Errorf("must be a share from 0%% to 100%%, got %q", s)
		}
		return Threshold{Percent: v, Share: true}, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return Threshold{}, fmt.Errorf("must be a number of tasks such as 2 or a share such as 50%%, got %q", s)
	}
	return Threshold{Count: n}, nil
}

// Exceeded reports whether more than t of total tasks are failing.
func (t Threshold) Exceeded(failing, total int) bool {
	if t.Share {
		if total == 0 {
			return false
		}
		return float64(failing)*100 > t.Percent*float64(total)
	}
	return failing > t.Count
}

func (t Threshold) String() string {
	if t.Share {
		return strconv.FormatFloat(t.Percent, 'f', -1, 64) + "%"
	}
	return strconv.Itoa(t.Count)
}

// Check is one check rendered for one environment on one cluster: what the
// leader schedules (http, tcp, prometheus) or hands to pacer agent (exec).
type Check struct {
	// ID is <environment group>/<check name> after a colon, e.g.
	// /services/autofill/production:afquery; stable, used in dedup keys.
	ID           string        `json:"id"`
	Name         string        `json:"name"`
	Kind         string        `json:"kind"`
	ServiceGroup string        `json:"serviceGroup"`
	Environment  string        `json:"environment"`
	Group        string        `json:"group"`
	Cluster      string        `json:"cluster"`
	Settings     CheckSettings `json:"settings"`
	Tip          string        `json:"tip,omitempty"`
	Runbook      string        `json:"runbook,omitempty"`
	// Urgency is the environment's alerting urgency ("" when it does not page).
	Urgency string           `json:"urgency,omitempty"`
	Exec    *ExecCheck       `json:"exec,omitempty"`
	Probe   *Probe           `json:"probe,omitempty"`
	Query   *PrometheusQuery `json:"prometheus,omitempty"`
	Source  Source           `json:"source,omitzero"`
}

// App is the absolute id of the app the check runs in or probes, "" for
// prometheus checks.
func (c *Check) App() string {
	switch {
	case c.Exec != nil:
		return c.Exec.App
	case c.Probe != nil:
		return c.Probe.App
	}
	return ""
}

// CheckID is the ID of check name in the environment group group.
func CheckID(group, name string) string { return group + ":" + name }
