package paging

import (
	"bytes"
	"context"
	"time"

	"github.com/go-logr/logr"

	"pacer.dev/pacer/alerting"
	"pacer.dev/pacer/lb"
	"pacer.dev/pacer/status"
)

// Alerter turns the operator's status after each pass into alerting
// signals, tracks them, sends the incidents and change events, and keeps
// the open incidents and pending change events in the store.
type Alerter struct {
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

	// Owned by the operator's goroutine (Observe).
	tracker *alerting.Tracker // nil until this instance leads
	saved   []byte            // what the store holds
	crashes *crashHistory
	changes pendingChanges // this leader's; empty while following

	// lbStatus is the LB pipeline's last status; nil without --lb-out.
	lbStatus func() lb.Status
}

// Options configure an Alerter.
type Options struct {
	Cluster     string
	MarathonURL string
	// For, ClearFor: how long a condition holds before it pages, and how
	// long it is clear before it resolves.
	For      map[alerting.Condition]time.Duration
	ClearFor time.Duration
	// CrashWindow and CrashFailures: that many task failures within the
	// window is CrashLooping.
	CrashWindow   time.Duration
	CrashFailures int
	// Store keeps open incidents and pending change events (nil: nowhere);
	// Where names it in logs; Close releases it when Run returns.
	Store alerting.Store
	Where string
	Close func()
	// LogOnly logs incidents instead of paging.
	LogOnly bool
	// PagerDutyEndpoint and PagerDutyKeyFile: the Events API v2 base URL
	// and the default routing key's file.
	PagerDutyEndpoint, PagerDutyKeyFile string
}

// New pages through PagerDuty (incidents whose routing key does not
// resolve are logged), or only logs when o.LogOnly.
func New(o Options, log logr.Logger) (*Alerter, error) {
	closeFn := o.Close
	if closeFn == nil {
		closeFn = func() {}
	}
	al := &Alerter{
		cluster: o.Cluster,
		now:     time.Now,
		opts: alerting.TrackerOptions{
			For:           o.For,
			ClearFor:      o.ClearFor,
			ClusterPolicy: alerting.Policy{Urgency: alerting.UrgencyHigh},
			Links:         alerting.LinkOptions{MarathonURL: map[string]string{o.Cluster: o.MarathonURL}},
		},
		notifier: alerting.LogNotifier{},
		store:    o.Store,
		where:    o.Where,
		closeFn:  closeFn,
		crashes:  newCrashHistory(o.CrashWindow, max(o.CrashFailures, 1)),
	}
	if o.Store == nil {
		log.Info("Open incidents are not persisted: after a restart pacer may page again, miss a resolve or a change event; set --state-dir or --zk")
	}
	if o.LogOnly {
		return al, nil
	}
	keys := alerting.KeyResolver{DefaultFile: o.PagerDutyKeyFile}
	d, err := alerting.NewDelivery(alerting.NewPagerDuty(alerting.PagerDutyOptions{Endpoint: o.PagerDutyEndpoint}),
		alerting.DeliveryOptions{Keys: keys, Now: time.Now, After: time.After})
	if err != nil {
		closeFn()
		return nil, err
	}
	al.notifier, al.delivery = d, d
	return al, nil
}

// Run delivers queued incidents until ctx is done, then flushes and
// releases the store.
func (al *Alerter) Run(ctx context.Context) error {
	defer al.closeFn()
	if al.delivery == nil {
		<-ctx.Done()
		return nil
	}
	return al.delivery.Run(ctx)
}

// WatchLB raises LBConfigInvalid while the LB pipeline's last status says
// its newest config was refused (lb.Status.ConfigInvalid); each operator
// pass reads it. Call it before Run.
func (al *Alerter) WatchLB(p *lb.Pipeline) { al.lbStatus = p.LastStatus }

// lbInvalid is why the newest LB config is not in place, empty while it
// is: refused (render or validation), or not written at all (disk full,
// permissions), when the last good config keeps serving stale backends
// just the same. A failed reload is not it: the new config is in place and
// the pipeline retries the reload.
func (al *Alerter) lbInvalid() string {
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

// Observe tracks and sends what holds after a pass. Only the leader pages:
// followers compute the same status and would page twice. A new leader
// (or a restarted pacer) first restores the open incidents and pending
// change events from the store.
func (al *Alerter) Observe(ctx context.Context, st status.Cluster) {
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
	in := Input{Cluster: al.cluster, Now: now, LBInvalid: al.lbInvalid(), crashes: al.crashes}
	sigs := Signals(in, st)
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
func (al *Alerter) restore(ctx context.Context) bool {
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
func (al *Alerter) persist(ctx context.Context) {
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
