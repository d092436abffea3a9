package marathon

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
)

// DecodeObject decodes a JSON object as encoding/json does into a
// map[string]any with UseNumber (numbers become json.Number, so that a
// definition re-encoded for writing keeps them exactly), in one pass and
// several times faster. The values of the top-level keys for which skip
// returns true are validated but not built (skip may be nil).
func DecodeObject(data []byte, skip func(key string) bool) (map[string]any, error) {
	s := scanner{data: data}
	if s.peek() != '{' {
		return nil, errors.New("not a JSON object")
	}
	// About one member per 48 bytes in app definitions: sized so that the
	// map rarely grows, nor is much larger than needed.
	m := make(map[string]any, min(max(len(data)/48, 8), 48))
	err := s.object(func(key []byte) error {
		if skip != nil && skip(string(key)) {
			return s.skip()
		}
		v, err := s.value()
		m[intern(key)] = v
		return err
	})
	if err == nil {
		err = s.end()
	}
	if err != nil {
		return nil, err
	}
	return m, nil
}

// DigestObject returns the SHA-256 of the members of the JSON object data
// whose keys skip does not match (skip may be nil), as they are written:
// keys, values and their order. Objects with equal digests decode alike
// with DecodeObject(data, skip), so a caller can keep what it derived from
// one decoding and skip decoding the same definition again. data is
// validated as DecodeObject does.
func DigestObject(data []byte, skip func(key string) bool) ([sha256.Size]byte, error) {
	var sum [sha256.Size]byte
	s := scanner{data: data}
	if s.peek() != '{' {
		return sum, errors.New("not a JSON object")
	}
	h := sha256.New()
	var n [4]byte
	err := s.object(func(key []byte) error {
		start := s.pos
		if err := s.skip(); err != nil {
			return err
		}
		if skip != nil && skip(string(key)) {
			return nil
		}
		// Length-prefixed, so that no two member lists hash the same bytes.
		binary.BigEndian.PutUint32(n[:], uint32(len(key)))
		h.Write(n[:])
		h.Write(key)
		binary.BigEndian.PutUint32(n[:], uint32(s.pos-start))
		h.Write(n[:])
		h.Write(data[start:s.pos])
		return nil
	})
	if err == nil {
		err = s.end()
	}
	if err != nil {
		return sum, err
	}
	h.Sum(sum[:0])
	return sum, nil
}

// interned are the keys and values that recur in every app definition:
// decoding them yields one shared string instead of an allocation each.
var interned = func() map[string]string {
	m := map[string]string{}
	for _, s := range []string{
		"id", "cmd", "args", "user", "env", "instances", "cpus", "mem", "disk", "gpus",
		"executor", "constraints", "uris", "fetch", "uri", "extract", "executable", "cache",
		"outputFile", "storeUrls", "ports", "portDefinitions", "port", "protocol", "name",
		"labels", "requirePorts", "backoffSeconds", "backoffFactor", "maxLaunchDelaySeconds",
		"container", "type", "docker", "image", "network", "portMappings", "containerPort",
		"hostPort", "servicePort", "privileged", "parameters", "key", "value", "forcePullImage",
		"volumes", "containerPath", "hostPath", "mode", "persistent", "external", "size",
		"healthChecks", "path", "portIndex", "gracePeriodSeconds", "intervalSeconds",
		"timeoutSeconds", "maxConsecutiveFailures", "delaySeconds", "ignoreHttp1xx", "command",
		"readinessChecks", "dependencies", "upgradeStrategy", "minimumHealthCapacity",
		"maximumOverCapacity", "unreachableStrategy", "inactiveAfterSeconds",
		"expungeAfterSeconds", "killSelection", "acceptedResourceRoles", "ipAddress",
		"residency", "secrets", "taskKillGracePeriodSeconds", "versionInfo", "version",
		"storeUrls",
		"tcp", "udp", "tcp,udp", "http", "https", "HTTP", "HTTPS", "TCP", "COMMAND",
		"MESOS_HTTP", "MESOS_HTTPS", "MESOS_TCP", "DOCKER", "MESOS", "BRIDGE", "HOST", "USER",
		"hostname", "UNIQUE", "CLUSTER", "GROUP_BY", "LIKE", "UNLIKE", "MAX_PER",
		"YOUNGEST_FIRST", "OLDEST_FIRST", "RW", "RO", "/", "/health", "default",
		"0", "1", "2", "0.0", "0.5", "1.0", "1.15", "3600",
	} {
		m[s] = s
	}
	return m
}()

// intern returns b as a string, shared when it is a common one.
func intern(b []byte) string {
	if s, ok := interned[string(b)]; ok {
		return s
	}
	return string(b)
}
