package marathon

import (
	"fmt"
	"strconv"
)

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
			return s.deploymentIDs(&a.DeploymentIDs)
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

// deploymentIDs reads the ids of a list of deployments.
func (s *scanner) deploymentIDs(dst *[]string) error {
	*dst = nil
	return s.arrayOrNull(func() error {
		var id string
		err := s.objectOrNull(func(k []byte) error {
			if string(k) == "id" {
				return s.stringInto(&id)
			}
			return s.skip()
		})
		*dst = append(*dst, id)
		return err
	})
}

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
