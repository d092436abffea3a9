package alerting

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
)

// ErrNoRoutingKey means no routing key is configured for an incident: its
// environment names none that resolves and there is no default key.
var ErrNoRoutingKey = errors.New("no PagerDuty routing key configured")

// KeyRef says where a routing key comes from (mirrors specs.SecretRef).
// The zero value refers to the default key. It holds no secret and may be
// logged.
type KeyRef struct {
	FromEnv  string `json:"fromEnv,omitempty"`
	FromFile string `json:"fromFile,omitempty"`
}

// String names the reference for logs: env:NAME, file:PATH or default.
func (r KeyRef) String() string {
	switch {
	case r.FromEnv != "":
		return "env:" + r.FromEnv
	case r.FromFile != "":
		return "file:" + r.FromFile
	}
	return "default"
}

// RoutingKey is a PagerDuty integration (routing) key. It redacts itself
// when printed, logged or marshalled; only the PagerDuty sender reads it
// through Reveal.
type RoutingKey struct{ v string }

const redacted = "[redacted]"

// Reveal returns the secret.
func (k RoutingKey) Reveal() string { return k.v }

// String redacts the key.
func (k RoutingKey) String() string { return redacted }

// GoString redacts the key in %#v.
func (k RoutingKey) GoString() string { return redacted }

// MarshalJSON redacts the key.
func (k RoutingKey) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalLog redacts the key for logr.
func (k RoutingKey) MarshalLog() any { return redacted }

// Fingerprint identifies the key in logs and metrics without revealing it:
// "key-" and the first 8 hex digits of its SHA-256.
func (k RoutingKey) Fingerprint() string {
	sum := sha256.Sum256([]byte(k.v))
	return "key-" + hex.EncodeToString(sum[:4])
}

// KeyResolver reads routing keys from environment variables and files.
// Getenv and ReadFile default to the os functions.
type KeyResolver struct {
	// DefaultFile holds the key used when a reference is the default one or
	// does not resolve (--pagerduty-routing-key-file). Empty: no default.
	DefaultFile string
	Getenv      func(string) string
	ReadFile    func(string) ([]byte, error)
}

// Resolve returns the key ref points to. When ref is set but does not
// resolve (unset variable, unreadable or empty file), it falls back to the
// default key and reports the problem alongside as fallbackErr so the caller
// can warn; err is ErrNoRoutingKey (wrapped) when there is no key at all.
func (r KeyResolver) Resolve(ref KeyRef) (key RoutingKey, fallbackErr, err error) {
	if ref != (KeyRef{}) {
		k, ferr := r.read(ref)
		if ferr == nil {
			return k, nil, nil
		}
		fallbackErr = ferr
	}
	if r.DefaultFile == "" {
		return RoutingKey{}, fallbackErr, fmt.Errorf("routing key %s: %w", ref, ErrNoRoutingKey)
	}
	k, derr := r.read(KeyRef{FromFile: r.DefaultFile})
	if derr != nil {
		return RoutingKey{}, fallbackErr, fmt.Errorf("default routing key: %w: %w", derr, ErrNoRoutingKey)
	}
	return k, fallbackErr, nil
}

// Configured reports whether any key can be resolved: the default key or
// one of refs. cmd uses it to pick LogNotifier and warn at start.
func (r KeyResolver) Configured(refs ...KeyRef) bool {
	for _, ref := range append([]KeyRef{{}}, refs...) {
		if _, _, err := r.Resolve(ref); err == nil {
			return true
		}
	}
	return false
}

func (r KeyResolver) read(ref KeyRef) (RoutingKey, error) {
	var v string
	switch {
	case ref.FromEnv != "":
		getenv := r.Getenv
		if getenv == nil {
			getenv = os.Getenv
		}
		v = getenv(ref.FromEnv)
	case ref.FromFile != "":
		readFile := r.ReadFile
		if readFile == nil {
			readFile = os.ReadFile
		}
		b, err := readFile(ref.FromFile)
		if err != nil {
			return RoutingKey{}, fmt.Errorf("read routing key %s: %w", ref, err)
		}
		v = string(b)
	}
	v = strings.TrimSpace(v)
	if v == "" {
		return RoutingKey{}, fmt.Errorf("routing key %s is empty", ref)
	}
	return RoutingKey{v: v}, nil
}
