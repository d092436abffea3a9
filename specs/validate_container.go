package specs

import (
	"slices"
	"strings"
)

// Marathon 1.4.13's rules on containers, volumes and resident apps (see
// validate_marathon.go for the conventions).

func (v *validator) containerRules(c appCtx, m map[string]any) {
	container := asMap(m["container"])
	v.volumeRules(c, container)
	docker := asMap(container["docker"])
	if docker == nil {
		return
	}
	if img, ok := docker["image"].(string); ok && strings.TrimSpace(img) == "" {
		// Container.scala:73, 144
		v.report(c, []any{"container", "docker", "image"}, "container.docker.image must not be empty")
	}
	switch asString(container["type"]) {
	case "MESOS":
		// Formats.scala:383-388
		for _, f := range []string{"portMappings", "network", "parameters", "credential"} {
			if _, ok := docker[f]; ok {
				v.report(c, []any{"container", "docker", f}, "the Mesos containerizer (container.type MESOS) does not support container.docker.%s", f)
			}
		}
	default: // DOCKER, Marathon's default type (Formats.scala:372)
		if _, ok := docker["credential"]; ok {
			// Formats.scala:382
			v.report(c, []any{"container", "docker", "credential"}, "the Docker containerizer does not support container.docker.credential; use container.type MESOS")
		}
		if g, ok := m["gpus"].(int64); ok && g > 0 {
			// AppDefinition.scala:593-601
			v.report(c, []any{"gpus"}, "GPU resources only work with the Mesos containerizer (container.type MESOS)")
		}
	}
}

func (v *validator) volumeRules(c appCtx, container map[string]any) {
	vols, _ := container["volumes"].([]any)
	for i, raw := range vols {
		vol := asMap(raw)
		keys := []any{"container", "volumes", i}
		if p, ok := vol["containerPath"].(string); ok && p == "" {
			v.report(c, append(keys, "containerPath"), "volume containerPath must not be empty")
		}
		pers := asMap(vol["persistent"])
		if pers == nil {
			if _, ok := vol["external"]; !ok {
				if hp, _ := vol["hostPath"].(string); hp == "" {
					// Volume.scala:112-116
					v.report(c, keys, "a Docker volume needs a hostPath (or persistent or external)")
				}
			}
			continue
		}
		// Volume.scala:240-286
		if p := asString(vol["containerPath"]); strings.Contains(p, "/") || p == "." || p == ".." {
			v.report(c, append(keys, "containerPath"), "a persistent volume's containerPath is a name relative to the sandbox, without \"/\", got %q", p)
		}
		if mode := asString(vol["mode"]); mode != "" && mode != "RW" {
			v.report(c, append(keys, "mode"), "a persistent volume's mode must be RW, got %q", mode)
		}
		if size, ok := pers["size"].(int64); ok && size <= 0 {
			v.report(c, append(keys, "persistent", "size"), "a persistent volume's size must be greater than 0 MiB")
		}
		for j, raw := range asSlice(pers["constraints"]) {
			v.volumeConstraint(c, append(slices.Clone(keys), "persistent", "constraints", j), asStrings(raw), asString(pers["type"]))
		}
		if maxSize, ok := pers["maxSize"].(int64); ok {
			if t := asString(pers["type"]); t != "mount" {
				v.report(c, append(keys, "persistent", "maxSize"), "only mount volumes can have maxSize (type is %q)", cmpOr(t, "root"))
			} else if size, _ := pers["size"].(int64); maxSize <= size {
				v.report(c, append(keys, "persistent", "maxSize"), "maxSize %d must be larger than size %d", maxSize, size)
			}
		}
	}
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// persistentVolumes reports whether the app has persistent volumes, which
// make it resident (AppDefinition.isResident).
func persistentVolumes(m map[string]any) bool {
	vols, _ := asMap(m["container"])["volumes"].([]any)
	for _, raw := range vols {
		if asMap(raw)["persistent"] != nil {
			return true
		}
	}
	return false
}

func (v *validator) residencyRules(c appCtx, m map[string]any) {
	resident := persistentVolumes(m)
	if m["residency"] != nil && !resident {
		// AppDefinition.scala:543-546 (residency is defaulted when
		// persistent volumes exist, Formats.scala:1029-1031)
		v.report(c, []any{"residency"}, "residency needs persistent volumes (container.volumes[].persistent)")
	}
	if !resident {
		return
	}
	if roles := asStrings(m["acceptedResourceRoles"]); m["acceptedResourceRoles"] != nil && !slices.Equal(roles, []string{"*"}) {
		// ResourceRole.scala:19-21
		v.report(c, []any{"acceptedResourceRoles"}, `an app with persistent volumes must have acceptedResourceRoles ["*"]`)
	}
	if us, ok := m["unreachableStrategy"]; ok && us != "disabled" {
		// AppDefinition.scala:666-672
		v.report(c, []any{"unreachableStrategy"}, `an app with persistent volumes needs unreachableStrategy "disabled"`)
	}
	if moc, ok := asMap(m["upgradeStrategy"])["maximumOverCapacity"].(float64); ok && moc != 0 {
		// UpgradeStrategy.scala:30-33, AppDefinition.scala:590
		v.report(c, []any{"upgradeStrategy", "maximumOverCapacity"}, "an app with persistent volumes needs upgradeStrategy.maximumOverCapacity 0, got %s", formatNum(moc))
	}
}

// volumeConstraint checks a persistent volume's constraint
// (state/Volume.scala:210-247): only [path, LIKE|UNLIKE, regex], and none on
// root volumes.
func (v *validator) volumeConstraint(c appCtx, keys []any, parts []string, diskType string) {
	switch {
	case diskType == "" || diskType == "root":
		v.report(c, keys, "constraints on root volumes are not supported (persistent.type is root)")
	case len(parts) < 2 || len(parts) > 3:
		v.report(c, keys, "a volume constraint is [path, LIKE or UNLIKE, regex], got %d element(s)", len(parts))
	case parts[0] != "path":
		v.report(c, keys, "a volume constraint's field must be path, got %q", parts[0])
	case parts[1] != "LIKE" && parts[1] != "UNLIKE":
		v.report(c, keys, "a volume constraint's operator must be LIKE or UNLIKE, got %q", parts[1])
	case len(parts) == 2:
		v.report(c, keys, "%s needs a regular expression value", parts[1])
	default:
		if p := regexProblem(parts[2]); p != "" {
			v.report(c, keys, "%s value %q is not a valid regular expression: %s", parts[1], parts[2], p)
		}
	}
}
