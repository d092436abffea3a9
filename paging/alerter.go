package paging

import (
	"bytes"
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"

	"pacer.dev/pacer/alerting"
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

	// The operator's passes, latest wins (Offer, Run).
	mu      sync.Mutex
	latest  *pass
	wake    chan struct{}
	drained chan struct{} // closed once Run observed the last status

	// Owned by Run's goroutine (observe).
	tracker *alerting.Tracker // nil until this instance leads
	saved   []byte            // what the store holds
	crashes *crashHistory
	changes pendingChanges // this leader's; empty while following

	// lbStatus is the LB pipeline's last status; nil without --lb-out.
	lbStatus func() LBStatus
	// checkStatus is the custom checks' latest state; nil without checks.
	checkStatus func() CheckStatus
	// open is the open incidents for the status page (incidents.go).
	open atomic.Pointer[[]status.Incident]
}

// pass is what Run has not observed yet of the operator's passes: the
// newest status, with the writes of the passes it replaced.
type pass struct {
	st status.Cluster
	// cutShort: the pass was cut short by shutdown (its live state says
	// nothing of finished deployments).
	cutShort bool
	// followed: this instance followed in a pass it replaced, so another
	// leader may have changed the store since this one last read it.
	followed bool
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
	// Where names it in logs.
	Store alerting.Store
	Where string
	// LogOnly logs incidents instead of paging.
	LogOnly bool
	// PagerDutyEndpoint and PagerDutyKeyFile: the Events API v2 base URL
	// and the default routing key's file.
	PagerDutyEndpoint, PagerDutyKeyFile string
}

// New pages through PagerDuty (incidents whose routing key does not
// resolve are logged), or only logs when o.LogOnly.
func New(o Options, log logr.Logger) (*Alerter, error) {
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
		crashes:  newCrashHistory(o.CrashWindow, max(o.CrashFailures, 1)),
		wake:     make(chan struct{}, 1),
		drained:  make(chan struct{}),
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
		return nil, err
	}
	al.notifier, al.delivery = d, d
	return al, nil
}

// Offer hands the status after a pass to Run and returns at once: a slow
// store or PagerDuty never stretches the operator's passes. Latest wins:
// when Run is still busy, an unobserved earlier status is replaced, but
// the writes it reports (change events) and a follower pass are kept.
// ctx is the pass's context: done means the pass was cut short.
func (al *Alerter) Offer(ctx context.Context, st status.Cluster) {
	p := &pass{st: st, cutShort: ctx.Err() != nil, followed: !st.Leader}
	al.mu.Lock()
	if old := al.latest; old != nil {
		p.st.Applied = append(append([]status.AppliedChange(nil), old.st.Applied...), st.Applied...)
		p.followed = p.followed || old.followed
	}
	al.latest = p
	al.mu.Unlock()
	select {
	case al.wake <- struct{}{}:
	default:
	}
}

func (al *Alerter) take() *pass {
	al.mu.Lock()
	defer al.mu.Unlock()
	p := al.latest
	al.latest = nil
	return p
}

// Run observes the offered statuses and delivers queued incidents until
// ctx is done; then it observes the last status offered (Drained is
// closed) and flushes the deliveries.
func (al *Alerter) Run(ctx context.Context) error {
	octx := logr.NewContext(context.WithoutCancel(ctx), logr.FromContextOrDiscard(ctx).WithName("alerting"))
	dctx, stopDelivery := context.WithCancel(context.WithoutCancel(ctx))
	defer stopDelivery()
	var delivered chan error // nil when alerts are only logged
	if al.delivery != nil {
		delivered = make(chan error, 1)
		go func() { delivered <- al.delivery.Run(dctx) }()
	}
	for {
		select {
		case <-al.wake:
			al.observeLatest(octx)
		case err := <-delivered:
			return err
		case <-ctx.Done():
			al.observeLatest(octx) // the last pass before shutdown
			close(al.drained)
			stopDelivery()
			if delivered == nil {
				return nil
			}
			return <-delivered
		}
	}
}

// Drained is closed once Run, its context done, has observed the last
// status offered and saved the state: stop the election only then, so
// that the leader's last save is not refused for want of a term.
func (al *Alerter) Drained() <-chan struct{} { return al.drained }

func (al *Alerter) observeLatest(ctx context.Context) {
	if p := al.take(); p != nil {
		al.observe(ctx, *p)
	}
}

// WatchLB raises LBConfigInvalid while the LB pipeline's last status says
// its newest config was refused (LBStatus.ConfigInvalid) or could not be
// put in place; each observed pass reads it. Call it before Run.
func (al *Alerter) WatchLB(last func() LBStatus) { al.lbStatus = last }

// observe tracks and sends what holds after a pass. Only the leader pages:
// followers compute the same status and would page twice. A new leader
// (or a restarted pacer) first restores the open incidents and pending
// change events from the store.
func (al *Alerter) observe(ctx context.Context, p pass) {
	defer al.publishIncidents()
	st := p.st
	log := logr.FromContextOrDiscard(ctx)
	read := !p.cutShort && readMarathon(st)
	if p.followed {
		// The leader owns the incidents and pending changes now (in the
		// store); reload them when leading again.
		al.tracker, al.changes, al.saved = nil, pendingChanges{}, nil
	}
	if !st.Leader {
		return
	}
	if al.tracker == nil && !al.restore(ctx) {
		al.changes.add(al.newChanges(st)...) // kept until the store is read
		return
	}
	now := al.now()
	var lbs LBStatus
	if al.lbStatus != nil {
		lbs = al.lbStatus()
	}
	in := Input{Cluster: al.cluster, Now: now, RecentFailures: al.crashes.observeAll(st, now), CrashFailures: al.crashes.threshold}
	signals := Signals(in, st, lbs)
	if al.checkStatus != nil {
		signals = append(signals, CheckSignals(in, st, al.checkStatus())...)
	}
	for _, inc := range al.tracker.Observe(now, signals) {
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
