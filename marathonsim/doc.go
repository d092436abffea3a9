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
package marathonsim
