package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"pacer.dev/pacer/internal/marathon"
	"pacer.dev/pacer/specs"
)

// marathonFlags are the shared flags on how to reach Marathon. Secrets are
// only ever named (a file, an env var), never given on the command line.
type marathonFlags struct {
	timeout       time.Duration
	basicAuthFile string
	tokenFile     string
	caFile        string
	insecure      bool
}

func addMarathonFlags(f *pflag.FlagSet, m *marathonFlags) {
	f.DurationVar(&m.timeout, "marathon-timeout", 0, "bound on one request to one Marathon URL (env PACER_MARATHON_TIMEOUT; else spec.marathon.timeout; default 30s)")
	f.StringVar(&m.basicAuthFile, "marathon-basic-auth-file", "", "file holding user:password for Marathon HTTP basic auth (or env PACER_MARATHON_BASIC_AUTH holding it)")
	f.StringVar(&m.tokenFile, "marathon-token-file", "", "file holding a DC/OS token, sent as Authorization: token=... (or env PACER_MARATHON_TOKEN holding it)")
	f.StringVar(&m.caFile, "marathon-ca-file", os.Getenv("PACER_MARATHON_CA_FILE"), "PEM bundle of the CAs that sign Marathon's certificate, trusted besides the system roots (env PACER_MARATHON_CA_FILE)")
	f.BoolVar(&m.insecure, "insecure-skip-tls-verify", false, "do not verify Marathon's TLS certificate (test clusters only)")
}

// check runs at flag parse time: a scheme-less --marathon or a bad
// PACER_MARATHON_TIMEOUT fails before any work.
func (m *marathonFlags) check(urls string) error {
	if err := marathon.CheckURLs(urls); err != nil {
		return fmt.Errorf("--marathon: %w", err)
	}
	if m.timeout < 0 {
		return fmt.Errorf("--marathon-timeout %s: want a positive duration", m.timeout)
	}
	_, err := envAccess(os.Getenv)
	return err
}

// envAccess is the environment's layer of Marathon access.
func envAccess(getenv func(string) string) (marathon.Access, error) {
	var a marathon.Access
	if v := getenv("PACER_MARATHON_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return a, fmt.Errorf("PACER_MARATHON_TIMEOUT %q: want a positive duration such as 30s", v)
		}
		a.Timeout = d
	}
	if getenv("PACER_MARATHON_BASIC_AUTH") != "" {
		a.BasicAuth = marathon.SecretRef{FromEnv: "PACER_MARATHON_BASIC_AUTH"}
	}
	if getenv("PACER_MARATHON_TOKEN") != "" {
		a.Token = marathon.SecretRef{FromEnv: "PACER_MARATHON_TOKEN"}
	}
	return a, nil
}

// access merges flags over the environment over the Cluster spec (nil:
// no spec).
func (m *marathonFlags) access(cluster *specs.Cluster) (marathon.Access, error) {
	flags := marathon.Access{Timeout: m.timeout, CAFile: m.caFile, InsecureSkipTLSVerify: m.insecure}
	if m.basicAuthFile != "" {
		flags.BasicAuth = marathon.SecretRef{FromFile: m.basicAuthFile}
	}
	if m.tokenFile != "" {
		flags.Token = marathon.SecretRef{FromFile: m.tokenFile}
	}
	env, err := envAccess(os.Getenv)
	if err != nil {
		return marathon.Access{}, err
	}
	var spec marathon.Access
	if cluster != nil {
		spec = marathon.Access{
			Timeout:   cluster.Marathon.Timeout,
			BasicAuth: marathon.SecretRef(cluster.Marathon.BasicAuth),
			Token:     marathon.SecretRef(cluster.Marathon.Token),
		}
	}
	return flags.Or(env).Or(spec), nil
}

// clientSpec is what one command asks of its Marathon client.
type clientSpec struct {
	urls     []string
	cluster  *specs.Cluster // nil when there is no spec to read
	agent    string
	retries  int
	progress io.Writer // when set, retries are printed there instead of logged
}

// newClient builds the Marathon client of a command from the shared flags.
func (a *app) newClient(cs clientSpec) (*marathon.Client, error) {
	acc, err := a.marathonFlags.access(cs.cluster)
	if err != nil {
		return nil, err
	}
	r, err := acc.Resolve(os.Getenv, os.ReadFile)
	if err != nil {
		return nil, err
	}
	if acc.InsecureSkipTLSVerify {
		a.log.Info("Marathon TLS certificates are not verified (--insecure-skip-tls-verify)")
	}
	opts := marathon.Options{URLs: cs.urls, HTTPClient: r.HTTPClient, RequestTimeout: r.Timeout, Credentials: r.Credentials,
		UserAgent: cs.agent, Retry: marathon.Retry{Attempts: cs.retries + 1}}
	if cs.progress != nil {
		w := cs.progress
		opts.OnRetry = func(e marathon.RetryEvent) { fmt.Fprintln(w, e.String()) }
	}
	return marathon.New(opts)
}

func splitURLs(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}
