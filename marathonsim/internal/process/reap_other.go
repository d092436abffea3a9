//go:build !linux

package process

// enableSubreaper is Linux-only; elsewhere orphans go to init as usual.
func enableSubreaper() {}

// reapGroup is Linux-only; elsewhere orphans go to init as usual.
func reapGroup(int) {}

// exitedUnreaped is Linux-only; elsewhere only Wait tells that a process
// exited.
func exitedUnreaped(int) bool { return false }
