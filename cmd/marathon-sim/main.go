// Command marathon-sim serves a simulated Marathon 1.4.13 v2 API.
//
//	marathon-sim --listen 127.0.0.1:8080 [--executor virtual|process]
//	             [--capacity cpus=N,mem=MB] [--task-start 200ms]
//	             [--standin-drain 1s]
//	marathon-sim --version [-o text|json|yaml]
//
// With --executor process, an app with a Docker container (as in
// examples/specs) runs a stand-in that serves its ports: see the
// marathonsim package documentation.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
