package gitsource

// Trigger asks for an immediate sync. It coalesces: however many times Fire
// is called before the loop receives from C, one sync is pending.
type Trigger struct {
	ch chan struct{}
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

// C delivers one value per pending sync; the sync loop selects on it.
func (t *Trigger) C() <-chan struct{} {
	return t.ch
}
