package checks

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// State is a check result in the Nagios plugin contract: the exit code.
type State int

// The states, by exit code.
const (
	OK       State = 0
	Warning  State = 1
	Critical State = 2
	Unknown  State = 3
)

func (s State) String() string {
	switch s {
	case OK:
		return "OK"
	case Warning:
		return "WARNING"
	case Critical:
		return "CRITICAL"
	}
	return "UNKNOWN"
}

// MarshalText writes the state's name.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a state's name.
func (s *State) UnmarshalText(b []byte) error {
	for _, v := range []State{OK, Warning, Critical, Unknown} {
		if v.String() == string(b) {
			*s = v
			return nil
		}
	}
	return fmt.Errorf("unknown check state %q", b)
}

// worse orders states for aggregation: CRITICAL > WARNING > UNKNOWN > OK
// (Nagios' own order of badness for service states).
func worse(a, b State) State {
	rank := func(s State) int {
		switch s {
		case Critical:
			return 3
		case Warning:
			return 2
		case Unknown:
			return 1
		}
		return 0
	}
	if rank(b) > rank(a) {
		return b
	}
	return a
}

// StateOfExit maps a plugin's exit code to its state: 0-3 as the contract
// says, anything else UNKNOWN.
func StateOfExit(code int) State {
	if code >= 0 && code <= 3 {
		return State(code)
	}
	return Unknown
}

// Result is one run of a check.
type Result struct {
	State State `json:"state"`
	// Summary is the first line of the output without its perfdata.
	Summary string `json:"summary"`
	// Long is the rest of the output, without perfdata.
	Long     string        `json:"long,omitempty"`
	Perfdata []Perf        `json:"perfdata,omitempty"`
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"durationNanos"`
	// Skipped marks a run that could not judge its target for a reason
	// the app's own conditions report (the app is not in Marathon, has no
	// running task, Marathon is unreachable): the scheduler does not
	// record it, so a deployment or an outage does not flip the check to
	// UNKNOWN.
	Skipped bool `json:"-"`
}

// Perf is one perfdata item: 'label'=value[UOM];[warn];[crit];[min];[max].
// Warn and Crit are kept as written (they are Nagios ranges such as 10:20
// or @5); Min and Max are nil when absent.
type Perf struct {
	Label string   `json:"label"`
	Value float64  `json:"value"`
	UOM   string   `json:"uom,omitempty"`
	Warn  string   `json:"warn,omitempty"`
	Crit  string   `json:"crit,omitempty"`
	Min   *float64 `json:"min,omitempty"`
	Max   *float64 `json:"max,omitempty"`
}

// maxOutput is how much of a plugin's output is kept: 8 KiB, Nagios'
// MAX_PLUGIN_OUTPUT_LENGTH; a plugin printing more is cut there.
const maxOutput = 8 << 10

// ParseOutput reads a plugin's output (Nagios plugin API, "Plugin Output"):
// the first line is TEXT OUTPUT | OPTIONAL PERFDATA; following lines are
// long text, and everything after a | in them is more perfdata. Malformed
// perfdata items are dropped.
func ParseOutput(out string) (summary, long string, perf []Perf) {
	if len(out) > maxOutput {
		out = out[:maxOutput]
	}
	out = strings.TrimRight(out, "\n")
	first, rest, _ := strings.Cut(out, "\n")
	summary, p, _ := strings.Cut(first, "|")
	summary = strings.TrimSpace(summary)
	perf = ParsePerfdata(p)
	if rest != "" {
		text, more, ok := strings.Cut(rest, "|")
		long = strings.TrimRight(text, "\n ")
		if ok {
			perf = append(perf, ParsePerfdata(strings.ReplaceAll(more, "\n", " "))...)
		}
	}
	return summary, long, perf
}

// ParsePerfdata reads space-separated perfdata items; labels may be quoted
// with a single quote (and then contain spaces; a doubled quote inside
// stands for one).
func ParsePerfdata(s string) []Perf {
	var out []Perf
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		var label string
		if s[0] == '\'' {
			end := -1
			for i := 1; i < len(s); i++ {
				if s[i] == '\'' {
					if i+1 < len(s) && s[i+1] == '\'' {
						i++
						continue
					}
					end = i
					break
				}
			}
			if end < 0 || end+1 >= len(s) || s[end+1] != '=' {
				return out // unterminated quote: nothing further is readable
			}
			label = strings.ReplaceAll(s[1:end], "''", "'")
			s = s[end+2:]
		} else {
			eq := strings.IndexByte(s, '=')
			sp := strings.IndexByte(s, ' ')
			if eq < 0 || (sp >= 0 && sp < eq) {
				if sp < 0 {
					return out
				}
				s = s[sp:] // not an item; skip a word
				continue
			}
			label = s[:eq]
			s = s[eq+1:]
		}
		item := s
		if sp := strings.IndexByte(s, ' '); sp >= 0 {
			item, s = s[:sp], s[sp:]
		} else {
			s = ""
		}
		if p, ok := parseItem(label, item); ok {
			out = append(out, p)
		}
	}
	return out
}

func parseItem(label, item string) (Perf, bool) {
	fields := strings.Split(item, ";")
	num, uom := splitUOM(fields[0])
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || label == "" {
		return Perf{}, false
	}
	p := Perf{Label: label, Value: v, UOM: uom}
	if len(fields) > 1 {
		p.Warn = fields[1]
	}
	if len(fields) > 2 {
		p.Crit = fields[2]
	}
	if len(fields) > 3 {
		p.Min = parseOptional(fields[3])
	}
	if len(fields) > 4 {
		p.Max = parseOptional(fields[4])
	}
	return p, true
}

func splitUOM(s string) (num, uom string) {
	i := len(s)
	for i > 0 && !strings.ContainsRune("0123456789.", rune(s[i-1])) {
		i--
	}
	return s[:i], s[i:]
}

func parseOptional(s string) *float64 {
	if s == "" {
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil
	}
	return &v
}

// Line prints r as a Nagios plugin would: STATE: summary | perfdata.
func (r Result) Line() string {
	var b strings.Builder
	b.WriteString(r.State.String())
	b.WriteString(": ")
	b.WriteString(r.Summary)
	if len(r.Perfdata) > 0 {
		b.WriteString(" |")
		for _, p := range r.Perfdata {
			b.WriteByte(' ')
			b.WriteString(p.String())
		}
	}
	return b.String()
}

func (p Perf) String() string {
	label := p.Label
	if strings.ContainsAny(label, " '=") {
		label = "'" + strings.ReplaceAll(label, "'", "''") + "'"
	}
	opt := func(v *float64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'f', -1, 64)
	}
	s := label + "=" + strconv.FormatFloat(p.Value, 'f', -1, 64) + p.UOM + ";" + p.Warn + ";" + p.Crit + ";" + opt(p.Min) + ";" + opt(p.Max)
	return strings.TrimRight(s, ";")
}
