package status

// Sync says whether an app's live definition matches the specs.
type Sync string

// Sync statuses, as Argo CD's.
const (
	Synced      Sync = "Synced"
	OutOfSync   Sync = "OutOfSync"
	SyncUnknown Sync = "Unknown" // Marathon could not be read
)

// Syncs lists every Sync, in the order summaries count them.
func Syncs() []Sync { return []Sync{Synced, OutOfSync, SyncUnknown} }

// SyncOf is an app's Sync from its plan: Synced when the plan leaves it
// unchanged, OutOfSync for any other action (a skipped app differs from
// git too; the action and its reason say why it is not written).
func SyncOf(unchanged bool) Sync {
	if unchanged {
		return Synced
	}
	return OutOfSync
}
