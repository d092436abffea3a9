// Package reaper lets pacer run as PID 1 in a container: it forwards signals
// to pacer and reaps orphaned zombies, so no dumb-init or tini is needed.
//
// Design: the process that finds itself PID 1 becomes a tiny supervisor. It
// re-executes its own binary as its only child, which does the real work, and
// then does nothing but forward signals to that child and reap every process
// that exits under it (wait4(-1)). Orphans of pacer's commands (a reload
// script that daemonizes, a shell's background job) are re-parented to PID 1,
// the supervisor, and reaped there.
//
// Why not reap inside the working process: a blind wait4(-1) there races with
// exec.Cmd.Wait and can steal a command's exit status (Wait then fails with
// "no child processes"), and peeking with waitid(WNOWAIT) only helps if every
// package starts its commands through one registry. With the split, the
// working process has no reaper at all: os/exec in any package (lb's
// validate and reload commands included) keeps its exact exit codes, and the
// supervisor has no os/exec children whose status it could steal.
//
// Signals: SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 sent to the
// supervisor (docker stop, Marathon's kill) go to the child, which runs in its
// own process group; the supervisor exits with the child's exit code (128+n
// when killed by signal n). The child's commands are not signalled directly:
// cmd cancels its root context on SIGTERM and commands started with
// exec.CommandContext are stopped through it; a command that must stop its
// own children too runs in its own process group (Setpgid) and is cancelled
// by signalling the group, see Command.
//
// Outside PID 1 (a shell, systemd, tests) Supervise does nothing unless
// Options.Subreaper asks for it, in which case the supervisor marks itself a
// child subreaper (PR_SET_CHILD_SUBREAPER) so orphans come to it as to init.
package reaper
