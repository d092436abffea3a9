package election

import (
	"fmt"

	"github.com/go-logr/logr"
)

// zkLogger sends the ZooKeeper client's own messages to logr at V(1).
type zkLogger struct{ log logr.Logger }

func (l zkLogger) Printf(format string, args ...any) {
	l.log.V(1).Info("ZooKeeper client", "detail", fmt.Sprintf(format, args...))
}
