package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"pacer.dev/pacer/internal/buildinfo"
	"pacer.dev/pacer/marathonsim"
)

// run parses args, serves until ctx is cancelled and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("marathon-sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8080", "address to listen on (port 0 picks a free port)")
	executor := fs.String("executor", "virtual", "task executor: virtual or process")
	capacity := fs.String("capacity", "", "cluster capacity, e.g. cpus=8,mem=4096 (default unlimited)")
	taskStart := fs.Duration("task-start", 200*time.Millisecond, "delay from TASK_STAGING to TASK_RUNNING")
	eventSubscriber := fs.String("event_subscriber", "", "Marathon's --event_subscriber: http_callback serves /v2/eventSubscriptions and POSTs events to subscribers")
	drain := fs.Duration("standin-drain", time.Second, "process executor: how long a container stand-in serves after SIGTERM (an app's env SIM_DRAIN wins)")
	frameworkID := fs.String("framework-id", "", "frameworkId /v2/info reports (default marathonsim-0000); give two simulators playing two clusters different ones")
	zk := fs.String("zk", "", "zookeeper_config.zk /v2/info reports (default zk://localhost:2181/marathon)")
	version := fs.Bool("version", false, "print the version, git commit and date, and Go version, and exit")
	output := fs.String("o", "text", "with --version: text, json or yaml")
	agentListen := fs.String("agent-listen", "", "process executor: also serve the simulated Mesos agent API (/state, /files/read, /files/browse) on this address, e.g. 127.0.0.1:5051")
	sandboxDir := fs.String("sandbox-dir", "", "process executor: the agent's work_dir holding task sandboxes (default a temporary directory, removed on exit)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *version {
		if err := buildinfo.Read("marathon-sim").Write(stdout, *output); err != nil {
			fmt.Fprintf(stderr, "marathon-sim: %v\n", err)
			return 2
		}
		return 0
	}
	cpus, mem, err := parseCapacity(*capacity)
	if err != nil {
		fmt.Fprintf(stderr, "marathon-sim: %v\n", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	sim, err := marathonsim.New(marathonsim.Options{Executor: *executor, CPUs: cpus, MemMB: mem, TaskStart: *taskStart, StandInDrain: *drain,
		EventSubscriber: *eventSubscriber, Logger: log, FrameworkID: *frameworkID, ZK: *zk, SandboxDir: *sandboxDir})
	if err != nil {
		fmt.Fprintf(stderr, "marathon-sim: %v\n", err)
		return 2
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(stderr, "marathon-sim: %v\n", err)
		_ = sim.Close()
		return 1
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "http://%s\n", ln.Addr())
	served := make(chan error, 2)
	go func() { served <- srv.Serve(ln) }()
	agent := &http.Server{Handler: sim.AgentHandler(), ReadHeaderTimeout: 10 * time.Second}
	if *agentListen != "" {
		aln, err := net.Listen("tcp", *agentListen)
		if err != nil {
			fmt.Fprintf(stderr, "marathon-sim: agent: %v\n", err)
			_ = srv.Close()
			_ = sim.Close()
			return 1
		}
		log.Info("Serving the Mesos agent API", "addr", aln.Addr().String())
		go func() { served <- agent.Serve(aln) }()
	}
	code := 0
	select {
	case <-ctx.Done():
	case err := <-served:
		fmt.Fprintf(stderr, "marathon-sim: serve: %v\n", err)
		code = 1
	}
	// Close the simulator first: it stops the tasks and ends the event
	// streams, which would otherwise keep Shutdown waiting.
	_ = sim.Close()
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		_ = srv.Close()
	}
	if err := agent.Shutdown(shutdownCtx); err != nil {
		_ = agent.Close()
	}
	log.Info("Stopped")
	return code
}

// parseCapacity reads "cpus=N,mem=MB"; missing values mean unlimited.
func parseCapacity(s string) (cpus, mem float64, err error) {
	if s == "" {
		return 0, 0, nil
	}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		f, perr := strconv.ParseFloat(v, 64)
		if !ok || perr != nil || f < 0 {
			return 0, 0, fmt.Errorf("bad --capacity %q: want cpus=N,mem=MB", s)
		}
		switch k {
		case "cpus":
			cpus = f
		case "mem":
			mem = f
		default:
			return 0, 0, fmt.Errorf("bad --capacity %q: unknown resource %q", s, k)
		}
	}
	return cpus, mem, nil
}
