package marathon

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Callers test them with errors.Is; the typed errors below
// carry the details when a caller needs them (errors.As).
var (
	// ErrNotFound is Marathon's 404: the app, deployment or path does not exist.
	ErrNotFound = errors.New("not found")
	// ErrLocked is Marathon's 409 for an app locked by running deployments.
	ErrLocked = errors.New("locked by a deployment")
	// ErrConflict is any other 409, e.g. creating an app that already exists.
	ErrConflict = errors.New("conflict")
	// ErrInvalid is Marathon's 400/422: the definition was rejected.
	ErrInvalid = errors.New("invalid")
	// ErrUnavailable means no Marathon URL answered (connection errors or 5xx
	// from every URL).
	ErrUnavailable = errors.New("marathon unavailable")
)

// LockedError is returned for a 409 that names the blocking deployments.
// It matches ErrLocked.
type LockedError struct {
	Message       string
	DeploymentIDs []string
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("locked by deployments %s: %s", strings.Join(e.DeploymentIDs, ","), e.Message)
}

// Is reports whether target is ErrLocked.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// Violation is one entry of a 422 body's details: a path and its errors.
type Violation struct {
	Path   string   `json:"path"`
	Errors []string `json:"errors"`
}

// InvalidError is returned for a 400 or 422. It matches ErrInvalid.
type InvalidError struct {
	Status     int
	Message    string
	Violations []Violation
	// Details holds the details field when it is not a list of violations
	// (a 400 with a parser message).
	Details string
}

func (e *InvalidError) Error() string {
	var b strings.Builder
	b.WriteString(e.Message)
	for _, v := range e.Violations {
		fmt.Fprintf(&b, "; %s: %s", v.Path, strings.Join(v.Errors, ", "))
	}
	if e.Details != "" {
		fmt.Fprintf(&b, ": %s", e.Details)
	}
	return b.String()
}

// Is reports whether target is ErrInvalid.
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

// StatusError is any other unexpected HTTP status.
type StatusError struct {
	Status  int
	Message string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("http %d: %s", e.Status, e.Message)
}

// errorBody is Marathon's error body: {"message", "details", "deployments"}.
type errorBody struct {
	Message     string          `json:"message"`
	Details     json.RawMessage `json:"details"`
	Deployments []struct {
		ID string `json:"id"`
	} `json:"deployments"`
}

// mapError turns a non-2xx response into one of our errors.
func mapError(status int, body []byte) error {
	var eb errorBody
	if err := json.Unmarshal(body, &eb); err != nil || eb.Message == "" {
		eb.Message = strings.TrimSpace(string(body))
	}
	switch {
	case status == 404:
		return fmt.Errorf("%w: %s", ErrNotFound, eb.Message)
	case status == 409 && len(eb.Deployments) > 0:
		le := &LockedError{Message: eb.Message}
		for _, d := range eb.Deployments {
			le.DeploymentIDs = append(le.DeploymentIDs, d.ID)
		}
		return le
	case status == 409:
		return fmt.Errorf("%w: %s", ErrConflict, eb.Message)
	case status == 400 || status == 422:
		ie := &InvalidError{Status: status, Message: eb.Message}
		if len(eb.Details) > 0 && string(eb.Details) != "null" {
			if err := json.Unmarshal(eb.Details, &ie.Violations); err != nil {
				var s string
				if json.Unmarshal(eb.Details, &s) == nil {
					ie.Details = s
				} else {
					ie.Details = string(eb.Details)
				}
			}
		}
		return ie
	default:
		return &StatusError{Status: status, Message: eb.Message}
	}
}
