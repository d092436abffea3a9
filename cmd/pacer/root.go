package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"

	"pacer.dev/pacer/internal/buildinfo"
)

// Exit codes, as Terraform's: 0 ok or in sync, 1 error, 2 changes pending.
const (
	exitOK      = 0
	exitError   = 1
	exitChanges = 2
)

// exitCodeError carries an exit code other than 1 out of a command, and lets a
// command that has already printed its own report ask for a quiet exit.
type exitCodeError struct {
	code  int
	quiet bool
	err   error
}

func (e *exitCodeError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit code %d", e.code)
	}
	return e.err.Error()
}

func (e *exitCodeError) Unwrap() error { return e.err }

// globalOptions are the flags every command shares; each has an environment
// variable so the operator can be configured without a command line.
type globalOptions struct {
	specs       string
	marathon    string
	cluster     string
	environment string
	logFormat   string
	logLevel    int
}

// app is what commands receive: the shared options, the output streams and a
// logger built once the flags are parsed.
type app struct {
	opts globalOptions
	// marathonFlags say how to reach Marathon (marathon_access.go).
	marathonFlags marathonFlags
	stdout        io.Writer
	stderr        io.Writer
	// in is stdin, for the confirmation before an apply that deletes.
	in  input
	log logr.Logger
}

// run executes the command line, with no terminal on stdin, and returns
// the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runIO(ctx, args, input{}, stdout, stderr)
}

// runIO is run with a stdin (main passes the process's).
func runIO(ctx context.Context, args []string, in input, stdout, stderr io.Writer) int {
	a := &app{stdout: stdout, stderr: stderr, in: in, log: logr.Discard()}
	root := newRootCmd(a)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ec *exitCodeError
	if errors.As(err, &ec) {
		if !ec.quiet && ec.err != nil {
			fmt.Fprintf(stderr, "error: %v\n", ec.err)
		}
		return ec.code
	}
	fmt.Fprintf(stderr, "error: %v\n", err)
	return exitError
}

func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "pacer",
		Short: "Make Marathon clusters, their load balancers and their paging follow git",
		Long: `pacer keeps Marathon apps, the nginx/HAProxy config in front of them and
PagerDuty incidents in step with service specs kept in git.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       buildinfo.Read("pacer").Version,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			log, err := newLogger(a.opts.logFormat, a.opts.logLevel, a.stderr)
			if err != nil {
				return err
			}
			a.log = log
			return a.marathonFlags.check(a.opts.marathon)
		},
	}
	f := root.PersistentFlags()
	f.StringVar(&a.opts.specs, "specs", envOr("PACER_SPECS", "./specs"), "root of the spec tree (env PACER_SPECS)")
	f.StringVar(&a.opts.marathon, "marathon", os.Getenv("PACER_MARATHON_URL"), "Marathon URL, comma-separated for several masters (env PACER_MARATHON_URL)")
	f.StringVar(&a.opts.cluster, "cluster", os.Getenv("PACER_CLUSTER"), "cluster name as in the Cluster spec (env PACER_CLUSTER)")
	f.StringVar(&a.opts.environment, "environment", os.Getenv("PACER_ENVIRONMENT"), "only this environment, e.g. production (env PACER_ENVIRONMENT)")
	f.StringVar(&a.opts.logFormat, "log-format", envOr("PACER_LOG_FORMAT", "console"), "log format: console or json (env PACER_LOG_FORMAT)")
	f.IntVar(&a.opts.logLevel, "v", 0, "log verbosity: 0 normal, 1 debug")
	addMarathonFlags(f, &a.marathonFlags)
	// --version prints the same line as `pacer version`.
	root.SetVersionTemplate(buildinfo.Read("pacer").String() + "\n")

	root.AddCommand(
		newValidateCmd(a),
		newRenderCmd(a),
		newSchemaCmd(a),
		newReconcileCmd(a),
		newDiffCmd(a),
		newRunCmd(a),
		newLBCmd(a),
		newStatusCmd(a),
		newDevCmd(a),
		newAgentCmd(a),
		newCheckCmd(a),
		newVersionCmd(a),
		newLogsCmd(a),
	)
	return root
}

func envOr(key, def string) string {
	if v, ok := os.LookupEnv(key); ok && v != "" {
		return v
	}
	return def
}
