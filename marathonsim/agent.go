package marathonsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// The simulated Mesos agent. Every task runs on one agent, simAgentID at
// host simHost (Marathon's task host and slaveId say so). Its HTTP API is
// AgentHandler, served by the caller on a listener of its own, as a real
// agent listens on its own port (5051) apart from Marathon; clients reach
// it as http://<task host>:<agent port>.
//
// Shapes follow Mesos 1.x: /state (aliases /state.json, /slave(1)/state)
// is slave/http.cpp's state with frameworks → executors (ExecutorWriter:
// id, name, source, container, directory, resources, tasks, queued_tasks,
// completed_tasks) and completed_executors; /files/read and /files/browse
// are files/files.cpp's FilesProcess::__read, _read, _browse and resolve.
// With the process executor each task gets a real sandbox directory
// <SandboxDir>/slaves/<agent>/frameworks/<framework>/executors/<task>/runs/<container>
// holding the stdout and stderr files its process writes, attached under
// that path and .../runs/latest, as the agent attaches them.

// maxCompletedExecutors is the agent's default
// --max_completed_executors_per_framework.
const maxCompletedExecutors = 150

// sandbox is where a task of the process executor runs.
type sandbox struct {
	dir       string // real path
	container string // container id (the runs/<id> directory)
}

// executorRecord is an executor the agent knows: a live task's, or a
// completed one kept for its sandbox.
type executorRecord struct {
	seq       uint64
	taskID    string
	appID     string
	cmd       string
	sandbox   sandbox
	state     string
	cpus, mem float64
	ports     []int
}

// newSandbox creates the sandbox of t and opens its stdout and stderr.
func (s *Server) newSandbox(t *task) (sandbox, *os.File, *os.File, error) {
	container := newUUID()
	dir := filepath.Join(s.sandboxRoot, "slaves", simAgentID, "frameworks", s.opts.FrameworkID, "executors", t.id, "runs", container)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return sandbox{}, nil, nil, fmt.Errorf("create sandbox of %s: %w", t.id, err)
	}
	stdout, err := os.Create(filepath.Join(dir, "stdout"))
	if err != nil {
		return sandbox{}, nil, nil, fmt.Errorf("create sandbox of %s: %w", t.id, err)
	}
	stderr, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		_ = stdout.Close()
		return sandbox{}, nil, nil, fmt.Errorf("create sandbox of %s: %w", t.id, err)
	}
	return sandbox{dir: dir, container: container}, stdout, stderr, nil
}

// sandboxEnv adds what the Mesos command executor sets for a task.
func sandboxEnv(env map[string]string, sb sandbox) map[string]string {
	out := make(map[string]string, len(env)+2)
	for k, v := range env {
		out[k] = v
	}
	out["MESOS_SANDBOX"] = sb.dir
	out["MESOS_DIRECTORY"] = sb.dir
	return out
}

// recordCompleted keeps the executor of a finished task, so its sandbox
// stays readable, as the agent keeps completed executors until they are
// garbage-collected.
func (s *Server) recordCompleted(t *task) {
	if t.sandbox.dir == "" {
		return
	}
	s.completedExecs = append(s.completedExecs, executorOf(t))
	if n := len(s.completedExecs) - maxCompletedExecutors; n > 0 {
		s.completedExecs = append([]executorRecord(nil), s.completedExecs[n:]...)
	}
}

func executorOf(t *task) executorRecord {
	cmd := deref(t.def.Cmd, "")
	if cmd == "" && len(t.def.Args) > 0 {
		cmd = shellJoin(t.def.Args)
	}
	return executorRecord{seq: t.seq, taskID: t.id, appID: t.appID, cmd: cmd, sandbox: t.sandbox, state: t.state,
		cpus: t.def.cpus(), mem: t.def.mem(), ports: append([]int(nil), t.ports...)}
}

// AgentHandler serves the simulated Mesos agent's HTTP API (see above).
func (s *Server) AgentHandler() http.Handler {
	mux := http.NewServeMux()
	for _, p := range []string{"/state", "/state.json", "/slave(1)/state", "/slave(1)/state.json"} {
		mux.HandleFunc("GET "+p, s.handleAgentState)
	}
	for _, p := range []string{"/files/read", "/files/read.json"} {
		mux.HandleFunc("GET "+p, s.handleFilesRead)
	}
	for _, p := range []string{"/files/browse", "/files/browse.json"} {
		mux.HandleFunc("GET "+p, s.handleFilesBrowse)
	}
	mux.HandleFunc("GET /files/debug", s.handleFilesDebug)
	return mux
}

