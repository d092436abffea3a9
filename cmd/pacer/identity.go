package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/go-logr/logr"
	"github.com/go-zookeeper/zk"

	"pacer.dev/pacer/election"
	"pacer.dev/pacer/internal/marathon"
	"pacer.dev/pacer/operator"
	"pacer.dev/pacer/reconciler"
	"pacer.dev/pacer/specs"
)

// maskSaltEnv keys the hashes that stand in for env and secrets values in
// plans, the status API and alerts (reconciler.DefaultMaskSalt when unset).
const maskSaltEnv = "PACER_MASK_SALT"

// identityFile is where pacer run keeps, in --state-dir (without --zk),
// the identity of the Marathon it converged.
const identityFile = "marathon-identity.json"

// checkSpecIdentity compares the /v2/info of client with the Cluster spec's
// spec.marathon.expect; nothing is read when the spec expects nothing.
func checkSpecIdentity(ctx context.Context, client *marathon.Client, cluster *specs.Cluster) (reconciler.Identity, error) {
	if cluster.Expect == nil {
		return reconciler.Identity{}, nil
	}
	info, err := client.Info(ctx)
	if err != nil {
		return reconciler.Identity{}, fmt.Errorf("check the identity of %s (spec.marathon.expect): %w", client.URL(), err)
	}
	got := reconciler.IdentityOf(info)
	want := reconciler.Identity{Name: cluster.Expect.Name, FrameworkID: cluster.Expect.FrameworkID, ZK: cluster.Expect.ZK}
	return got, reconciler.CheckIdentity(cluster.Name, got, want, fmt.Sprintf("spec.marathon.expect of Cluster %s (%s)", cluster.Name, cluster.Source))
}

// savedIdentity is the identity file's content.
type savedIdentity struct {
	Cluster  string              `json:"cluster"`
	URL      string              `json:"url"`
	Identity reconciler.Identity `json:"identity"`
}

// identityStore keeps the identity of the Marathon pacer run converged:
// a file in --state-dir or, with --zk, a znode next to the election.
type identityStore interface {
	// load returns ok false when nothing was recorded yet.
	load(ctx context.Context) (s savedIdentity, ok bool, err error)
	save(ctx context.Context, s savedIdentity) error
	// where names it in messages.
	where() string
}

// newIdentityStore picks where pacer run records the Marathon's identity:
// ZooKeeper with --zk (every instance of the cluster sees it), else
// --state-dir, else nowhere (nil). close releases it.
func newIdentityStore(o *runOptions, cluster string, log logr.Logger) (identityStore, func(), error) {
	if servers := election.ParseServers(o.zk); len(servers) > 0 {
		base := o.zkPath
		if base == "" {
			base = "/pacer/" + cluster
		}
		s, err := newZKStore(servers, path.Join(base, "marathon-identity"), o.zkSessionTimeout, log)
		if err != nil {
			return nil, nil, err
		}
		return zkIdentity{s}, s.close, nil
	}
	if o.alerting.stateDir != "" {
		return fileIdentity{dir: o.alerting.stateDir}, func() {}, nil
	}
	return nil, func() {}, nil
}

// checkRunIdentity runs at the start of pacer run: it compares Marathon's
// /v2/info with the Cluster spec's expectations (spec may be nil when the
// specs could not be read yet) and with what store recorded before (store
// may be nil), recording it on first sight. A Marathon or a store that
// cannot be read is only logged: pacer cannot write to that Marathon (or,
// without ZooKeeper, lead) either, and every pass still refuses apps
// labelled for another cluster.
func checkRunIdentity(ctx context.Context, client *marathon.Client, cluster string, spec *specs.Cluster, store identityStore) error {
	log := logr.FromContextOrDiscard(ctx)
	if (spec == nil || spec.Expect == nil) && store == nil {
		return nil
	}
	info, err := client.Info(ctx)
	if err != nil {
		log.Error(err, "Cannot check the Marathon's identity at start", "url", client.URL())
		return nil
	}
	got := reconciler.IdentityOf(info)
	if spec != nil {
		if _, err := checkSpecIdentity(ctx, client, spec); err != nil {
			return fmt.Errorf("run: %w", err)
		}
	}
	if store == nil {
		return nil
	}
	now := savedIdentity{Cluster: cluster, URL: client.URL(), Identity: got}
	seen, ok, err := store.load(ctx)
	if err != nil {
		// Unreadable ZooKeeper: no instance can lead (and write) either.
		log.Error(err, "Cannot compare the Marathon's identity with the recorded one", "where", store.where())
		return nil
	}
	if !ok {
		return store.save(ctx, now)
	}
	if seen.Cluster != cluster {
		return fmt.Errorf("run: %w: %s belongs to cluster %s, not %s; give each cluster its own",
			reconciler.ErrWrongMarathon, store.where(), seen.Cluster, cluster)
	}
	from := fmt.Sprintf("what pacer saw at %s before (%s; delete it if this Marathon was rebuilt on purpose)", seen.URL, store.where())
	if err := reconciler.CheckIdentity(cluster, got, seen.Identity, from); err != nil {
		return fmt.Errorf("run: %w", err)
	}
	if seen.Identity != got {
		// A field Marathon did not report before (e.g. the framework id
		// before registration) is learnt.
		return store.save(ctx, now)
	}
	return nil
}

