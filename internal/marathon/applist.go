package marathon

import (
	"fmt"
	"io"
)

// appList decodes the body of GET /v2/apps ({"apps": [...]}) app by app.
type appList struct {
	apps  []App
	arena []byte // holds the apps' Raw, a chunk at a time
}

func (l *appList) decodeBody(r io.Reader) error {
	l.apps, l.arena = nil, nil
	st := &stream{r: r, buf: make([]byte, 0, 64<<10)}
	if err := st.expect('{'); err != nil {
		return err
	}
	if c, err := st.peek(); err != nil {
		return err
	} else if c == '}' {
		st.off++
		return nil
	}
	for {
		key, err := st.value()
		if err != nil {
			return err
		}
		ks := scanner{data: key}
		name, err := ks.str()
		if err != nil {
			return err
		}
		if err := st.expect(':'); err != nil {
			return err
		}
		if string(name) == "apps" {
			err = l.decodeApps(st)
		} else {
			err = st.skip()
		}
		if err != nil {
			return err
		}
		c, err := st.peek()
		if err != nil {
			return err
		}
		st.off++
		switch c {
		case ',':
		case '}':
			return nil
		default:
			return fmt.Errorf("want , or } after %q, got %q", name, c)
		}
	}
}

// decodeApps decodes the apps array (or null).
func (l *appList) decodeApps(st *stream) error {
	c, err := st.peek()
	if err != nil {
		return err
	}
	if c == 'n' {
		return st.skip()
	}
	if err := st.expect('['); err != nil {
		return fmt.Errorf("apps: %w", err)
	}
	if c, err := st.peek(); err != nil {
		return err
	} else if c == ']' {
		st.off++
		return nil
	}
	for {
		if _, err := st.peek(); err != nil {
			return err
		}
		// Most apps are whole in the buffer: decode them in place.
		a, tasks, n, err := decodeAppPrefix(st.buf[st.off:])
		var raw []byte
		if err == nil {
			raw = st.take(n)
		} else {
			// Not all read yet, or invalid: cut the value out of the
			// stream, then decode all of it.
			if raw, err = st.value(); err != nil {
				return err
			}
			if a, tasks, err = decodeApp(raw); err != nil {
				return err
			}
		}
		// Raw leaves out the tasks, which are the larger half of an app's
		// JSON and are in a.Tasks.
		a.Raw = l.keep(raw[:tasks.start], raw[tasks.end:])
		l.apps = append(l.apps, a)
		c, err := st.peek()
		if err != nil {
			return err
		}
		st.off++
		switch c {
		case ',':
		case ']':
			return nil
		default:
			return fmt.Errorf("apps: want , or ], got %q", c)
		}
	}
}

// keep copies an app's JSON out of the stream buffer into the arena: a few
// large allocations instead of one per app.
func (l *appList) keep(b, more []byte) []byte {
	const chunk = 256 << 10
	n := len(b) + len(more)
	if n > cap(l.arena)-len(l.arena) {
		l.arena = make([]byte, 0, max(chunk, n))
	}
	start := len(l.arena)
	l.arena = append(append(l.arena, b...), more...)
	return l.arena[start:len(l.arena):len(l.arena)]
}