func (s *Server) handleAgentState(w http.ResponseWriter, r *http.Request) {
	s.lock()
	var live, done []executorRecord
	for _, t := range s.tasks {
		if t.sandbox.dir != "" {
			live = append(live, executorOf(t))
		}
	}
	sort.Slice(live, func(i, j int) bool { return live[i].seq < live[j].seq })
	done = append(done, s.completedExecs...)
	s.unlock()
	fw := map[string]any{
		"id": s.opts.FrameworkID, "name": "marathon", "user": "root", "hostname": simHost, "role": "*",
		"checkpoint": true, "failover_timeout": 604800,
		"executors":           s.executorsJSON(live, false),
		"completed_executors": s.executorsJSON(done, true),
	}
	state := map[string]any{
		"version":              "1.4.0",
		"id":                   simAgentID,
		"pid":                  "slave(1)@" + r.Host,
		"hostname":             simHost,
		"frameworks":           []any{fw},
		"completed_frameworks": []any{},
		"flags":                map[string]string{"work_dir": s.sandboxRoot, "port": portOf(r.Host)},
	}
	agentJSON(w, http.StatusOK, state)
}

func portOf(hostport string) string {
	if i := strings.LastIndexByte(hostport, ':'); i >= 0 {
		return hostport[i+1:]
	}
	return "5051"
}

func (s *Server) executorsJSON(recs []executorRecord, completed bool) []any {
	out := make([]any, 0, len(recs))
	for _, e := range recs {
		task := map[string]any{
			"id": e.taskID, "name": hostnameOf(e.appID), "framework_id": s.opts.FrameworkID, "executor_id": "",
			"slave_id": simAgentID, "state": e.state,
			"resources": map[string]any{"cpus": e.cpus, "mem": e.mem, "disk": 0, "ports": portRanges(e.ports)},
			"statuses": []any{map[string]any{"state": e.state, "container_status": map[string]any{
				"container_id": map[string]string{"value": e.sandbox.container}}}},
		}
		tasks, doneTasks := []any{task}, []any{}
		if completed {
			tasks, doneTasks = []any{}, []any{task}
		}
		out = append(out, map[string]any{
			"id": e.taskID, "name": fmt.Sprintf("Command Executor (Task: %s) (Command: sh -c '%s')", e.taskID, e.cmd),
			"source": e.taskID, "container": e.sandbox.container, "directory": e.sandbox.dir,
			"resources":       map[string]any{"cpus": e.cpus, "mem": e.mem, "disk": 0, "ports": portRanges(e.ports)},
			"tasks":           tasks,
			"queued_tasks":    []any{},
			"completed_tasks": doneTasks,
		})
	}
	return out
}

// hostnameOf is PathId.toHostname (state/PathId.scala:67 at v1.4.13), the
// Mesos task name Marathon gives (mesos/TaskBuilder.scala:44).
func hostnameOf(appID string) string {
	parts := strings.Split(strings.Trim(appID, "/"), "/")
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return strings.Join(parts, ".")
}

func portRanges(ports []int) string {
	if len(ports) == 0 {
		return ""
	}
	rs := make([]string, len(ports))
	for i, p := range ports {
		rs[i] = fmt.Sprintf("[%d-%d]", p, p)
	}
	return strings.Join(rs, ", ")
}

// attached is the agent's virtual path table (FilesProcess::paths): every
// sandbox at its real path and at .../runs/latest.
func (s *Server) attached() map[string]string {
	s.lock()
	defer s.unlock()
	paths := map[string]string{}
	add := func(sb sandbox) {
		paths[sb.dir] = sb.dir
		paths[filepath.Join(filepath.Dir(sb.dir), "latest")] = sb.dir
	}
	for _, e := range s.completedExecs {
		add(e.sandbox)
	}
	for _, t := range s.tasks {
		if t.sandbox.dir != "" {
			add(t.sandbox)
		}
	}
	return paths
}

var errOutside = errors.New("is inaccessible")

// resolve maps a virtual path to a real one by the longest attached
// prefix, refusing a path that leaves it (FilesProcess::resolve). ok is
// false when nothing is attached there or the file does not exist.
func (s *Server) resolve(path string) (real string, ok bool, err error) {
	paths := s.attached()
	prefix, suffix := strings.TrimRight(path, "/"), ""
	for prefix != "" {
		if root, found := paths[prefix]; found {
			p := filepath.Join(root, suffix) // cleans "..": checked below
			rp, err := filepath.EvalSymlinks(p)
			if errors.Is(err, os.ErrNotExist) {
				return "", false, nil
			}
			if err != nil {
				return "", false, fmt.Errorf("failed to determine canonical path of '%s': %w", p, err)
			}
			if rp != root && !strings.HasPrefix(rp, root+"/") {
				return "", false, fmt.Errorf("'%s' %w", p, errOutside)
			}
			return rp, true, nil
		}
		i := strings.LastIndexByte(prefix, '/')
		if i < 0 {
			break
		}
		suffix = strings.TrimLeft(prefix[i:], "/") + "/" + suffix
		prefix = prefix[:i]
	}
	return "", false, nil
}

func textErr(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(msg))
}

func agentJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) handleFilesDebug(w http.ResponseWriter, _ *http.Request) {
	agentJSON(w, http.StatusOK, s.attached())
}
