package specs

import (
	"time"

	"go.yaml.in/yaml/v3"
)

// buildChecks reads spec.checks, already checked against checkShape; it
// reports what the shape cannot say (durations, thresholds, one kind) where
// it is written.
func buildChecks(d *decoder, root *yaml.Node, v map[string]any) []*CheckSpec {
	checksNode := at(root, "spec", "checks")
	var out []*CheckSpec
	for _, name := range sortedKeys(v) {
		m := asMap(v[name])
		if m == nil {
			continue
		}
		c := &CheckSpec{
			Name:    name,
			Tip:     asString(m["tip"]),
			Runbook: asString(m["runbook"]),
			Source:  sourceOf(d.file, lookupKey(checksNode, name)),
			node:    lookup(checksNode, name),
		}
		cb := checkBuilder{d: d, node: c.node, field: "spec.checks." + name}
		c.Settings = CheckSettings{
			Enabled:  true,
			Page:     true,
			Interval: cb.duration(m, DefaultCheckInterval, "interval"),
			For:      intOr(m["for"], 1),
			ClearFor: intOr(m["clearFor"], 1),
		}
		var kinds []string
		for _, k := range CheckKinds() {
			if _, ok := m[k]; ok {
				kinds = append(kinds, k)
			}
		}
		switch len(kinds) {
		case 0:
			cb.errorAt(c.node, cb.field, "a check needs exactly one of exec, http, tcp or prometheus")
		case 1:
			c.Kind = kinds[0]
		default:
			cb.errorAt(lookupKey(c.node, kinds[1]), cb.field, "a check has exactly one of exec, http, tcp or prometheus, got %s and %s", kinds[0], kinds[1])
		}
		switch c.Kind {
		case CheckExec:
			c.Exec = cb.exec(asMap(m[CheckExec]))
		case CheckHTTP, CheckTCP:
			c.Probe = cb.probe(c.Kind, asMap(m[c.Kind]))
		case CheckPrometheus:
			c.Query = cb.query(asMap(m[CheckPrometheus]))
		}
		c.Overrides = cb.overrides(asMap(m["environments"]))
		out = append(out, c)
	}
	return out
}

type checkBuilder struct {
	d     *decoder
	node  *yaml.Node // the check's mapping
	field string
}

func (b checkBuilder) errorAt(n *yaml.Node, field, format string, args ...any) {
	if n == nil {
		n = b.node
	}
	b.d.errorAt(n, fieldPath{key: field}, format, args...)
}

// duration reads m[key] (at keys under the check) as a positive duration.
func (b checkBuilder) duration(m map[string]any, def time.Duration, keys ...string) time.Duration {
	key := keys[len(keys)-1]
	s, ok := m[key].(string)
	if !ok {
		return def
	}
	path := make([]any, len(keys))
	field := b.field
	for i, k := range keys {
		path[i] = k
		field += "." + k
	}
	dur, err := time.ParseDuration(s)
	if err != nil || dur <= 0 {
		b.errorAt(at(b.node, path...), field, "must be a positive duration such as 30s or 5m, got %s", quote(s))
		return def
	}
	return dur
}

func intOr(v any, def int) int {
	if n, ok := v.(int64); ok {
		return int(n)
	}
	return def
}

func (b checkBuilder) exec(m map[string]any) *ExecCheck {
	tasks := asString(m["tasks"])
	if tasks == "" {
		tasks = TasksOne
	}
	return &ExecCheck{
		App:     asString(m["app"]),
		Command: asStrings(m["command"]),
		Timeout: b.duration(m, DefaultExecTimeout, CheckExec, "timeout"),
		Tasks:   tasks,
	}
}

