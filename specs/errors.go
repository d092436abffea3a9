package specs

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrInvalid is matched (errors.Is) by every problem found in a spec tree, as
// opposed to an I/O failure of the tree itself.
var ErrInvalid = errors.New("invalid specs")

// Error is one problem in one spec file. Line and Col are 1-based; both are 0
// when the problem concerns the file as a whole (for example it cannot be read).
type Error struct {
	File  string // path relative to the specs root, with forward slashes
	Line  int
	Col   int
	Field string // dotted path inside the document, e.g. spec.apps.app.cpus; may be empty
	Msg   string
	// Warning marks advice that does not make the tree invalid (see
	// Set.Warnings); it prints as "file:line:col: warning: ...".
	Warning bool
}

// Error formats the problem as file:line:col: field: message.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Col)
	}
	b.WriteString(": ")
	if e.Warning {
		b.WriteString("warning: ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

// Errors is every problem found, in a stable order (file, line, column,
// message). Its Error method prints one problem per line.
type Errors []*Error

// Error prints one problem per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Is makes errors.Is(err, ErrInvalid) true.
func (es Errors) Is(target error) bool { return target == ErrInvalid }

// Unwrap gives errors.As access to each *Error.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// sorted returns the problems in their stable order, without duplicates, or
// nil when there are none.
func (es Errors) sorted() Errors {
	if len(es) == 0 {
		return nil
	}
	out := slices.Clone(es)
	slices.SortStableFunc(out, compareErrors)
	return slices.CompactFunc(out, func(a, b *Error) bool { return compareErrors(a, b) == 0 })
}

func compareErrors(a, b *Error) int {
	if c := strings.Compare(a.File, b.File); c != 0 {
		return c
	}
	if a.Line != b.Line {
		return a.Line - b.Line
	}
	if a.Col != b.Col {
		return a.Col - b.Col
	}
	if c := strings.Compare(a.Field, b.Field); c != 0 {
		return c
	}
	return strings.Compare(a.Msg, b.Msg)
}

// asError returns es as an error, nil when it is empty (never a typed nil).
func (es Errors) asError() error {
	if len(es) == 0 {
		return nil
	}
	return es.sorted()
}
