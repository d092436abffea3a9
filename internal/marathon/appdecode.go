package marathon

import (
	"errors"
	"fmt"
	"io"
	"strconv"
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

// stream cuts a JSON body into values as it is read, so that only one value
// at a time is in memory. It finds where a value ends without validating
// it; the scanner that decodes the value does.
type stream struct {
	r   io.Reader
	buf []byte // buf[off:] is read and not yet consumed
	off int
	err error // of the last read; io.EOF at the end
}

// fill reads more of the body, keeping buf[off:].
func (st *stream) fill() error {
	if st.err != nil {
		if st.err == io.EOF {
			return io.ErrUnexpectedEOF
		}
		return st.err
	}
	if st.off > 0 {
		n := copy(st.buf, st.buf[st.off:])
		st.buf, st.off = st.buf[:n], 0
	}
	if len(st.buf) == cap(st.buf) {
		st.buf = append(st.buf, make([]byte, cap(st.buf))...)[:len(st.buf)]
	}
	n, err := st.r.Read(st.buf[len(st.buf):cap(st.buf)])
	st.buf = st.buf[:len(st.buf)+n]
	if err != nil {
		st.err = err
		if n == 0 && err != io.EOF {
			return err
		}
	}
	return nil
}

// peek skips white space and returns the next byte without consuming it.
func (st *stream) peek() (byte, error) {
	for {
		for ; st.off < len(st.buf); st.off++ {
			switch c := st.buf[st.off]; c {
			case ' ', '\t', '\n', '\r':
			default:
				return c, nil
			}
		}
		if err := st.fill(); err != nil {
			return 0, err
		}
	}
}

func (st *stream) expect(want byte) error {
	c, err := st.peek()
	if err != nil {
		return err
	}
	if c != want {
		return fmt.Errorf("want %q, got %q", want, c)
	}
	st.off++
	return nil
}

// skip validates and passes over one value.
func (st *stream) skip() error {
	v, err := st.value()
	if err != nil {
		return err
	}
	s := scanner{data: v}
	if err := s.skip(); err != nil {
		return err
	}
	return s.end()
}

// value returns the bytes of the next value, valid until the next call.
func (st *stream) value() ([]byte, error) {
	if _, err := st.peek(); err != nil {
		return nil, err
	}
	// i is relative to off, which fill may move.
	depth, inString, escaped := 0, false, false
	first := st.buf[st.off]
	scalar := first != '{' && first != '[' && first != '"'
	for i := 0; ; {
		b := st.buf[st.off:]
		for ; i < len(b); i++ {
			c := b[i]
			switch {
			case inString:
				switch {
				case escaped:
					escaped = false
				case c == '\\':
					escaped = true
				case c == '"':
					inString = false
					if depth == 0 {
						return st.take(i + 1), nil
					}
				}
			case scalar:
				switch c {
				case ',', '}', ']', ' ', '\t', '\n', '\r':
					return st.take(i), nil
				}
			case c == '"':
				inString = true
			case c == '{' || c == '[':
				depth++
			case c == '}' || c == ']':
				depth--
				if depth == 0 {
					return st.take(i + 1), nil
				}
				if depth < 0 {
					return nil, errors.New("unbalanced brackets")
				}
			}
		}
		if err := st.fill(); err != nil {
			if scalar && errors.Is(err, io.ErrUnexpectedEOF) && i > 0 {
				return st.take(i), nil
			}
			return nil, err
		}
	}
}

func (st *stream) take(n int) []byte {
	v := st.buf[st.off : st.off+n]
	st.off += n
	return v
}

// span is a range of bytes, [start, end).
type span struct{ start, end int }

// decodeApp decodes one app of the list in one pass: the typed fields pacer
// reads, with raw as the app's JSON. The rest of the definition is
// validated only; DecodeObject decodes it when needed. tasks is the span of
// raw to cut to leave out the tasks member (with its comma) and still have
// a valid object; it is empty when there is none, or more than one.
func decodeApp(raw []byte) (App, span, error) {
	a, tasks, n, err := decodeAppPrefix(raw)
	if err == nil {
		s := scanner{data: raw, pos: n}
		if err = s.end(); err != nil {
			err = fmt.Errorf("decode app: %w", err)
		}
	}
	if err != nil {
		return App{}, span{}, err
	}
	a.Raw = raw
	return a, tasks, nil
}

// decodeAppPrefix is decodeApp of the app at the start of data, which may
// go on after it; n is the length of the app.
func decodeAppPrefix(data []byte) (a App, tasks span, n int, err error) {
	raw := data
	s := scanner{data: data}
	nTasks := 0
	err = s.object(func(key []byte) error {
		switch string(key) {
		case "id":
			return s.stringInto(&a.ID)
		case "instances":
			return s.intInto(&a.Instances)
		case "labels":
			return s.labels(&a.Labels)
		case "version":
			return s.stringInto(&a.Version)
		case "tasksStaged":
			return s.intInto(&a.TasksStaged)
		case "tasksRunning":
			return s.intInto(&a.TasksRunning)
		case "tasksHealthy":
			return s.intInto(&a.TasksHealthy)
		case "tasksUnhealthy":
			return s.intInto(&a.TasksUnhealthy)
		case "deployments":
			a.DeploymentIDs = nil
			return s.arrayOrNull(func() error {
				var id string
				err := s.objectOrNull(func(k []byte) error {
					if string(k) == "id" {
						return s.stringInto(&id)
					}
					return s.skip()
				})
				a.DeploymentIDs = append(a.DeploymentIDs, id)
				return err
			})
		case "residency":
			if null, err := s.null(); null || err != nil {
				return err
			}
			a.PersistentVolumes = true
			return s.skip()
		case "container":
			return s.containerVolumes(&a.PersistentVolumes)
		case "lastTaskFailure":
			return s.taskFailure(&a.LastTaskFailure)
		case "tasks":
			nTasks++
			start := s.keyStart
			err := s.tasks(&a.Tasks)
			tasks = memberSpan(raw, start, s.pos)
			return err
		default:
			return s.skip()
		}
	})
	if err != nil {
		return App{}, span{}, 0, fmt.Errorf("decode app: %w", err)
	}
	if nTasks != 1 {
		tasks = span{}
	}
	a.Raw = data[:s.pos]
	return a, tasks, s.pos, nil
}

// memberSpan widens the member of the object raw at [start, end) to a span
// whose removal leaves a valid object: with the comma before it, or for the
// first member, the comma after it.
func memberSpan(raw []byte, start, end int) span {
	i := start - 1
	for i >= 0 && isSpace(raw[i]) {
		i--
	}
	if i >= 0 && raw[i] == ',' {
		return span{i, end}
	}
	j := end
	for j < len(raw) && isSpace(raw[j]) {
		j++
	}
	if j < len(raw) && raw[j] == ',' {
		return span{start, j + 1}
	}
	return span{start, end}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// stringInto reads a string (or null, leaving *dst alone).
func (s *scanner) stringInto(dst *string) error {
	if null, err := s.null(); null || err != nil {
		return err
	}
	if s.peek() != '"' {
		return s.errorf("want a string")
	}
	v, err := s.stringValue()
	*dst = v
	return err
}

// intInto reads an integer (or null, leaving *dst alone).
func (s *scanner) intInto(dst *int) error {
	if null, err := s.null(); null || err != nil {
		return err
	}
	b, err := s.number()
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(string(b))
	if err != nil {
		return s.errorf("want an integer, got %s", b)
	}
	*dst = n
	return nil
}

// boolInto reads a boolean (or null, leaving *dst alone).
func (s *scanner) boolInto(dst *bool) error {
	switch s.peek() {
	case 't':
		*dst = true
		return s.literal("true")
	case 'f':
		*dst = false
		return s.literal("false")
	case 'n':
		return s.literal("null")
	}
	return s.errorf("want a boolean")
}

func (s *scanner) labels(dst *map[string]string) error {
	if null, err := s.null(); null || err != nil {
		return err
	}
	if *dst == nil {
		*dst = map[string]string{}
	}
	m := *dst
	return s.object(func(key []byte) error {
		var v string
		err := s.stringInto(&v)
		m[intern(key)] = v
		return err
	})
}

// containerVolumes sets *persistent when a volume of the container is.
func (s *scanner) containerVolumes(persistent *bool) error {
	return s.objectOrNull(func(key []byte) error {
		if string(key) != "volumes" {
			return s.skip()
		}
		return s.arrayOrNull(func() error {
			return s.objectOrNull(func(key []byte) error {
				if string(key) != "persistent" {
					return s.skip()
				}
				if null, err := s.null(); null || err != nil {
					return err
				}
				*persistent = true
				return s.skip()
			})
		})
	})
}

func (s *scanner) taskFailure(dst **TaskFailure) error {
	if null, err := s.null(); null || err != nil {
		*dst = nil
		return err
	}
	f := &TaskFailure{}
	*dst = f
	return s.object(func(key []byte) error {
		switch string(key) {
		case "taskId":
			return s.stringInto(&f.TaskID)
		case "state":
			return s.stringInto(&f.State)
		case "message":
			return s.stringInto(&f.Message)
		case "host":
			return s.stringInto(&f.Host)
		case "timestamp":
			return s.stringInto(&f.Timestamp)
		case "version":
			return s.stringInto(&f.Version)
		}
		return s.skip()
	})
}

func (s *scanner) tasks(dst *[]Task) error {
	*dst = nil
	if s.peek() == '[' {
		*dst = []Task{} // as encoding/json: [] is empty, not nil
	}
	return s.arrayOrNull(func() error {
		var t Task
		err := s.task(&t)
		*dst = append(*dst, t)
		return err
	})
}

func (s *scanner) task(t *Task) error {
	return s.objectOrNull(func(key []byte) error {
		switch string(key) {
		case "id":
			return s.stringInto(&t.ID)
		case "state":
			return s.stringInto(&t.State)
		case "host":
			return s.stringInto(&t.Host)
		case "version":
			return s.stringInto(&t.Version)
		case "startedAt":
			return s.stringInto(&t.StartedAt)
		case "ports":
			t.Ports = nil
			if s.peek() == '[' {
				t.Ports = []int{}
			}
			return s.arrayOrNull(func() error {
				var p int
				err := s.intInto(&p)
				t.Ports = append(t.Ports, p)
				return err
			})
		case "healthCheckResults":
			t.HealthCheckResults = nil
			if s.peek() == '[' {
				t.HealthCheckResults = []HealthCheckResult{}
			}
			return s.arrayOrNull(func() error {
				var r HealthCheckResult
				err := s.objectOrNull(func(k []byte) error {
					if string(k) == "alive" {
						return s.boolInto(&r.Alive)
					}
					return s.skip()
				})
				t.HealthCheckResults = append(t.HealthCheckResults, r)
				return err
			})
		}
		return s.skip()
	})
}
