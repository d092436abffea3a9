package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"

	"pacer.dev/pacer/alerting"
	"pacer.dev/pacer/lb"
	"pacer.dev/pacer/operator"
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

// alerter turns the operator's status after each pass into alerting
// signals, tracks them, sends the incidents and change events, and keeps
// the open incidents and pending change events in the store.
type alerter struct {
	cluster  string
	now      func() time.Time
	opts     alerting.TrackerOptions
	notifier interface {
		alerting.Notifier
		alerting.ChangeNotifier
	}
	delivery *alerting.Delivery // nil when alerts are only logged
	store    alerting.Store     // nil: open incidents and pending changes are not kept
	where    string
	closeFn  func()

	// Owned by the operator's goroutine (OnPass).
	tracker *alerting.Tracker // nil until this instance leads
	saved   []byte            // what the store holds
	crashes *crashHistory
	changes pendingChanges // this leader's; empty while following

	// lbStatus is the LB pipeline's last status; nil without --lb-out.
	lbStatus func() lb.Status
}

// newAlerter pages through PagerDuty (incidents whose routing key does not
// resolve are logged), or only logs when logOnly.
func newAlerter(o *runOptions, cluster, marathonURL string, logOnly bool, log logr.Logger) (*alerter, error) {
	forMap, err := o.alerting.forMap()
	if err != nil {
		return nil, err
	}
	store, where, closeFn, err := incidentStore(o, cluster, log)
	if err != nil {
		return nil, err
	}
	al := &alerter{
		cluster: cluster,
		now:     time.Now,
		opts: alerting.TrackerOptions{
			For:           forMap,
			ClearFor:      o.alerting.clearFor,
			ClusterPolicy: alerting.Policy{Urgency: alerting.UrgencyHigh},
			Links:         alerting.LinkOptions{MarathonURL: map[string]string{cluster: marathonURL}},
		},
		notifier: alerting.LogNotifier{},
		store:    store,
		where:    where,
		closeFn:  closeFn,
		crashes:  newCrashHistory(o.alerting.crashWindow, max(o.alerting.crashFailures, 1)),
	}
	if store == nil {
		log.Info("Open incidents are not persisted: after a restart pacer may page again, miss a resolve or a change event; set --state-dir or --zk")
	}
	if logOnly {
		return al, nil
	}
	keys := alerting.KeyResolver{DefaultFile: o.pagerDutyKeyFile}
	d, err := alerting.NewDelivery(alerting.NewPagerDuty(alerting.PagerDutyOptions{Endpoint: o.pagerDutyEndpoint}),
		alerting.DeliveryOptions{Keys: keys, Now: time.Now, After: time.After})
	if err != nil {
		closeFn()
		return nil, err
	}
	al.notifier, al.delivery = d, d
	return al, nil
}

// run delivers queued incidents until ctx is done, then flushes and
// releases the store.
func (al *alerter) run(ctx context.Context) error {
	defer al.closeFn()
	if al.delivery == nil {
		<-ctx.Done()
		return nil
	}
	return al.delivery.Run(ctx)
}

// watchLB raises LBConfigInvalid while the LB pipeline's last status says
// its newest config was refused (lb.Status.ConfigInvalid); each operator
// pass reads it. Call it before Run.
func (al *alerter) watchLB(p *lb.Pipeline) { al.lbStatus = p.LastStatus }

// lbInvalid is why the newest LB config is not in place, empty while it
// is: refused (render or validation), or not written at all (disk full,
// permissions), when the last good config keeps serving stale backends
// just the same. A failed reload is not it: the new config is in place and
// the pipeline retries the reload.
func (al *alerter) lbInvalid() string {
	if al.lbStatus == nil {
		return ""
	}
	st := al.lbStatus()
	switch {
	case st.ConfigInvalid && st.Err != nil:
		return st.Err.Error()
	case st.ConfigInvalid:
		return "the rendered config was refused"
	case st.Err != nil && !st.ReloadFailed():
		return "the rendered config could not be put in place: " + st.Err.Error()
	}
	return ""
}

// lbReloadFailed is why the LB does not run the config in place, empty
// while it does: the reload (confirmed through HAProxy's master CLI, or the
// reload command) failed and the pipeline retries it (lb.Status.ReloadFailure).
func (al *alerter) lbReloadFailed() string {
	if al.lbStatus == nil {
		return ""
	}
	if err := al.lbStatus().ReloadFailure; err != nil {
		return err.Error()
	}
	return ""
}

// observe tracks and sends what holds after a pass. Only the leader pages:
// followers compute the same status and would page twice. A new leader
// (or a restarted pacer) first restores the open incidents and pending
// change events from the store.
func (al *alerter) observe(ctx context.Context, st operator.Status) {
	log := logr.FromContextOrDiscard(ctx).WithName("alerting")
	read := readMarathon(ctx, st)
	ctx = logr.NewContext(context.WithoutCancel(ctx), log)
	if !st.Leader {
		// The leader owns the incidents and pending changes now (in the
		// store); reload them when leading again.
		al.tracker, al.changes, al.saved = nil, pendingChanges{}, nil
		return
	}
	if al.tracker == nil && !al.restore(ctx) {
		al.changes.add(al.newChanges(st)...) // kept until the store is read
		return
	}
	now := al.now()
	in := signalInput{cluster: al.cluster, now: now, lbInvalid: al.lbInvalid(), lbReloadFailed: al.lbReloadFailed(), crashes: al.crashes}
	sigs := statusSignals(in, st)
	al.crashes.forget(st)
	for _, inc := range al.tracker.Observe(now, sigs) {
		if err := al.notifier.Notify(ctx, inc); err != nil {
			log.Error(err, "Send incident", "incident", inc.DedupKey)
		}
	}
	al.sendChanges(ctx, st, read)
	al.persist(ctx)
}

// restore starts a tracker with the stored open incidents and takes over
// the stored pending changes. Without them pacer could page twice, so a
// store that cannot be read skips paging this pass (the condition stays
// visible in status) and is tried again.
func (al *alerter) restore(ctx context.Context) bool {
	log := logr.FromContextOrDiscard(ctx)
	tr := alerting.NewTracker(al.opts)
	if al.store != nil {
		saved, err := al.store.Load(ctx)
		if err != nil {
			log.Error(err, "Cannot read open incidents; not paging until they are read", "path", al.where)
			return false
		}
		tr.Restore(saved.Open)
		al.changes.add(saved.Changes...)
		al.saved, _ = alerting.MarshalState(saved)
		log.Info("Restored open incidents", "count", len(saved.Open), "pendingChanges", len(saved.Changes), "path", al.where)
	}
	al.tracker = tr
	return true
}

// persist saves the open incidents and pending changes when they changed.
func (al *alerter) persist(ctx context.Context) {
	if al.store == nil {
		return
	}
	st := alerting.Persisted{Open: al.tracker.OpenIncidents(), Changes: al.changes.list()}
	b, err := alerting.MarshalState(st)
	if err != nil || bytes.Equal(b, al.saved) {
		return
	}
	if err := al.store.Save(ctx, st); err != nil {
		logr.FromContextOrDiscard(ctx).Error(err, "Cannot save open incidents; retried after the next pass", "path", al.where)
		return
	}
	al.saved = b
}
