package lb

import (
	"net"
	"strconv"
)

// Protocol says how a Backend is served.
type Protocol string

const (
	// ProtocolHTTP backends are served as HTTP virtual hosts on the HTTP listener
	// (nginx server_name, HAProxy vhost ACLs). HAProxy also serves them on their
	// service port when they have one.
	ProtocolHTTP Protocol = "http"
	// ProtocolTCP backends are proxied at layer 4 on their service port
	// (nginx stream {} block, HAProxy mode tcp).
	ProtocolTCP Protocol = "tcp"
	// ProtocolUDP backends are proxied as datagrams on their service port
	// (nginx stream {} block only; HAProxy has no UDP proxy).
	ProtocolUDP Protocol = "udp"
)

// Backend is one load-balanced service: one port of one Marathon app. It is
// the data model renderers and user templates work on; its JSON form is what
// `pacer lb --print-data` shows.
type Backend struct {
	// Name is unique among backends and safe to use as an nginx upstream or
	// HAProxy backend name: the app id without the leading slash, slashes
	// replaced by "_", then "_" and the port index ("/web/api" port 0 → "web_api_0").
	Name string `json:"name"`
	// AppID is the Marathon app id ("/services/autofill/production/app").
	AppID string `json:"appId"`
	// PortIndex is the index of the app port this backend serves.
	PortIndex int `json:"portIndex"`
	// Protocol is http, tcp or udp.
	Protocol Protocol `json:"protocol"`
	// Hosts are the virtual host names (HTTP backends), sorted. nginx also
	// accepts "h.*" for each name without a wildcard, as nixy does.
	Hosts []string `json:"hosts,omitempty"`
	// Paths are HAProxy path prefixes (HAPROXY_{n}_PATH); empty means any path.
	Paths []string `json:"paths,omitempty"`
	// ServicePort is where TCP/UDP backends (and HAProxy per-port frontends)
	// listen; 0 means none.
	ServicePort int `json:"servicePort,omitempty"`
	// BindAddr is the address the service port listens on
	// (HAPROXY_{n}_BIND_ADDR; "*" for all addresses); empty means the LB's
	// --bind.
	BindAddr string `json:"bindAddr,omitempty"`
	// Balance is the HAProxy balance algorithm (HAPROXY_{n}_BALANCE, default roundrobin).
	Balance string `json:"balance,omitempty"`
	// Servers are the serving tasks, sorted by address. Empty means the app has
	// no serving task: renderers answer 503 (HTTP) or close the connection (TCP),
	// they never write an empty upstream.
	Servers []Server `json:"servers"`
	// Labels are the app's Marathon labels, for custom templates.
	Labels map[string]string `json:"labels,omitempty"`
}

// Server is one serving task behind a Backend.
type Server struct {
	TaskID string `json:"taskId"`
	// Host is the agent host name or the task's IP address (IP-per-task apps).
	Host string `json:"host"`
	Port int    `json:"port"`
}

// Address is host:port, with brackets for IPv6 hosts.
func (s Server) Address() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// Stream reports whether the backend is proxied at layer 4 (tcp or udp).
func (b Backend) Stream() bool { return b.Protocol == ProtocolTCP || b.Protocol == ProtocolUDP }

// ProblemKind classifies a Problem.
type ProblemKind string

const (
	// ProblemSkipped: the app, or one of its ports, is left out of the config.
	ProblemSkipped ProblemKind = "skipped"
	// ProblemDuplicateHost: a host (and path set) is claimed by more than one
	// backend; the first backend in name order keeps it.
	ProblemDuplicateHost ProblemKind = "duplicate-host"
	// ProblemDuplicatePort: a service port is claimed by more than one
	// backend; the first backend in name order keeps it.
	ProblemDuplicatePort ProblemKind = "duplicate-port"
)

// Problem is something about an app that the operator should fix. Problems
// never stop the other apps from being served.
type Problem struct {
	Kind  ProblemKind `json:"kind"`
	AppID string      `json:"appId"`
	// PortIndex is the port concerned, -1 for the whole app.
	PortIndex int    `json:"portIndex"`
	Reason    string `json:"reason"`
	// KeptBy is the backend that keeps a duplicate host or port.
	KeptBy string `json:"keptBy,omitempty"`
}

// Selection is the result of Backends.
type Selection struct {
	Backends []Backend `json:"backends"`
	Problems []Problem `json:"problems,omitempty"`
}
