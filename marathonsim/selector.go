package marathonsim

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// labelSelector is Marathon's label filter: "k", "k==v", "k!=v",
// "k in (a,b)", "k notin (a,b)", comma-separated, all must match.
type labelSelector []labelTerm

type labelTerm struct {
	key    string
	op     string // exists, in, notin
	values []string
}

func parseSelector(s string) (labelSelector, error) {
	var sel labelSelector
	s = strings.TrimSpace(s)
	for s != "" {
		var term string
		if i := strings.Index(s, "("); i >= 0 && (strings.Index(s, ",") < 0 || strings.Index(s, ",") > i) {
			j := strings.Index(s, ")")
			if j < 0 {
				return nil, errMsg(400, "Invalid label selector: %s", s)
			}
			term, s = s[:j+1], s[j+1:]
		} else if i := strings.Index(s, ","); i >= 0 {
			term, s = s[:i], s[i:]
		} else {
			term, s = s, ""
		}
		s = strings.TrimPrefix(strings.TrimSpace(s), ",")
		t, err := parseTerm(strings.TrimSpace(term))
		if err != nil {
			return nil, err
		}
		sel = append(sel, t)
	}
	return sel, nil
}

func parseTerm(t string) (labelTerm, error) {
	for _, op := range []string{"==", "!="} {
		if k, v, ok := strings.Cut(t, op); ok {
			o := "in"
			if op == "!=" {
				o = "notin"
			}
			return labelTerm{key: strings.TrimSpace(k), op: o, values: []string{strings.TrimSpace(v)}}, nil
		}
	}
	for _, op := range []string{" notin ", " in "} {
		if k, v, ok := strings.Cut(t, op); ok {
			v = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(v), "("), ")")
			var vals []string
			for _, x := range strings.Split(v, ",") {
				vals = append(vals, strings.TrimSpace(x))
			}
			return labelTerm{key: strings.TrimSpace(k), op: strings.TrimSpace(op), values: vals}, nil
		}
	}
	if t == "" || strings.ContainsAny(t, " ()=!") {
		return labelTerm{}, errMsg(400, "Invalid label selector: %s", t)
	}
	return labelTerm{key: t, op: "exists"}, nil
}

func (sel labelSelector) matches(labels map[string]string) bool {
	for _, t := range sel {
		v, ok := labels[t.key]
		switch t.op {
		case "exists":
			if !ok {
				return false
			}
		case "in":
			if !ok || !contains(t.values, v) {
				return false
			}
		case "notin":
			if ok && contains(t.values, v) {
				return false
			}
		}
	}
	return true
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// boolParam reads a boolean query parameter with a default.
func boolParam(r *http.Request, name string, def bool) bool {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return def
	}
	return b
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// rawBody returns the body and its top-level keys; it must be JSON.
func rawBody(r *http.Request) ([]byte, map[string]json.RawMessage, error) {
	data, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	if err != nil {
		return nil, nil, badRequest("read body: " + err.Error())
	}
	if len(data) == 0 {
		return nil, nil, &apiError{status: 400, body: map[string]any{"message": "Invalid JSON", "details": "No content to map due to end-of-input"}}
	}
	var probe any
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, nil, &apiError{status: 400, body: map[string]any{"message": "Invalid JSON", "details": err.Error()}}
	}
	keys := map[string]json.RawMessage{}
	_ = json.Unmarshal(data, &keys)
	return data, keys, nil
}
