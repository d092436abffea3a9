package gitsource

import "sync"

// Trigger asks for an immediate sync. It coalesces: however many times Fire
// is called before the loop receives from C, one sync is pending. It also
// remembers the revision the source fetched last (Fetched), so that a push
// naming that revision, e.g. a replayed webhook, asks for nothing.
type Trigger struct {
	ch chan struct{}

	mu      sync.Mutex
	fetched string
}

// NewTrigger returns a Trigger with nothing pending.
func NewTrigger() *Trigger {
	return &Trigger{ch: make(chan struct{}, 1)}
}

// Fire makes a sync pending without blocking. It reports whether this call
// made one pending (false: one already was, and this call joined it).
func (t *Trigger) Fire() bool {
	select {
	case t.ch <- struct{}{}:
		return true
	default:
		return false
	}
}

// FireResult is what FireRevision did.
type FireResult int

// The outcomes of FireRevision.
const (
	// Fired made a sync pending.
	Fired FireResult = iota
	// Joined found a sync pending already.
	Joined
	// AlreadyFetched did nothing: the source has that revision.
	AlreadyFetched
)

// FireRevision asks for a sync because the branch moved to rev (a push's
// "after"). When the source fetched rev already it does nothing; an empty
// rev always fires.
func (t *Trigger) FireRevision(rev string) FireResult {
	if rev != "" {
		t.mu.Lock()
		done := rev == t.fetched
		t.mu.Unlock()
		if done {
			return AlreadyFetched
		}
	}
	if t.Fire() {
		return Fired
	}
	return Joined
}

// Fetched records the revision a sync fetched; the sync loop calls it
// after every successful fetch.
func (t *Trigger) Fetched(rev string) {
	t.mu.Lock()
	t.fetched = rev
	t.mu.Unlock()
}

// C delivers one value per pending sync; the sync loop selects on it.
func (t *Trigger) C() <-chan struct{} {
	return t.ch
}
