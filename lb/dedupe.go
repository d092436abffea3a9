package lb

import (
	"fmt"
	"strconv"
	"strings"
)

// dedupe resolves hosts and service ports claimed by more than one backend:
// the first backend in name order keeps the claim, the others lose it and a
// Problem says so (nixy logs and drops duplicates; nginx would warn and
// ignore one, HAProxy would split traffic between two listeners). A backend
// left with nothing to serve on is dropped. backends must be sorted by name.
func dedupe(backends []Backend, probs []Problem) ([]Backend, []Problem) {
	hostOwner := make(map[string]string)
	portOwner := make(map[string]string)
	out := backends[:0]
	for _, b := range backends {
		if len(b.Hosts) > 0 {
			paths := strings.Join(b.Paths, " ")
			kept := b.Hosts[:0:0]
			for _, h := range b.Hosts {
				key := h + "|" + paths
				if owner, ok := hostOwner[key]; ok {
					probs = append(probs, Problem{
						Kind: ProblemDuplicateHost, AppID: b.AppID, PortIndex: b.PortIndex, KeptBy: owner,
						Reason: fmt.Sprintf("host %s%s is already served by %s", h, pathSuffix(paths), owner),
					})
					continue
				}
				hostOwner[key] = b.Name
				kept = append(kept, h)
			}
			b.Hosts = kept
			if len(kept) == 0 && b.ServicePort == 0 {
				continue
			}
		}
		if b.ServicePort > 0 {
			family := "tcp"
			if b.Protocol == ProtocolUDP {
				family = "udp"
			}
			key := family + "/" + strconv.Itoa(b.ServicePort)
			if owner, ok := portOwner[key]; ok {
				probs = append(probs, Problem{
					Kind: ProblemDuplicatePort, AppID: b.AppID, PortIndex: b.PortIndex, KeptBy: owner,
					Reason: fmt.Sprintf("service port %s is already served by %s", key, owner),
				})
				b.ServicePort = 0
				if len(b.Hosts) == 0 {
					continue
				}
			} else {
				portOwner[key] = b.Name
			}
		}
		out = append(out, b)
	}
	return out, probs
}

func pathSuffix(paths string) string {
	if paths == "" {
		return ""
	}
	return " (paths " + paths + ")"
}
