// Package process runs a simulated task's command as a real local process
// for the simulator's "process" executor: `/bin/sh -c <cmd>` in its own
// process group with the environment Marathon would give it, stopped the way
// Mesos kills a task (SIGTERM to the group, SIGKILL after the grace period).
// When the shell exits, what is left of its group is killed, as the Mesos
// command executor does, so a finished task holds no ports.
//
// On Linux the first Start makes the calling process a child subreaper, so a
// task's orphaned descendants are re-parented here instead of to a PID 1
// that may never reap them; they are reaped by pid (never wait(-1), which
// would steal other children's exit statuses). FreePorts finds loopback
// ports to hand to tasks as PORT0, PORT1, ...
package process
