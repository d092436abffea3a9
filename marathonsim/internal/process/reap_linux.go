package process

import (
	"bytes"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// reapTimeout bounds reapGroup; a process stuck in uninterruptible sleep is
// left behind rather than hanging the caller.
const reapTimeout = 5 * time.Second

// prSetChildSubreaper is PR_SET_CHILD_SUBREAPER from <linux/prctl.h>.
const prSetChildSubreaper = 36

var subreaper sync.Once

// enableSubreaper makes this process the reaper of its orphaned descendants
// (prctl PR_SET_CHILD_SUBREAPER), so that task processes whose shell died
// first become our children and can be reaped by reapGroup.
func enableSubreaper() {
	subreaper.Do(func() {
		_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0)
	})
}

// reapGroup waits until no process of group pgid is left, reaping those that
// were re-parented to us. Callers have sent SIGKILL to the group.
func reapGroup(pgid int) {
	deadline := time.Now().Add(reapTimeout)
	self := os.Getpid()
	for {
		members := groupMembers(pgid)
		if len(members) == 0 {
			return
		}
		reaped, waitable, alive := false, false, false
		for _, m := range members {
			alive = alive || m.state != 'Z'
			if m.ppid != self {
				continue // its parent (also in the group) dies or reaps it
			}
			waitable = true
			var ws syscall.WaitStatus
			if pid, _ := syscall.Wait4(m.pid, &ws, syscall.WNOHANG, nil); pid == m.pid {
				reaped = true
			}
		}
		if (!waitable && !alive) || time.Now().After(deadline) {
			return // zombies of a parent that is not us: nothing we can do
		}
		if !reaped {
			time.Sleep(5 * time.Millisecond)
		}
	}
}

type procInfo struct {
	pid, ppid int
	state     byte
}

// groupMembers lists the processes of group pgid from /proc, zombies included.
func groupMembers(pgid int) []procInfo {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []procInfo
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // gone meanwhile
		}
		// "pid (comm) state ppid pgrp ..."; comm may contain spaces and ')'.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		f := bytes.Fields(stat[i+1:])
		if len(f) < 3 {
			continue
		}
		ppid, _ := strconv.Atoi(string(f[1]))
		pgrp, _ := strconv.Atoi(string(f[2]))
		if pgrp == pgid {
			out = append(out, procInfo{pid: pid, ppid: ppid, state: f[0][0]})
		}
	}
	return out
}

// exitedUnreaped reports whether pid has exited but is not reaped yet (a
// zombie), or is gone, per /proc/<pid>/stat.
func exitedUnreaped(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 || i+2 >= len(stat) {
		return false
	}
	st := stat[i+2]
	return st == 'Z' || st == 'X'
}
