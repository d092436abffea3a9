package main

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"

	"pacer.dev/pacer/alerting"
	"pacer.dev/pacer/election"
	"pacer.dev/pacer/paging"
)

// runAlertingOptions are run's alerting flags besides the PagerDuty ones.
type runAlertingOptions struct {
	stateDir      string
	clearFor      time.Duration
	forOverrides  []string
	crashWindow   time.Duration
	crashFailures int
}

func addRunAlertingFlags(cmd *cobra.Command, o *runAlertingOptions) {
	f := cmd.Flags()
	f.StringVar(&o.stateDir, "state-dir", envOr("PACER_STATE_DIR", ""), "keep open incidents and pending change events here across restarts (without --zk; with it they live in ZooKeeper) (env PACER_STATE_DIR)")
	f.DurationVar(&o.clearFor, "alert-clear-for", alerting.DefaultClearFor, "a firing condition resolves once clear this long (hysteresis)")
	f.StringSliceVar(&o.forOverrides, "alert-for", nil, "Condition=duration: how long a condition holds before it pages, for environments whose spec sets none and for cluster conditions, e.g. MarathonUnreachable=5m")
	f.DurationVar(&o.crashWindow, "alert-crash-window", 10*time.Minute, "CrashLooping: count task failures within this window")
	f.IntVar(&o.crashFailures, "alert-crash-failures", 3, "CrashLooping: this many task failures within --alert-crash-window (or a launch backoff)")
}

func (o runAlertingOptions) forMap() (map[alerting.Condition]time.Duration, error) {
	out := map[alerting.Condition]time.Duration{}
	for _, kv := range o.forOverrides {
		name, val, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("run: --alert-for %q: want Condition=duration", kv)
		}
		c, err := alerting.ParseCondition(strings.TrimSpace(name))
		if err != nil {
			return nil, fmt.Errorf("run: --alert-for: %w", err)
		}
		d, err := time.ParseDuration(strings.TrimSpace(val))
		if err != nil || d < 0 {
			return nil, fmt.Errorf("run: --alert-for %s: invalid duration %q", name, val)
		}
		out[c] = d
	}
	return out, nil
}

// stateFile is the incident state's file name in --state-dir.
const stateFile = "alerting-incidents.json"

// newAlerter pages through PagerDuty (incidents whose routing key does not
// resolve are logged), or only logs when logOnly.
func newAlerter(o *runOptions, cluster, marathonURL string, logOnly bool, log logr.Logger) (*paging.Alerter, error) {
	forMap, err := o.alerting.forMap()
	if err != nil {
		return nil, err
	}
	store, where, closeFn, err := incidentStore(o, cluster, log)
	if err != nil {
		return nil, err
	}
	return paging.New(paging.Options{
		Cluster: cluster, MarathonURL: marathonURL, For: forMap, ClearFor: o.alerting.clearFor,
		CrashWindow: o.alerting.crashWindow, CrashFailures: o.alerting.crashFailures,
		Store: store, Where: where, Close: closeFn, LogOnly: logOnly,
		PagerDutyEndpoint: o.pagerDutyEndpoint, PagerDutyKeyFile: o.pagerDutyKeyFile,
	}, log)
}

// incidentStore picks where open incidents and pending change events
// survive a restart: ZooKeeper next to the election when --zk is set (a
// new leader finds them), else a file in --state-dir, else nowhere (warned
// at start). close releases it.
func incidentStore(o *runOptions, cluster string, log logr.Logger) (store alerting.Store, where string, closeFn func(), err error) {
	if servers := election.ParseServers(o.zk); len(servers) > 0 {
		base := o.zkPath
		if base == "" {
			base = "/pacer/" + cluster
		}
		s, err := paging.NewZKStore(servers, path.Join(base, "alerting"), o.zkSessionTimeout, log)
		if err != nil {
			return nil, "", nil, fmt.Errorf("run: incident state: %w", err)
		}
		return s, "zookeeper " + s.Path(), s.Close, nil
	}
	if o.alerting.stateDir != "" {
		p := filepath.Join(o.alerting.stateDir, stateFile)
		return alerting.FileStore{Path: p}, p, func() {}, nil
	}
	return nil, "", func() {}, nil
}
