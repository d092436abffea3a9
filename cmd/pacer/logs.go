package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"pacer.dev/pacer/internal/marathon"
	"pacer.dev/pacer/specs"
)

// logsOptions are the flags of pacer logs.
type logsOptions struct {
	environment string
	task        string
	follow      bool
	tail        int
	stderr      bool
	agentPort   int
	poll        time.Duration
	retries     int
}

// Bounds of --poll-interval: -f never hammers an agent, nor waits long.
const (
	minLogsPoll = 100 * time.Millisecond
	maxLogsPoll = 30 * time.Second
)

func newLogsCmd(a *app) *cobra.Command {
	o := &logsOptions{}
	cmd := &cobra.Command{
		Use:   "logs APP",
		Short: "Print (and follow) the stdout or stderr of an app's tasks, read from their Mesos agents",
		Long: `pacer logs finds APP's tasks in Marathon, asks the Mesos agent that runs each
(http://<task host>:<agent port>/state) for the task's sandbox, and reads its
stdout (or stderr) through the agent's files API (/files/read), as the Mesos UI
does. APP is the app's name in its service group (resolved in the specs for
--cluster and -e), or its absolute Marathon id. With several tasks each line is
prefixed with its task id. -f keeps reading new output like tail -f until
interrupted.`,
		Example: `  pacer logs statsd -e test --cluster ams
  pacer logs statsd -e test --cluster ams --tail 100 -f
  pacer logs /services/autofill/test/statsd --marathon http://marathon:8080 --stderr --task <task id>`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.poll < minLogsPoll || o.poll > maxLogsPoll {
				return fmt.Errorf("--poll-interval %s: want %s to %s", o.poll, minLogsPoll, maxLogsPoll)
			}
			if o.agentPort <= 0 || o.agentPort > 65535 {
				return fmt.Errorf("--agent-port %d: want a TCP port", o.agentPort)
			}
			return runLogs(cmd.Context(), a, o, args[0])
		},
	}
	f := cmd.Flags()
	// Shadows the global --environment to give it -e here (mgr's -e).
	f.StringVarP(&o.environment, "environment", "e", os.Getenv("PACER_ENVIRONMENT"), "the app's environment, e.g. test (env PACER_ENVIRONMENT)")
	f.StringVar(&o.task, "task", "", "only this task id")
	f.BoolVarP(&o.follow, "follow", "f", false, "keep printing new output until interrupted")
	f.IntVar(&o.tail, "tail", -1, "print only the last N lines of each task (-1: all)")
	f.BoolVar(&o.stderr, "stderr", false, "read stderr instead of stdout")
	f.IntVar(&o.agentPort, "agent-port", envInt("PACER_MESOS_AGENT_PORT", 5051), "port of the Mesos agents' HTTP API (env PACER_MESOS_AGENT_PORT)")
	f.DurationVar(&o.poll, "poll-interval", time.Second, "with -f, how often each sandbox is read for new output")
	f.IntVar(&o.retries, "retries", 2, "retry a Marathon request that no URL answered this many times")
	return cmd
}

func envInt(key string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(key)); err == nil {
		return n
	}
	return def
}

func runLogs(ctx context.Context, a *app, o *logsOptions, name string) error {
	id, client, err := logsTarget(ctx, a, o, name)
	if err != nil {
		return err
	}
	live, err := client.ListApps(ctx)
	if err != nil {
		return fmt.Errorf("read live apps: %w", err)
	}
	tasks, err := logsTasks(live, id, o.task, client.URL())
	if err != nil {
		return err
	}
	file := "stdout"
	if o.stderr {
		file = "stderr"
	}
	out := &lineWriter{w: a.stdout}
	ag := newAgentClient(o.agentPort)
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for _, t := range tasks {
		prefix := ""
		if len(tasks) > 1 {
			prefix = "[" + t.ID + "] "
		}
		read := func() {
			if err := followTask(ctx, ag, t, file, o, out, prefix, a.stderr); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}
		if o.follow {
			wg.Go(read)
		} else {
			read() // one task after the other, each in one piece
		}
	}
	wg.Wait()
	return errors.Join(errs...)
}

// logsTarget resolves APP to a Marathon app id and a client for its
// cluster: an absolute id is used as given, a name is looked up in the
// specs rendered for --cluster and -e.
func logsTarget(ctx context.Context, a *app, o *logsOptions, name string) (string, *marathon.Client, error) {
	if strings.HasPrefix(name, "/") && a.opts.cluster == "" {
		if a.opts.marathon == "" {
			return "", nil, errors.New("--marathon (or PACER_MARATHON_URL) or --cluster is required")
		}
		c, err := newMarathonClient(a, &specs.Cluster{}, o.retries)
		return name, c, err
	}
	if a.opts.cluster == "" {
		return "", nil, errors.New("--cluster is required (or PACER_CLUSTER) to find app " + strconv.Quote(name) + " in the specs")
	}
	set, err := loadValid(a)
	if err != nil {
		return "", nil, err
	}
	cluster := findCluster(set, a.opts.cluster)
	if cluster == nil {
		return "", nil, fmt.Errorf("cluster %q is not defined in %s", a.opts.cluster, a.opts.specs)
	}
	id := name
	if !strings.HasPrefix(name, "/") {
		apps, err := set.Render(cluster.Name, o.environment)
		if err != nil {
			return "", nil, err
		}
		if id, err = matchApp(apps, name, o.environment, cluster.Name); err != nil {
			return "", nil, err
		}
	}
	c, err := newMarathonClient(a, cluster, o.retries)
	if err != nil {
		return "", nil, err
	}
	if _, err := checkSpecIdentity(ctx, c, cluster); err != nil {
		return "", nil, err
	}
	return id, c, nil
}

// matchApp finds the one rendered app whose id ends in /name.
func matchApp(apps []specs.App, name, environment, cluster string) (string, error) {
	var ids []string
	for _, app := range apps {
		if strings.HasSuffix(app.ID, "/"+name) {
			ids = append(ids, app.ID)
		}
	}
	sort.Strings(ids)
	where := fmt.Sprintf("cluster %q", cluster)
	if environment != "" {
		where = fmt.Sprintf("environment %q of %s", environment, where)
	}
	switch len(ids) {
	case 0:
		return "", fmt.Errorf("no app %q in %s", name, where)
	case 1:
		return ids[0], nil
	default:
		return "", fmt.Errorf("app %q is ambiguous in %s: %s (give -e or the full id)", name, where, strings.Join(ids, ", "))
	}
}

// logsTasks picks the app's tasks (one with --task), sorted by id.
func logsTasks(live []marathon.App, id, taskID, url string) ([]marathon.Task, error) {
	for _, app := range live {
		if app.ID != id {
			continue
		}
		tasks := append([]marathon.Task(nil), app.Tasks...)
		sort.Slice(tasks, func(i, j int) bool { return tasks[i].ID < tasks[j].ID })
		if taskID == "" {
			if len(tasks) == 0 {
				return nil, fmt.Errorf("app %s has no tasks in Marathon at %s", id, url)
			}
			return tasks, nil
		}
		for _, t := range tasks {
			if t.ID == taskID {
				return []marathon.Task{t}, nil
			}
		}
		return nil, fmt.Errorf("app %s has no task %s in Marathon at %s (it has %d)", id, taskID, url, len(tasks))
	}
	return nil, fmt.Errorf("app %s is not in Marathon at %s", id, url)
}
