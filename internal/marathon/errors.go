package marathon

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
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
	// ErrOutcomeUnknown means a write (PUT, POST, DELETE) was sent whole
	// but no complete answer came back: Marathon may or may not have
	// applied it. It is not retried (a second write could start a second
	// deployment); the caller reads Marathon again to find out.
	ErrOutcomeUnknown = errors.New("outcome unknown")
)

// OutcomeUnknownError is a write sent to URL whose answer was lost. It
// matches ErrOutcomeUnknown.
type OutcomeUnknownError struct {
	Method, Path, URL string
	Err               error
}

func (e *OutcomeUnknownError) Error() string {
	return fmt.Sprintf("%s %s was sent to %s but its answer was lost (%v): not retried, Marathon may have applied it; "+
		"the next pass reads Marathon again", e.Method, e.Path, e.URL, e.Err)
}

func (e *OutcomeUnknownError) Unwrap() []error { return []error{ErrOutcomeUnknown, e.Err} }

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

// ErrUnauthorized is Marathon's 401 or 403: credentials are missing or were
// refused. It is never retried.
var ErrUnauthorized = errors.New("unauthorized")

// AuthError is a 401 or 403 from one URL. It matches ErrUnauthorized.
type AuthError struct {
	URL    string // without user info
	Status int
	// Sent describes the credentials sent (never their value); "none" when
	// none are configured.
	Sent string
}

func (e *AuthError) Error() string {
	what := "401 Unauthorized"
	if e.Status == 403 {
		what = "403 Forbidden"
	}
	if e.Sent == "none" {
		return fmt.Sprintf("%s answered %s and no credentials are configured; give them with --marathon-basic-auth-file, "+
			"--marathon-token-file, PACER_MARATHON_BASIC_AUTH, PACER_MARATHON_TOKEN or spec.marathon.basicAuth/token", e.URL, what)
	}
	return fmt.Sprintf("%s answered %s: it refused the %s", e.URL, what, e.Sent)
}

// Is reports whether target is ErrUnauthorized.
func (e *AuthError) Is(target error) bool { return target == ErrUnauthorized }

// TimeoutError is an attempt that got no complete answer within the timeout.
type TimeoutError struct {
	URL   string // without user info
	After time.Duration
	// Partial is set when the headers came but the body did not finish (a
	// server or proxy dripping it).
	Partial bool
}

func (e *TimeoutError) Error() string {
	if e.Partial {
		return fmt.Sprintf("no complete answer within %s from %s (the body was still arriving)", e.After, e.URL)
	}
	return fmt.Sprintf("no answer within %s from %s", e.After, e.URL)
}

// Timeout reports true, as net.Error does.
func (e *TimeoutError) Timeout() bool { return true }

// ErrNotMarathon means a URL answered something that is not the Marathon
// API: an HTML page (a proxy's login or error page) or another content type.
var ErrNotMarathon = errors.New("not the Marathon API")

// NotMarathonError describes such an answer. It matches ErrNotMarathon.
type NotMarathonError struct {
	URL         string // without user info
	Status      int
	ContentType string
	HTML        bool
	Title       string // the HTML page's <title>, if any
}

func (e *NotMarathonError) Error() string {
	var b strings.Builder
	if e.HTML {
		fmt.Fprintf(&b, "%s answered HTML, not the Marathon API (http %d", e.URL, e.Status)
		if e.Title != "" {
			fmt.Fprintf(&b, ", title %q", e.Title)
		}
	} else {
		fmt.Fprintf(&b, "%s answered %s, not the Marathon API (http %d", e.URL, orUnknown(e.ContentType), e.Status)
	}
	b.WriteString("); check the URL and any proxy in front of Marathon")
	return b.String()
}

// Is reports whether target is ErrNotMarathon.
func (e *NotMarathonError) Is(target error) bool { return target == ErrNotMarathon }

func orUnknown(ct string) string {
	if ct == "" {
		return "no content type"
	}
	return ct
}

// TLSError is a certificate Marathon presented that pacer does not trust.
// Retrying cannot help, so it is not retried.
type TLSError struct {
	URL string // without user info
	Err error
}

func (e *TLSError) Error() string {
	return fmt.Sprintf("%s: TLS certificate not trusted: %v; give the CA bundle that signs it with --marathon-ca-file "+
		"(or, for a test cluster only, --insecure-skip-tls-verify)", e.URL, e.Err)
}

func (e *TLSError) Unwrap() error { return e.Err }
