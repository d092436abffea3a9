package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"pacer.dev/pacer/marathonsim"
)

// startDevAgent serves the simulator's Mesos agent API (task sandboxes, for
// pacer logs) on addr and returns its port.
func startDevAgent(sim *marathonsim.Server, addr string) (int, func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return 0, nil, fmt.Errorf("--agent-listen: %w", err)
	}
	srv := &http.Server{Handler: sim.AgentHandler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			_ = srv.Close()
		}
	}
	return ln.Addr().(*net.TCPAddr).Port, stop, nil
}

// printDevLogsHint adds the pacer logs line to the banner.
func printDevLogsHint(w io.Writer, specs, cluster, simURL string, agentPort int) {
	fmt.Fprintf(w, "  task logs:   pacer logs memcached -e production --specs %s --cluster %s --marathon %s --agent-port %d [-f] [--stderr]\n",
		specs, cluster, simURL, agentPort)
}