func (b checkBuilder) probe(kind string, m map[string]any) *Probe {
	p := &Probe{
		App:       asString(m["app"]),
		PortIndex: intOr(m["portIndex"], 0),
		PortName:  asString(m["portName"]),
		Timeout:   b.duration(m, DefaultProbeTimeout, kind, "timeout"),
	}
	if _, both := m["portIndex"]; both && p.PortName != "" {
		b.errorAt(at(b.node, kind, "portName"), b.field+"."+kind+".portName", "set portIndex or portName, not both")
	}
	failing := asMap(m["failing"])
	p.Warning = b.threshold(failing, kind, "warning", defaultWarnFailing)
	p.Critical = b.threshold(failing, kind, "critical", defaultCritFailing)
	if kind == CheckHTTP {
		p.URL = asString(m["url"])
		field := b.field + ".http"
		switch {
		case p.URL == "" && p.App == "" && has(b.node, kind):
			b.errorAt(at(b.node, kind), field, "an http check needs app (probe its tasks) or url")
		case p.URL != "" && p.App != "":
			b.errorAt(at(b.node, kind, "url"), field+".url", "set app or url, not both")
		case p.URL != "":
			if pr := urlProblem(p.URL); pr != "" {
				b.errorAt(at(b.node, kind, "url"), field+".url", "%s", pr)
			}
			for _, k := range []string{"portIndex", "portName", "path", "scheme"} {
				if _, ok := m[k]; ok {
					b.errorAt(at(b.node, kind, k), field+"."+k, "%s has no effect with url; write it into the url", k)
				}
			}
		}
		p.Scheme = asString(m["scheme"])
		if p.Scheme == "" {
			p.Scheme = "http"
		}
		p.Path = asString(m["path"])
		if p.Path == "" {
			p.Path = "/"
		} else if p.Path[0] != '/' {
			b.errorAt(at(b.node, kind, "path"), b.field+"."+kind+".path", "must start with /, got %s", quote(p.Path))
		}
		expect := asMap(m["expect"])
		for _, s := range asSlice(expect["status"]) {
			p.ExpectStatus = append(p.ExpectStatus, intOr(s, 0))
		}
		p.ExpectBody = asString(expect["body"])
	}
	return p
}

func (b checkBuilder) threshold(failing map[string]any, kind, key, def string) Threshold {
	s, ok := failing[key].(string)
	if !ok {
		s = def
	}
	t, err := ParseThreshold(s)
	if err != nil {
		b.errorAt(at(b.node, kind, "failing", key), b.field+"."+kind+".failing."+key, "%v", err)
	}
	return t
}

func (b checkBuilder) query(m map[string]any) *PrometheusQuery {
	q := &PrometheusQuery{
		URL:     asString(m["url"]),
		Query:   asString(m["query"]),
		Below:   asBool(m["below"]),
		NoData:  asString(m["noData"]),
		Timeout: b.duration(m, DefaultQueryTimeout, CheckPrometheus, "timeout"),
	}
	if q.NoData == "" {
		q.NoData = NoDataUnknown
	}
	if w, ok := m["warning"].(float64); ok {
		q.Warning = &w
	}
	if c, ok := m["critical"].(float64); ok {
		q.Critical = &c
	}
	if q.URL != "" {
		if p := urlProblem(q.URL); p != "" {
			b.errorAt(at(b.node, CheckPrometheus, "url"), b.field+".prometheus.url", "%s", p)
		}
	}
	if q.Warning == nil && q.Critical == nil && has(b.node, CheckPrometheus) {
		b.errorAt(at(b.node, CheckPrometheus), b.field+".prometheus", "a prometheus check needs warning, critical or both")
	}
	if q.Warning != nil && q.Critical != nil && (!q.Below && *q.Warning > *q.Critical || q.Below && *q.Warning < *q.Critical) {
		b.errorAt(at(b.node, CheckPrometheus, "warning"), b.field+".prometheus.warning", "the warning threshold must come before the critical one (warning %s, critical %s, below: %t)",
			formatNum(*q.Warning), formatNum(*q.Critical), q.Below)
	}
	return q
}

func (b checkBuilder) overrides(envs map[string]any) map[string]CheckOverride {
	if len(envs) == 0 {
		return nil
	}
	out := make(map[string]CheckOverride, len(envs))
	for _, env := range sortedKeys(envs) {
		m := asMap(envs[env])
		var o CheckOverride
		if v, ok := m["enabled"].(bool); ok {
			o.Enabled = &v
		}
		if v, ok := m["page"].(bool); ok {
			o.Page = &v
		}
		if _, ok := m["interval"].(string); ok {
			d := b.duration(m, 0, "environments", env, "interval")
			if d > 0 {
				o.Interval = &d
			}
		}
		if v, ok := m["for"].(int64); ok {
			n := int(v)
			o.For = &n
		}
		if v, ok := m["clearFor"].(int64); ok {
			n := int(v)
			o.ClearFor = &n
		}
		out[env] = o
	}
	return out
}
