package election

import "context"

// beginTerm makes this instance leader if the session is the one (gen) in
// which it was found lowest. The cancel func is installed under the same lock
// the session callback takes, so a disconnect either happens before (and the
// term does not begin) or after (and cancels it).
func (e *Elector) beginTerm(gen uint64, cancel context.CancelFunc, node string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.session || e.gen != gen {
		return false
	}
	e.endTerm, e.termNode = cancel, node
	e.setStateLocked(Leader, e.opts.ID, node)
	return true
}

// endLeaderTerm records that onElected has returned.
func (e *Elector) endLeaderTerm() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.endTerm, e.termNode = nil, ""
	if e.session {
		e.setStateLocked(Follower, "", e.status.Node)
	} else {
		e.setStateLocked(Disconnected, "", e.status.Node)
	}
}

// setFollower records the follower state seen in session generation gen;
// false if the session changed since.
func (e *Elector) setFollower(gen uint64, leader, node string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.session || e.gen != gen {
		return false
	}
	e.setStateLocked(Follower, leader, node)
	return true
}
