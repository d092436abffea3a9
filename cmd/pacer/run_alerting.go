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
	"pacer.dev/pacer/lb"
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
func newAlerter(o *runOptions, cluster, marathonURL string, logOnly bool, elector *election.Elector, log logr.Logger) (*paging.Alerter, error) {
	forMap, err := o.alerting.forMap()
	if err != nil {
		return nil, err
	}
	store, where := incidentStore(o, cluster, elector)
	return paging.New(paging.Options{
		Cluster: cluster, MarathonURL: marathonURL, For: forMap, ClearFor: o.alerting.clearFor,
		CrashWindow: o.alerting.crashWindow, CrashFailures: o.alerting.crashFailures,
		Store: store, Where: where, LogOnly: logOnly,
		PagerDutyEndpoint: o.pagerDutyEndpoint, PagerDutyKeyFile: o.pagerDutyKeyFile,
	}, log)
}

// incidentStore picks where open incidents and pending change events
// survive a restart: ZooKeeper next to the election when --zk is set, on
// the elector's session with writes fenced by its leadership (a new leader
// finds them, a deposed one cannot overwrite them), else a file in
// --state-dir, else nowhere (warned at start).
func incidentStore(o *runOptions, cluster string, elector *election.Elector) (store alerting.Store, where string) {
	if len(election.ParseServers(o.zk)) > 0 {
		base := o.zkPath
		if base == "" {
			base = "/pacer/" + cluster
		}
		s := paging.NewZKStore(elector, path.Join(base, "alerting"))
		return s, "zookeeper " + s.Path()
	}
	if o.alerting.stateDir != "" {
		p := filepath.Join(o.alerting.stateDir, stateFile)
		return alerting.FileStore{Path: p}, p
	}
	return nil, ""
}

// watchLB hands the alerter the LB pipeline's last status.
func watchLB(al *paging.Alerter, p *lb.Pipeline) {
	al.WatchLB(func() paging.LBStatus { return lbStatusOf(p.LastStatus()) })
}

// lbStatusOf is what paging reads of an LB pipeline status.
func lbStatusOf(st lb.Status) paging.LBStatus {
	ls := paging.LBStatus{ConfigInvalid: st.ConfigInvalid, Err: st.Err, ReloadFailed: st.ReloadFailed()}
	if st.ReloadFailure != nil {
		ls.ReloadFailure = st.ReloadFailure.Error()
	}
	return ls
}
