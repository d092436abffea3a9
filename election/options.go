package election

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"time"
)

// Defaults for Options.
const (
	// DefaultSessionTimeout is Marathon's own ZooKeeper session timeout. The
	// client gives up a silent connection after 2/3 of it.
	DefaultSessionTimeout = 10 * time.Second
	// DefaultRetryInterval is the wait after a failed ZooKeeper operation.
	DefaultRetryInterval = time.Second
)

// ErrInvalidOptions marks a configuration error.
var ErrInvalidOptions = errors.New("invalid election options")

// Options configure an Elector.
type Options struct {
	// Servers are ZooKeeper host:port addresses. None means a single
	// instance that is always leader.
	Servers []string
	// Path is the election znode, /pacer/<cluster>; it is created if missing.
	Path string
	// ID is this instance's name (host:port), stored in its znode so that
	// followers can report who leads.
	ID string
	// SessionTimeout asks the server for this session timeout (the server
	// clamps it to 2..20 ticks by default). DefaultSessionTimeout when zero.
	SessionTimeout time.Duration
	// RetryInterval is the wait after a failed ZooKeeper operation.
	// DefaultRetryInterval when zero.
	RetryInterval time.Duration
	// Now is the clock for Status.Since. time.Now when nil.
	Now func() time.Time
}

// ParseServers splits a --zk flag value ("a:2181,b:2181") into addresses.
func ParseServers(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func (o Options) withDefaults() (Options, error) {
	if o.SessionTimeout == 0 {
		o.SessionTimeout = DefaultSessionTimeout
	}
	if o.RetryInterval == 0 {
		o.RetryInterval = DefaultRetryInterval
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if len(o.Servers) == 0 {
		return o, nil
	}
	if o.Path == "" || !strings.HasPrefix(o.Path, "/") || path.Clean(o.Path) != o.Path || o.Path == "/" {
		return o, fmt.Errorf("%w: zk path %q must be an absolute znode path like /pacer/<cluster>", ErrInvalidOptions, o.Path)
	}
	if o.SessionTimeout < 0 || o.RetryInterval < 0 {
		return o, fmt.Errorf("%w: negative timeout", ErrInvalidOptions)
	}
	return o, nil
}
