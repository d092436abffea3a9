package main

import (
	"os"

	"golang.org/x/sys/unix"
)

// isTerminal reports whether f (stdout for colours, stdin for the
// confirmation of a deleting apply) is a terminal. A character device is not
// enough: /dev/null is one, and `pacer reconcile --prune </dev/null` must
// not read an empty answer as a person's. It asks for the terminal
// attributes, as isatty(3) does.
func isTerminal(f any) bool {
	file, ok := f.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(file.Fd()), unix.TCGETS)
	return err == nil
}
