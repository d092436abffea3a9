package status

// SyncReason is a typed cause of an app's sync state, for the status API
// and alerting (App.Reason).
type SyncReason string

// Sync reasons.
const (
	// ReasonNotConverging: pacer wrote the app MaxWritesPerRevision times
	// in a row for its definition in git, yet Marathon still differs from
	// git and the diff did not shrink. A write loop (a normalization gap,
	// another client writing the app back): the app is no longer written
	// until its definition in git changes or the diff shrinks, and
	// SyncFailed pages.
	ReasonNotConverging SyncReason = "NotConverging"
)
