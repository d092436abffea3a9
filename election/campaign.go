package election

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/go-logr/logr"
	"github.com/go-zookeeper/zk"
)

// nodePrefix names candidate znodes; ZooKeeper appends a 10-digit sequence.
const nodePrefix = "n_"

var (
	errNodeGone = errors.New("own election znode is gone")
	errResigned = errors.New("resigned leadership")
)

// campaign is one instance's part in the election over a connection's life.
type campaign struct {
	e         *Elector
	conn      *zk.Conn
	log       logr.Logger
	onElected func(context.Context)
	// node is the full path of our znode and session the session it
	// belongs to; a new session has no node yet.
	node    string
	session int64
}

// run creates this instance's znode if it has none in the current session,
// then leads or follows until the session is lost, ctx is done or an
// operation fails.
func (c *campaign) run(ctx context.Context) error {
	path := c.e.opts.Path
	if err := c.ensurePath(path); err != nil {
		return err
	}
	if err := c.ensureNode(path); err != nil {
		return err
	}
	for ctx.Err() == nil {
		gen := c.e.generation()
		children, _, err := c.conn.Children(path)
		if err != nil {
			return fmt.Errorf("list %s: %w", path, err)
		}
		queue := candidates(children)
		me := indexOf(queue, c.node[len(path)+1:])
		if me < 0 {
			c.node = ""
			return errNodeGone
		}
		leaderID := c.dataOf(path + "/" + queue[0])
		if me == 0 {
			if err := c.lead(ctx, gen); err != nil {
				return err
			}
			continue
		}
		if !c.e.setFollower(gen, leaderID, c.node) {
			continue
		}
		pred := path + "/" + queue[me-1]
		exists, _, watch, err := c.conn.ExistsW(pred)
		if err != nil {
			return fmt.Errorf("watch %s: %w", pred, err)
		}
		if !exists {
			continue
		}
		c.log.V(1).Info("Following", "node", c.node, "watching", pred, "leader", leaderID)
		select {
		case <-ctx.Done():
		case <-watch:
		case <-c.e.wake:
			if !c.e.hasSession() {
				return nil
			}
		}
	}
	return nil
}

func (c *campaign) ensurePath(path string) error {
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	cur := ""
	for _, p := range parts {
		cur += "/" + p
		_, err := c.conn.Create(cur, nil, 0, zk.WorldACL(zk.PermAll))
		if err != nil && !errors.Is(err, zk.ErrNodeExists) {
			return fmt.Errorf("create %s: %w", cur, err)
		}
	}
	return nil
}

func (c *campaign) ensureNode(path string) error {
	if c.node != "" && c.session == c.conn.SessionID() {
		return nil
	}
	node, err := c.conn.CreateProtectedEphemeralSequential(path+"/"+nodePrefix, []byte(c.e.opts.ID), zk.WorldACL(zk.PermAll))
	if err != nil {
		return fmt.Errorf("create candidate under %s: %w", path, err)
	}
	// Read the session after the create: if it expired in between, the
	// node is gone, the next round does not find it and creates another.
	c.node, c.session = node, c.conn.SessionID()
	c.log.V(1).Info("Joined election", "node", node)
	return nil
}

// dataOf reads a candidate's ID; best effort, for Status only.
func (c *campaign) dataOf(node string) string {
	b, _, err := c.conn.Get(node)
	if err != nil {
		return ""
	}
	return string(b)
}

// lead runs one leader term. It returns nil when the term ended because the
// session was lost or ctx is done, or after resigning.
func (c *campaign) lead(ctx context.Context, gen uint64) error {
	// Watch our own znode: deleted under us means no longer leader.
	exists, _, watch, err := c.conn.ExistsW(c.node)
	if err != nil {
		return fmt.Errorf("watch %s: %w", c.node, err)
	}
	if !exists {
		c.node = ""
		return errNodeGone
	}
	term, cancel := context.WithCancel(ctx)
	defer cancel()
	if !c.e.beginTerm(gen, cancel, c.node) {
		return nil // the session changed since the children were read
	}
	c.log.Info("Elected leader", "node", c.node)
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.onElected(term)
	}()
	resigned := false
	select {
	case <-done:
		resigned = term.Err() == nil
	case <-term.Done():
	case <-watch:
		cancel()
	}
	cancel()
	<-done
	c.e.endLeaderTerm()
	c.log.Info("Leader term ended", "node", c.node, "resigned", resigned, "session", c.e.hasSession())
	if resigned {
		if err := c.conn.Delete(c.node, -1); err != nil && !errors.Is(err, zk.ErrNoNode) {
			return fmt.Errorf("resign %s: %w", c.node, err)
		}
		c.node = ""
		return errResigned
	}
	return nil
}

// candidates sorts candidate znode names by their sequence number.
func candidates(children []string) []string {
	type cand struct {
		name string
		seq  int64
	}
	var cs []cand
	for _, ch := range children {
		if len(ch) < 10 {
			continue
		}
		seq, err := strconv.ParseInt(ch[len(ch)-10:], 10, 64)
		if err != nil || !strings.Contains(ch, nodePrefix) {
			continue
		}
		cs = append(cs, cand{ch, seq})
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].seq < cs[j].seq })
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.name
	}
	return out
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}
