package specs

import (
	"path"

	"go.yaml.in/yaml/v3"
)

// planShape is spec.plan of a Cluster or a ServiceGroup: how plans print
// the apps.
func planShape(scope string) *shape {
	return object("How plans (pacer diff, the merge request artifact), the status API and alerts print the apps "+scope+".", map[string]*shape{
		"showEnv": arrayOf(str("An env key, or a pattern such as LOG_* (Go path.Match syntax).")).described(
			"Env keys whose values are safe to print. Every other env value is shown masked: added, changed or removed, " +
				"with a short salted hash (HMAC-SHA256, keyed by PACER_MASK_SALT), never the value. Marathon secrets are always masked."),
	})
}

// MarathonExpect is what a Cluster spec says its Marathon must report in
// /v2/info; pacer refuses to plan against a Marathon that reports something
// else. Empty fields are not checked.
type MarathonExpect struct {
	Name        string `json:"name,omitempty"`
	FrameworkID string `json:"frameworkId,omitempty"`
	ZK          string `json:"zk,omitempty"`
}

func expectShape() *shape {
	return object("What this cluster's Marathon reports in /v2/info; pacer reconcile, diff and run refuse a Marathon that reports something else (a wrong URL). Fields left out are not checked.", map[string]*shape{
		"name":        str("Marathon's framework name (marathon_config.framework_name, e.g. marathon)."),
		"frameworkId": str("Marathon's Mesos framework id (frameworkId)."),
		"zk":          str("Marathon's ZooKeeper state URL (zookeeper_config.zk, e.g. zk://zk-1.ams:2181/marathon)."),
	}).named("MarathonExpect")
}

func buildExpect(m map[string]any) *MarathonExpect {
	if m == nil {
		return nil
	}
	return &MarathonExpect{Name: asString(m["name"]), FrameworkID: asString(m["frameworkId"]), ZK: asString(m["zk"])}
}

// buildShowEnv reads spec.plan.showEnv under root, reporting malformed
// patterns where they are written.
func buildShowEnv(d *decoder, root *yaml.Node, spec map[string]any) []string {
	list := asStrings(asMap(spec["plan"])["showEnv"])
	if len(list) == 0 {
		return nil
	}
	n := at(root, "spec", "plan", "showEnv")
	for i, p := range list {
		if _, err := path.Match(p, ""); err != nil && d != nil {
			item := at(n, i)
			d.errs = append(d.errs, &Error{File: d.file, Line: item.Line, Col: item.Column, Field: "spec.plan.showEnv",
				Msg: "malformed pattern " + quote(p) + ": " + err.Error()})
		}
	}
	return list
}
