package lb

import (
	"hash/fnv"
	"net"
	"strconv"
)

// structure is what the validator has vouched for in a config: everything
// the renderer writes except the server lines. Two backend lists with the
// same structure render to configs that differ only in `server` lines.
type structure struct {
	key   uint64
	hosts map[string]bool // server host names seen in the validated config
}

// dynamicNginx is the options of an nginx renderer with dynamic upstreams
// (nil otherwise): whether a backend is a dynamic upstream, and the shared
// dict's size, are structure.
func structureOf(backends []Backend, slotted bool, dynamicNginx *RenderOptions) structure {
	h := fnv.New64a()
	write := func(s string) {
		_, _ = h.Write([]byte(s))
		_, _ = h.Write([]byte{0})
	}
	st := structure{hosts: map[string]bool{}}
	for _, b := range backends {
		write(b.Name)
		write(b.AppID)
		write(strconv.Itoa(b.PortIndex))
		write(string(b.Protocol))
		for _, x := range b.Hosts {
			write(x)
		}
		write("|")
		for _, x := range b.Paths {
			write(x)
		}
		write("|")
		write(strconv.Itoa(b.ServicePort))
		write(b.BindAddr)
		write(b.Balance)
		if slotted {
			write(strconv.Itoa(slotCapacity(len(b.Servers))))
		} else {
			// An empty server list renders as a 503 server or a closing
			// listener, not as an upstream: that is structure.
			write(strconv.FormatBool(len(b.Servers) > 0))
		}
		if dynamicNginx != nil {
			write(strconv.FormatBool(dynamicUpstream(*dynamicNginx, b)))
		}
		for _, s := range b.Servers {
			if net.ParseIP(s.Host) == nil {
				st.hosts[s.Host] = true
			}
		}
	}
	if dynamicNginx != nil {
		write(strconv.Itoa(nginxDictSize(*dynamicNginx, backends)))
	}
	st.key = h.Sum64()
	return st
}

// serverOnlyChange reports whether next can skip the validator because the
// config in place (validated, with structure prev) differs from it only in
// server lines that cannot make the config invalid: same structure, ports in
// range, and every host an IP literal or a name the validator already
// resolved (nginx resolves upstream names when it loads the config, so a
// new name can fail where an address cannot). Server names are sanitized
// and deduplicated by the renderers.
func serverOnlyChange(prev *structure, next structure, backends []Backend) bool {
	if prev == nil || prev.key != next.key {
		return false
	}
	for _, b := range backends {
		for _, s := range b.Servers {
			if s.Port < 1 || s.Port > 65535 {
				return false
			}
			if net.ParseIP(s.Host) == nil && !prev.hosts[s.Host] {
				return false
			}
		}
	}
	return true
}