// fileIdentity is identityFile in --state-dir.
type fileIdentity struct{ dir string }

func (f fileIdentity) where() string { return filepath.Join(f.dir, identityFile) }

func (f fileIdentity) load(context.Context) (savedIdentity, bool, error) {
	data, err := os.ReadFile(f.where())
	if errors.Is(err, fs.ErrNotExist) {
		return savedIdentity{}, false, nil
	}
	if err != nil {
		return savedIdentity{}, false, fmt.Errorf("read %s: %w", f.where(), err)
	}
	var s savedIdentity
	if err := json.Unmarshal(data, &s); err != nil {
		return savedIdentity{}, false, fmt.Errorf("read %s: %w", f.where(), err)
	}
	return s, true, nil
}

func (f fileIdentity) save(_ context.Context, s savedIdentity) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp := f.where() + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("run: record the Marathon's identity: %w", err)
	}
	if err := os.Rename(tmp, f.where()); err != nil {
		return fmt.Errorf("run: record the Marathon's identity: %w", err)
	}
	return nil
}

// zkIdentity is the znode <zk-path>/marathon-identity.
type zkIdentity struct{ s *zkStore }

func (z zkIdentity) where() string { return "zookeeper " + z.s.path }

func (z zkIdentity) load(ctx context.Context) (savedIdentity, bool, error) {
	var data []byte
	err := election.Within(ctx, func() error {
		var err error
		data, _, err = z.s.conn.Get(z.s.path)
		return err
	})
	if errors.Is(err, zk.ErrNoNode) {
		return savedIdentity{}, false, nil
	}
	if err != nil {
		return savedIdentity{}, false, fmt.Errorf("read %s: %w", z.where(), err)
	}
	var s savedIdentity
	if err := json.Unmarshal(data, &s); err != nil {
		return savedIdentity{}, false, fmt.Errorf("read %s: %w", z.where(), err)
	}
	return s, true, nil
}

func (z zkIdentity) save(ctx context.Context, s savedIdentity) error {
	data, err := json.Marshal(s)
	if err != nil {
		return err
	}
	err = election.Within(ctx, func() error {
		_, err := z.s.conn.Set(z.s.path, data, -1)
		if !errors.Is(err, zk.ErrNoNode) {
			return err
		}
		if err := z.s.ensureParents(); err != nil {
			return err
		}
		_, err = z.s.conn.Create(z.s.path, data, 0, zk.WorldACL(zk.PermAll))
		if errors.Is(err, zk.ErrNodeExists) {
			return nil // the other instance recorded it first; the next start compares
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("run: record the Marathon's identity in %s: %w", z.where(), err)
	}
	return nil
}

// clusterSpec reads the Cluster spec of cluster from the newest revision.
func clusterSpec(ctx context.Context, src operator.Source, cluster string) (*specs.Cluster, error) {
	rev, err := src.Sync(ctx)
	if rev.FS == nil {
		return nil, fmt.Errorf("no spec revision to read cluster %s from: %w", cluster, err)
	}
	set, err := specs.Load(rev.FS)
	if set == nil {
		return nil, fmt.Errorf("read specs of revision %s: %w", rev.ID, err)
	}
	for _, c := range set.Clusters {
		if c.Name == cluster {
			return c, nil
		}
	}
	return nil, fmt.Errorf("cluster %q is not defined in revision %s", cluster, rev.ID)
}
