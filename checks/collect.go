package checks

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"pacer.dev/pacer/internal/marathon"
	"pacer.dev/pacer/specs"
)

// Stale is an app running pacer agent whose results could not be read: it
// has no running task, or no task's agent answered. Its exec checks are
// not judged (one stale condition pages instead of every check failing).
type Stale struct {
	App    string   `json:"app"`
	Reason string   `json:"reason"`
	Checks []string `json:"checks"` // ids of the exec checks it runs
	// Running counts the app's running tasks: 0 when the app is missing
	// or has no running task (the app's own conditions, Underprovisioned
	// and the like, report that), more when agents run but do not answer.
	Running int `json:"running"`
}

// Collector reads the results of the agents, as the leader does each
// cycle: from every running task of the apps running exec checks, at the
// task's first port.
type Collector struct {
	HTTP  *http.Client
	Token string
	// Timeout bounds one agent request (default 5s).
	Timeout time.Duration
}

// Collect returns the states of the exec checks among checks, read from
// the agents of their apps in live (by app id), and the agent apps that
// are stale. A tasks: one check takes the result of the agent with the
// lowest task id that reports it; a tasks: every check the worst hard
// state over the agents.
func (c *Collector) Collect(ctx context.Context, checks []specs.Check, live map[string]marathon.App) ([]CheckState, []Stale) {
	byApp := map[string][]*specs.Check{}
	for i := range checks {
		if x := &checks[i]; x.Exec != nil {
			byApp[x.Exec.App] = append(byApp[x.Exec.App], x)
		}
	}
	var states []CheckState
	var stale []Stale
	for _, id := range sortedKeys(byApp) {
		cs := byApp[id]
		ids := make([]string, len(cs))
		for i, x := range cs {
			ids[i] = x.ID
		}
		reports, running, reason := c.readApp(ctx, id, live)
		if reason != "" {
			stale = append(stale, Stale{App: id, Reason: reason, Checks: ids, Running: running})
			continue
		}
		for _, x := range cs {
			if st, ok := pick(x, reports); ok {
				states = append(states, st)
			}
		}
	}
	return states, stale
}

// pick chooses the state of check x from the agents' reports (sorted by
// task id).
func pick(x *specs.Check, reports []AgentResults) (CheckState, bool) {
	var best CheckState
	found := false
	for _, r := range reports {
		i := slices.IndexFunc(r.Checks, func(s CheckState) bool { return s.ID == x.ID })
		if i < 0 || r.Checks[i].Status.Runs == 0 {
			continue
		}
		st := r.Checks[i]
		st.Task = r.Task
		if !found || (x.Exec.Tasks == specs.TasksEvery && worse(best.Status.Hard, st.Status.Hard) != best.Status.Hard) {
			best, found = st, true
		}
		if x.Exec.Tasks != specs.TasksEvery {
			break
		}
	}
	// The leader's rendering says how it pages; the agent only ran it.
	fresh := StateOf(x)
	fresh.Task, fresh.Status = best.Task, best.Status
	return fresh, found
}

func (c *Collector) readApp(ctx context.Context, id string, live map[string]marathon.App) ([]AgentResults, int, string) {
	app, ok := live[id]
	if !ok {
		return nil, 0, "the app is not in Marathon"
	}
	var tasks []marathon.Task
	for _, t := range app.Tasks {
		if t.State == taskRunning && len(t.Ports) > 0 {
			tasks = append(tasks, t)
		}
	}
	if len(tasks) == 0 {
		return nil, 0, "the app has no running task with a port"
	}
	slices.SortFunc(tasks, func(a, b marathon.Task) int { return strings.Compare(a.ID, b.ID) })
	reports := make([]*AgentResults, len(tasks))
	errs := make([]error, len(tasks))
	var wg sync.WaitGroup
	for i, t := range tasks {
		wg.Go(func() {
			r, err := c.read(ctx, net.JoinHostPort(t.Host, strconv.Itoa(t.Ports[0])))
			if err == nil {
				r.Task = t.ID
			}
			reports[i], errs[i] = r, err
		})
	}
	wg.Wait()
	var out []AgentResults
	var why []string
	for i, r := range reports {
		if r != nil {
			out = append(out, *r)
		} else {
			why = append(why, tasks[i].ID+": "+errs[i].Error())
		}
	}
	if len(out) == 0 {
		return nil, len(tasks), "no agent answered: " + strings.Join(why, "; ")
	}
	return out, len(tasks), ""
}

func (c *Collector) read(ctx context.Context, addr string) (*AgentResults, error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+ResultsPath, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("timed out after %s", timeout)
		}
		return nil, tidy(ctx, timeout, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	var r AgentResults
	if err := json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(&r); err != nil {
		return nil, fmt.Errorf("decode results: %w", err)
	}
	return &r, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
