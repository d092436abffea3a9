package reconciler

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"pacer.dev/pacer/internal/marathon"
)

// InvalidAppError is Marathon's 400/422 answer to one app's write, placed in
// the specs: each problem carries the spec location of the field Marathon
// rejected (the app's own location when the field cannot be placed).
type InvalidAppError struct {
	ID     string
	Action Action
	// Source is the app's spec location (file:line).
	Source string
	// Message is Marathon's message, e.g. "Object is not valid".
	Message  string
	Problems []Problem
	// Err is the client error (matches marathon.ErrInvalid).
	Err error
}

// Problem is one rejected field.
type Problem struct {
	// Location is the spec file:line that sets the field.
	Location string
	// Path is Marathon's path of the field, e.g. /healthChecks(0)/path.
	Path   string
	Errors []string
}

// Error prints one line per problem, compiler style:
// "file:line: update app /x: rejected by Marathon (Object is not valid): /cpus: got -1.0, expected 0.0 or more".
func (e *InvalidAppError) Error() string {
	head := fmt.Sprintf("%s app %s: rejected by Marathon (%s)", e.Action, e.ID, e.Message)
	if len(e.Problems) == 0 {
		return prefixLocation(e.Source, head)
	}
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = prefixLocation(p.Location, fmt.Sprintf("%s: %s: %s", head, p.Path, strings.Join(p.Errors, ", ")))
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the client error.
func (e *InvalidAppError) Unwrap() error { return e.Err }

func prefixLocation(loc, msg string) string {
	if loc == "" {
		return msg
	}
	return loc + ": " + msg
}

// invalidAppError places a client's ErrInvalid in the specs; other errors
// are only wrapped.
func invalidAppError(ap AppPlan, err error) error {
	var ie *marathon.InvalidError
	if !errors.As(err, &ie) {
		return fmt.Errorf("%s app %s: %w", ap.Action, ap.ID, err)
	}
	out := &InvalidAppError{ID: ap.ID, Action: ap.Action, Source: ap.Source, Message: ie.Message, Err: err}
	if ie.Details != "" {
		out.Message += ": " + ie.Details
	}
	for _, v := range ie.Violations {
		loc := ""
		if ap.locate != nil {
			loc = ap.locate(violationPointer(v.Path))
		}
		if loc == "" {
			loc = ap.Source
		}
		out.Problems = append(out.Problems, Problem{Location: loc, Path: v.Path, Errors: v.Errors})
	}
	return out
}

var indexSegment = regexp.MustCompile(`\((\d+)\)`)

// violationPointer turns Marathon's violation path (/healthChecks(0)/path)
// into an RFC 6901 pointer (/healthChecks/0/path).
func violationPointer(path string) string {
	p := indexSegment.ReplaceAllString(path, "/$1")
	if p == "/" {
		return ""
	}
	return p
}
