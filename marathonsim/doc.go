// Package marathonsim is a simulator of the Marathon 1.4.13 v2 REST API.
//
// It is the test double for every pacer test and the backend of `pacer dev`:
// apps, groups, deployments (rolling upgrades honouring upgradeStrategy and
// dependencies), tasks run by a virtual or a real-process executor, health
// checks, the launch queue with backoff, the SSE event stream, and a control
// API under /sim/v1 for fault injection. All timing runs from a Clock, so
// tests step a FakeClock instead of sleeping.
//
// Kills go through TASK_KILLING (Options.TaskKill, taskKillGracePeriodSeconds,
// SIGTERM then SIGKILL for processes), and two Servers can play a Marathon
// HA pair (Options.Leader, Options.Standby, SetLeader).
//
// Container stand-ins (process executor). No container engine runs here, so
// a task of an app whose container names a Docker image (its cmd or args
// would run inside the image), or that has a container and no cmd or args,
// runs a stand-in instead; the label pacer.dev/sim-standin: "false" runs a
// Docker app's cmd locally as before. The stand-in is a real process,
// `/bin/sh` idling in its own process group with Marathon's environment, so
// kills (TASK_KILLING, SIGTERM, SIGKILL after the grace period) and exits
// (TASK_FAILED, backoff) behave as for any cmd; on SIGTERM it exits 0 after
// a drain (Options.StandInDrain, default 1 s; the app's env SIM_DRAIN, a Go
// duration, wins; the kill grace period still ends it with SIGKILL). While
// that process lives, the simulator itself serves the task's host ports,
// so it works the same from cmd/marathon-sim and from any test binary with
// no hook in TestMain:
//   - tcp ports answer HTTP: any method and path get 200 with the body
//     "<MESOS_TASK_ID> <MARATHON_APP_ID> <image>\n", so HTTP health checks
//     on /health, /ping, ... pass; keep-alive is switched off once the
//     task is being killed;
//   - a TCP client that does not start with an HTTP method within 500 ms
//     (or at once sends other bytes) gets that line, then each line it
//     sends echoed back prefixed with "<MESOS_TASK_ID> ";
//   - udp ports answer each datagram with "<MESOS_TASK_ID> " and the
//     datagram; a "tcp,udp" port does both.
//
// Task sandboxes (process executor). Each task runs in a directory laid out
// as a Mesos agent's work_dir (Options.SandboxDir, default a temporary one),
// .../executors/<task id>/runs/<container id>, with its stdout and stderr
// in real files there. AgentHandler serves them as the one simulated Mesos
// agent does: /state (frameworks → executors → directory, container) and
// /files/read, /files/browse with Mesos 1.x semantics.
//
// The label pacer.dev/sim-fail: "true" or the env SIM_FAIL=1 makes the
// stand-in exit 1 at once, for crash loops. Ports come from portMappings
// (BRIDGE) or portDefinitions, with their protocol.
//
// Shapes follow Marathon 1.4.13's code (api/v2/json/Formats.scala and the
// validators): app bodies are refused with its 400 reader and 422 validator
// bodies, Docker BRIDGE apps keep portDefinitions zipped with their
// mappings' service ports, health events name instances
// (<app>.marathon-<uuid>), and idle event streams get a CRLF heartbeat
// every 10 s. What it knowingly does differently is in DEVIATIONS.md.
package marathonsim
