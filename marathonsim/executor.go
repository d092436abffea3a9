package marathonsim

import (
	"encoding/json"
	"errors"
	"sort"
	"strconv"
	"strings"

	"pacer.dev/pacer/marathonsim/internal/process"
)

type procHandle = *process.Process

// startExecutor gives t its host ports and, with the process executor,
// starts the app's cmd with Marathon's environment.
func (s *Server) startExecutor(t *task, nports int) error {
	a := t.def
	if s.opts.Executor == "process" && usesStandIn(a) {
		return s.startStandIn(t, nports)
	}
	switch {
	case deref(a.RequirePorts, false):
		t.ports = append([]int(nil), t.servicePorts...)
	case s.opts.Executor == "process" && nports > 0:
		ports, err := process.FreePorts(nports)
		if err != nil {
			return err
		}
		t.ports = ports
	default:
		t.ports = make([]int, nports)
		for i := range t.ports {
			t.ports[i] = s.nextPort
			s.nextPort++
			if s.nextPort > 32000 {
				s.nextPort = 31000
			}
		}
	}
	if s.opts.Executor != "process" {
		return nil
	}
	cmd := deref(a.Cmd, "")
	if cmd == "" && len(a.Args) > 0 {
		cmd = shellJoin(a.Args)
	}
	if cmd == "" {
		return errors.New("app has no cmd or args")
	}
	p, err := s.startInSandbox(t, cmd, taskEnv(t))
	if err != nil {
		return err
	}
	t.proc = p
	s.watchProcess(t)
	return nil
}

// startInSandbox runs cmd in a new sandbox of t, its stdout and stderr
// going to the sandbox's files, as the Mesos command executor runs a task.
func (s *Server) startInSandbox(t *task, cmd string, env map[string]string) (procHandle, error) {
	sb, stdout, stderr, err := s.newSandbox(t)
	if err != nil {
		return nil, err
	}
	defer stdout.Close() // the process holds its own copies
	defer stderr.Close()
	p, err := process.Start(process.Spec{Cmd: cmd, Env: sandboxEnv(env, sb), Dir: sb.dir, Stdout: stdout, Stderr: stderr})
	if err != nil {
		return nil, err
	}
	t.sandbox = sb
	return p, nil
}

// startStandIn starts a stand-in for an app whose container cannot run
// here: the simulator serves the task's ports while a shell process stands
// for the container, so kills, grace periods and exits work as for a cmd.
func (s *Server) startStandIn(t *task, nports int) error {
	a := t.def
	env := taskEnv(t)
	fail, drain, err := s.standInOptions(a, env)
	if err != nil {
		return err
	}
	var fixed []int
	if deref(a.RequirePorts, false) {
		fixed = t.servicePorts
	}
	si, ports, err := listenStandIn(portProtocols(a, nports), fixed)
	if err != nil {
		return err
	}
	t.ports = ports
	env = taskEnv(t) // now with the ports
	p, err := s.startInSandbox(t, standInCmd(fail, drain, containerImage(a.Container)), env)
	if err != nil {
		si.Close()
		return err
	}
	si.serve(t.id, a.ID, containerImage(a.Container))
	t.proc, t.standin = p, si
	s.watchProcess(t)
	return nil
}

// watchProcess turns the exit of t's process into TASK_KILLED (when it
// was being killed) or TASK_FAILED, after closing its stand-in, if any.
func (s *Server) watchProcess(t *task) {
	p, si := t.proc, t.standin
	s.procWG.Add(1)
	go func() {
		defer s.procWG.Done()
		<-p.Done()
		if si != nil {
			si.Close()
		}
		s.lock()
		defer s.unlock()
		if s.closed || s.tasks[t.id] != t {
			return
		}
		if t.state == stateKilling {
			s.stopTask(t, stateKilled, t.killMsg)
			s.settle()
			return
		}
		msg := "Command exited with status 0"
		if err := p.ExitErr(); err != nil {
			msg = "Command exited: " + err.Error()
		}
		s.failTask(t, msg)
		s.settle()
	}()
}

// stopExecutor stops the task's process in the background (SIGTERM to its
// group now, SIGKILL after the kill grace period), so the server lock is
// never held while a process takes its time to exit. Stop is idempotent.
func (s *Server) stopExecutor(t *task) {
	if t.proc == nil {
		return
	}
	p := t.proc
	grace := killGrace(t)
	if t.standin != nil {
		t.standin.draining()
		if s.closed {
			grace = 0 // shutting down: no drain
		}
	}
	s.procWG.Add(1)
	go func() {
		defer s.procWG.Done()
		_ = p.Stop(grace)
	}()
}

// taskEnv is the environment Marathon gives a command task.
func taskEnv(t *task) map[string]string {
	a := t.def
	env := map[string]string{}
	for k, raw := range a.Env {
		var v string
		if json.Unmarshal(raw, &v) == nil {
			env[k] = v
		}
	}
	env["HOST"] = simHost
	env["MARATHON_APP_ID"] = a.ID
	env["MARATHON_APP_VERSION"] = a.Version
	env["MESOS_TASK_ID"] = t.id
	env["MARATHON_APP_RESOURCE_CPUS"] = fmtFloat(a.cpus())
	env["MARATHON_APP_RESOURCE_MEM"] = fmtFloat(a.mem())
	env["MARATHON_APP_RESOURCE_DISK"] = fmtFloat(deref(a.Disk, 0))
	env["MARATHON_APP_RESOURCE_GPUS"] = strconv.Itoa(deref(a.GPUs, 0))
	names := make([]string, 0, len(a.Labels))
	for k, v := range a.Labels {
		n := envName(k)
		names = append(names, n)
		env["MARATHON_APP_LABEL_"+n] = v
	}
	sort.Strings(names)
	env["MARATHON_APP_LABELS"] = strings.Join(names, " ")
	strs := make([]string, len(t.ports))
	for i, p := range t.ports {
		strs[i] = strconv.Itoa(p)
		env["PORT"+strconv.Itoa(i)] = strs[i]
		if i < len(a.PortDefinitions) {
			pd := a.PortDefinitions[i]
			if pd.Port != 0 {
				env["PORT_"+strconv.Itoa(pd.Port)] = strs[i]
			}
			if pd.Name != "" {
				env["PORT_"+envName(pd.Name)] = strs[i]
			}
		}
	}
	if len(strs) > 0 {
		env["PORT"] = strs[0]
		env["PORTS"] = strings.Join(strs, ",")
	}
	return env
}

func envName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteRune('_')
		}
	}
	return b.String()
}

func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}
