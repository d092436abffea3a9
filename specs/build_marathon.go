package specs

import (
	"time"

	"go.yaml.in/yaml/v3"
)

// buildMarathonAccess reads spec.marathon.timeout, basicAuth and token,
// reporting a bad duration or a reference that names no or both sources
// where it is written.
func buildMarathonAccess(d *decoder, n *yaml.Node, v map[string]any) MarathonAccess {
	var a MarathonAccess
	if raw, ok := v["timeout"]; ok {
		vn := lookup(n, "timeout")
		dur, err := time.ParseDuration(asString(raw))
		if err != nil || dur <= 0 {
			d.errs = append(d.errs, &Error{File: d.file, Line: vn.Line, Col: vn.Column, Field: "spec.marathon.timeout",
				Msg: "must be a positive duration such as 30s or 1m, got " + quote(vn.Value)})
		}
		a.Timeout = max(dur, 0)
	}
	a.BasicAuth = buildMarathonSecret(d, n, v, "basicAuth")
	a.Token = buildMarathonSecret(d, n, v, "token")
	if a.BasicAuth != (SecretRef{}) && a.Token != (SecretRef{}) {
		tn := lookupKey(n, "token")
		d.errs = append(d.errs, &Error{File: d.file, Line: tn.Line, Col: tn.Column, Field: "spec.marathon.token",
			Msg: "set basicAuth or token, not both"})
	}
	return a
}

func buildMarathonSecret(d *decoder, n *yaml.Node, v map[string]any, key string) SecretRef {
	m, ok := v[key].(map[string]any)
	if !ok {
		return SecretRef{}
	}
	ref := SecretRef{FromEnv: asString(m["fromEnv"]), FromFile: asString(m["fromFile"])}
	field := "spec.marathon." + key
	rn := lookup(n, key)
	switch {
	case (ref.FromEnv == "") == (ref.FromFile == ""):
		d.errs = append(d.errs, &Error{File: d.file, Line: rn.Line, Col: rn.Column, Field: field, Msg: "set exactly one of fromEnv or fromFile"})
		return SecretRef{}
	case ref.FromEnv != "" && !envVarRE.MatchString(ref.FromEnv):
		en := lookup(rn, "fromEnv")
		d.errs = append(d.errs, &Error{File: d.file, Line: en.Line, Col: en.Column, Field: field + ".fromEnv",
			Msg: "must be an environment variable name, got " + quote(ref.FromEnv)})
		return SecretRef{}
	}
	return ref
}
