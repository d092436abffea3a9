package election

import "time"

// State is an instance's role in the election.
type State int

// States. The zero value is Disconnected: no session, so not leader.
const (
	// Disconnected: no ZooKeeper session; this instance does not write.
	Disconnected State = iota
	// Follower: in the election, waiting for its predecessor to go.
	Follower
	// Leader: the one instance that writes.
	Leader
)

func (s State) String() string {
	switch s {
	case Leader:
		return "leader"
	case Follower:
		return "follower"
	default:
		return "disconnected"
	}
}

// MarshalText makes State a string in JSON (/api/v1/status).
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Status is a snapshot for metrics and /api/v1/status.
type Status struct {
	State State `json:"state"`
	// ID is this instance's ID.
	ID string `json:"id,omitempty"`
	// Leader is the ID of the current leader as last seen, if known.
	Leader string `json:"leader,omitempty"`
	// Node is this instance's znode, empty without one.
	Node string `json:"node,omitempty"`
	// Since is when State last changed.
	Since time.Time `json:"since"`
}
