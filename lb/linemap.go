package lb

import (
	"bytes"
	"regexp"
	"strconv"
)

// LineMap says which app rendered which lines of a config, so a validator
// complaint about a line ("in /etc/nginx/.nginx.conf.draft-1:123",
// "[/etc/haproxy/.haproxy.cfg.draft-1:123]") names the offending app.
type LineMap struct {
	ranges []lineRange
}

// lineRange is lines First..Last (1-based, inclusive) rendered for AppID.
type lineRange struct {
	First, Last int
	AppID       string
}

// AppAt returns the app that rendered line n, or "" for lines no app
// rendered (globals, defaults).
func (m LineMap) AppAt(n int) string {
	for _, r := range m.ranges {
		if n >= r.First && n <= r.Last {
			return r.AppID
		}
	}
	return ""
}

// MappedRenderer is a Renderer that also records the lines each app
// rendered (the built-in nginx and HAProxy renderers). Render must give
// the same bytes.
type MappedRenderer interface {
	Renderer
	RenderMapped(backends []Backend) ([]byte, LineMap, error)
}

// lineCounter counts the lines written to a buffer so far, in time
// proportional to the bytes written since the last call.
type lineCounter struct {
	w       *bytes.Buffer
	counted int // bytes of w already counted
	lines   int // newlines in w[:counted]
	m       LineMap
}

// next is the number of the line the next write starts (1-based; the
// buffer always ends with a newline when it is called).
func (c *lineCounter) next() int {
	c.lines += bytes.Count(c.w.Bytes()[c.counted:], []byte{'\n'})
	c.counted = c.w.Len()
	return c.lines + 1
}

// since records that the lines from first to the last one written belong
// to app.
func (c *lineCounter) since(first int, app string) {
	if last := c.next() - 1; last >= first {
		c.m.ranges = append(c.m.ranges, lineRange{First: first, Last: last, AppID: app})
	}
}

// draftLine finds "draft-NNN:LINE" in a validator's output: nginx says
// "in /dir/.nginx.conf.draft-123:45", HAProxy "[/dir/.haproxy.cfg.draft-123:45]".
var draftLine = regexp.MustCompile(`\.draft-[0-9]+:([0-9]+)`)

// offendingLine returns the first line of the draft the validator's output
// names, or 0.
func offendingLine(output string) int {
	m := draftLine.FindStringSubmatch(output)
	if m == nil {
		return 0
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		return 0
	}
	return n
}
