package alerting

import (
	"slices"
	"time"
)

// Silence suppresses paging for matching conditions until Until; they stay
// tracked and visible in Snapshot. An empty field matches everything, so
// {Cluster: "ams"} is a maintenance window for the cluster and
// {App: "/services/x/production/app", Until: ..} is `pacer silence --app`.
// An incident already open stays open and still resolves; a condition that
// still holds when the silence ends pages then.
type Silence struct {
	Cluster    string      `json:"cluster,omitempty"`
	App        string      `json:"app,omitempty"`
	Conditions []Condition `json:"conditions,omitempty"`
	Until      time.Time   `json:"until"`
	Reason     string      `json:"reason"`
}

func (s Silence) matches(now time.Time, sub subject) bool {
	return now.Before(s.Until) &&
		(s.Cluster == "" || s.Cluster == sub.Cluster) &&
		(s.App == "" || s.App == sub.App) &&
		(len(s.Conditions) == 0 || slices.Contains(s.Conditions, sub.Condition))
}

// SetSilences replaces the active silences (level-based, like Observe:
// cmd hands over what is stored each pass). Expired ones are ignored.
func (t *Tracker) SetSilences(silences []Silence) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.silences = slices.Clone(silences)
}

func (t *Tracker) silenced(now time.Time, s subject) bool {
	for _, sil := range t.silences {
		if sil.matches(now, s) {
			return true
		}
	}
	return false
}
