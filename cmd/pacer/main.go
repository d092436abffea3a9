// Command pacer makes Marathon clusters, their load balancers and their paging
// follow the service specs kept in git.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"pacer.dev/pacer/internal/reaper"
)

func main() {
	// As PID 1 in a container, pacer re-runs itself as its only child and
	// stays behind to forward signals and reap orphaned zombies (left by
	// reload and validation commands), so no init shim is needed.
	if code, supervisor, err := reaper.Supervise(context.Background(), reaper.Options{}); supervisor {
		if err != nil {
			fmt.Fprintln(os.Stderr, "pacer:", err)
		}
		os.Exit(code)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := runIO(ctx, os.Args[1:], input{r: os.Stdin, tty: isTerminal(os.Stdin)}, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
