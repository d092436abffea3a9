package reconciler

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"pacer.dev/pacer/internal/marathon"
)

// Action is what a plan does to one app.
type Action string

// Plan actions.
const (
	// ActionCreate creates an app that git has and Marathon has not.
	ActionCreate Action = "create"
	// ActionUpdate replaces the app definition (Marathon restarts its tasks).
	ActionUpdate Action = "update"
	// ActionScale changes only the instance count (no restart).
	ActionScale Action = "scale"
	// ActionDelete destroys a managed app that git no longer has (prune).
	ActionDelete Action = "delete"
	// ActionUnchanged means live already matches git.
	ActionUnchanged Action = "unchanged"
	// ActionSkip means pacer leaves the app alone; Reason says why.
	ActionSkip Action = "skip"
)

// DefaultMaxDeleteRatio is the prune guard's default share of managed apps
// that one pass may delete.
const DefaultMaxDeleteRatio = 0.25

// PlanOptions are the knobs of NewPlan.
type PlanOptions struct {
	// Prune deletes managed apps that are no longer in git.
	Prune bool
	// PruneGroups limits pruning to apps under these groups (e.g. the
	// environments whose sync policy prunes). Empty means every group.
	PruneGroups []string
	// MaxDeleteRatio refuses a pass that would delete more than this share
	// of the managed apps. 0 means DefaultMaxDeleteRatio; 1 disables the guard.
	MaxDeleteRatio float64
	// Adopt lets pacer update apps that exist in Marathon without the
	// ownership label (the write adds it). Off by default: such apps are
	// skipped and reported.
	Adopt bool
	// LoadBalancers, when set, are what the cluster's load balancers serve:
	// a desired app naming another realm or group gets a warning.
	LoadBalancers *LoadBalancers
	// Cache, when set, keeps the normalized desired apps between passes:
	// a caller planning again and again (the operator) holds one.
	Cache *PlanCache
	// Cluster is the cluster the pass is for. When set, a pass is refused
	// (ErrForeignCluster) if Marathon holds apps labelled for another
	// cluster (owner.go); it also keys the hashes of masked values.
	Cluster string
	// MaskSalt keys the hashes of masked env and secrets values in the
	// plan's changes (mask.go); "" means DefaultMaskSalt.
	MaskSalt string
	// Only, when not empty, limits the plan to these absolute app ids
	// (`reconcile --app`): other desired apps are not planned and other
	// live apps are neither listed nor deleted. The prune guard still
	// counts every managed app, so deleting one selected app of many passes.
	Only []string
}

// AppPlan is the plan for one app.
type AppPlan struct {
	// ID is the Marathon app id.
	ID string `json:"id"`
	// Action is what the plan does to the app.
	Action Action `json:"action"`
	// Source is the spec location the desired app comes from, if any.
	Source string `json:"source,omitempty"`
	// Reason explains a skip.
	Reason string `json:"reason,omitempty"`
	// Changes are the field differences of an update or scale, live → git.
	Changes []Change `json:"changes,omitempty"`
	// StopsExposing lists the load balancer groups and realms ("haproxy
	// group external", "nixy realm internal") through which the running
	// app is reachable now and would no longer be after the change.
	StopsExposing []string `json:"stopsExposing,omitempty"`

	definition  []byte   // body of PutApp for create and update
	created     []Change // a create's key fields, shown in text and markdown (create_attrs.go)
	scaleTo     int      // target of a scale
	deps        []string // absolute ids this app depends on
	keptBecause string   // a managed app not in git and not deleted: why
	deployments []string // deployments running on the app when planned
	locate      func(pointer string) string
	lbLabels    map[string]string // the desired app's load balancer labels
}

// Summary counts the apps per action.
type Summary struct {
	Create    int `json:"create"`
	Update    int `json:"update"`
	Scale     int `json:"scale"`
	Delete    int `json:"delete"`
	Unchanged int `json:"unchanged"`
	Skip      int `json:"skip"`
	// NotInGit counts the managed apps in Marathon that git no longer has
	// and that this plan does not delete (pruning off, protected, ...):
	// skipped, but git and Marathon disagree about them.
	NotInGit int `json:"notInGit,omitempty"`
}

// Plan is the outcome of comparing git with Marathon.
//
// Its JSON encoding (-o json) is a stable, versioned schema:
//
//	{
//	  "schema": "pacer.dev/plan/v1",
//	  "cluster": "ams", "revision": "3fb4278…", "marathon": "http://marathon-1.ams:8080",
//	  "selected": ["/services/autofill/production/app"],
//	  "apps": [ {"id": "/a", "action": "create|update|scale|delete|unchanged|skip",
//	             "source": "file:line", "reason": "why skipped",
//	             "changes": [ {"path": "env.LOG_LEVEL", "op": "add|remove|change",
//	                           "old": <live value>, "new": <git value>,
//	                           "masked": true} ],
//	             "stopsExposing": ["haproxy group external", "nixy realm internal"] } ],
//	  "summary": {"create": 0, "update": 0, "scale": 0, "delete": 0, "unchanged": 0, "skip": 0, "notInGit": 1},
//	  "warnings": ["..."],
//	  "refused": true
//	}
//
// refused is present (true) when the prune guard refuses the whole pass.
// summary.notInGit (left out when 0) counts the managed apps Marathon has and git no longer
// has that the plan does not delete (they are among the skipped ones).
// stopsExposing lists, for an update or scale of an app with running tasks,
// the load balancer groups and realms that serve it now and would not
// after the change. warnings include desired apps whose NIXY_REALM or
// HAPROXY_GROUP names nothing the cluster's load balancers serve.
//
// masked is present (true) when old and new are "(masked <hash>)"
// stand-ins: env and secrets values are never printed unless the app's
// ShowEnv lets a key through (mask.go).
//
// Apps are sorted by id; values are normalized JSON values. Fields are only
// ever added within v1.
type Plan struct {
	Schema string `json:"schema"`
	// Cluster, Revision and Marathon say what was planned: the cluster,
	// the git revision of the specs and the Marathon URL that answered
	// (never with user info). The caller sets them; they head the JSON and
	// markdown renderings and are left out when empty.
	Cluster  string `json:"cluster,omitempty"`
	Revision string `json:"revision,omitempty"`
	Marathon string `json:"marathon,omitempty"`
	// Selected are the apps the plan was limited to (PlanOptions.Only,
	// reconcile --app); absent when it covers every app.
	Selected []string  `json:"selected,omitempty"`
	Apps     []AppPlan `json:"apps"`
	Summary  Summary   `json:"summary"`
	Warnings []string  `json:"warnings,omitempty"`
	Refused  bool      `json:"refused,omitempty"`

	// refused is set when the prune guard refuses the pass.
	refused error
}

// ErrPruneGuard means a pass would delete more than the allowed share of
// managed apps; the whole pass is refused.
var ErrPruneGuard = errors.New("prune guard")

// Err returns why the plan must not be applied (nil when it may be): a
// tripped prune guard (ErrPruneGuard). Apply refuses such a plan.
func (p *Plan) Err() error { return p.refused }

// PlanSchema is the value of Plan.Schema.
const PlanSchema = "pacer.dev/plan/v1"

// HasChanges reports whether applying the plan would write to Marathon.
func (p *Plan) HasChanges() bool {
	s := p.Summary
	return s.Create+s.Update+s.Scale+s.Delete > 0
}

// InSync reports whether git and Marathon agree: nothing to write, and no
// managed app in Marathon that git no longer has (`--detailed-exitcode`
// exits 2 otherwise, even when pruning is off).
func (p *Plan) InSync() bool { return !p.HasChanges() && p.Summary.NotInGit == 0 }

// notInGitClause describes the managed apps git no longer has that the
// plan keeps, e.g. "1 app in Marathon is no longer in git (not deleted:
// pruning is off)"; "" when there are none.
func (p *Plan) notInGitClause() string {
	n := p.Summary.NotInGit
	if n == 0 {
		return ""
	}
	var why []string
	for _, a := range p.Apps {
		if a.keptBecause != "" && !slices.Contains(why, a.keptBecause) {
			why = append(why, a.keptBecause)
		}
	}
	verb := "is"
	if n != 1 {
		verb = "are"
	}
	return fmt.Sprintf("%s in Marathon %s no longer in git (not deleted: %s)", plural(n, "app"), verb, strings.Join(why, "; "))
}

// NewPlan compares desired with live. It fails, planning nothing, when any
// desired app is invalid: a broken spec tree must apply nothing.
func NewPlan(desired []DesiredApp, live []marathon.App, opts PlanOptions) (*Plan, error) {
	liveByID := make(map[string]*marathon.App, len(live))
	for i := range live {
		liveByID[canonicalID(live[i].ID)] = &live[i]
	}
	p := &Plan{Schema: PlanSchema, Apps: make([]AppPlan, 0, len(desired))}
	if len(opts.Only) > 0 {
		for id := range selection(opts.Only) {
			p.Selected = append(p.Selected, id)
		}
		sort.Strings(p.Selected)
	}
	seen := make(map[string]bool, len(desired))
	var errs []error
	todo := make([]int, 0, len(desired))
	only := selection(opts.Only)
	for i, d := range desired {
		id := canonicalID(d.ID)
		if seen[id] {
			errs = append(errs, fmt.Errorf("app %s: defined twice", id))
			continue
		}
		seen[id] = true
		if only != nil && !only[id] {
			continue // in git, so never an orphan, but not planned
		}
		todo = append(todo, i)
	}
	plans := make([]AppPlan, len(todo))
	perr := make([]error, len(todo))
	if opts.Cache != nil {
		opts.Cache.begin()
	}
	parallel(len(todo), func(k int) {
		d := desired[todo[k]]
		plans[k], perr[k] = planApp(d, liveByID[canonicalID(d.ID)], opts)
		m := newMasker(opts.MaskSalt, opts.Cluster, canonicalID(d.ID), d.ShowEnv)
		m.mask(plans[k].Changes)
		m.mask(plans[k].created)
	})
	if opts.Cache != nil {
		opts.Cache.end()
	}
	for k := range todo {
		if perr[k] != nil {
			errs = append(errs, perr[k])
			continue
		}
		p.Apps = append(p.Apps, plans[k])
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if err := checkOwnership(live, seen, opts.Cluster); err != nil {
		return nil, err
	}
	orphans, refused := planOrphans(live, seen, opts, &p.Warnings)
	p.Apps = append(p.Apps, orphans...)
	p.refused, p.Refused = refused, refused != nil
	sort.Slice(p.Apps, func(i, j int) bool { return p.Apps[i].ID < p.Apps[j].ID })
	for _, a := range p.Apps {
		p.Summary.add(a.Action)
		if a.keptBecause != "" {
			p.Summary.NotInGit++
		}
		p.Warnings = append(p.Warnings, unservedWarnings(a, opts.LoadBalancers)...)
	}
	return p, nil
}

// parallel runs f(0..n-1) on GOMAXPROCS goroutines: planning an app is
// independent of the others and CPU-bound (decode, normalize, diff).
func parallel(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				f(i)
			}
		})
	}
	wg.Wait()
}

func (s *Summary) add(a Action) {
	switch a {
	case ActionCreate:
		s.Create++
	case ActionUpdate:
		s.Update++
	case ActionScale:
		s.Scale++
	case ActionDelete:
		s.Delete++
	case ActionUnchanged:
		s.Unchanged++
	case ActionSkip:
		s.Skip++
	}
}

// planApp plans one desired app against its live counterpart (nil if none).
func planApp(d DesiredApp, live *marathon.App, opts PlanOptions) (AppPlan, error) {
	id := canonicalID(d.ID)
	for _, ptr := range d.IgnoreDifferences {
		if _, err := parsePointer(ptr); err != nil {
			return AppPlan{}, fmt.Errorf("app %s: ignoreDifferences: %w", id, err)
		}
	}
	ap := AppPlan{ID: id, Source: d.Source, locate: d.Locate}
	if live != nil && opts.Cache != nil && len(d.IgnoreDifferences) == 0 && (isManaged(live.Labels) || opts.Adopt) {
		// The common case of a long-running caller: compare digests, and
		// only build the diff when they differ.
		e, err := opts.Cache.lookup(id, d)
		if err != nil {
			return AppPlan{}, err
		}
		same, err := opts.Cache.sameAsLive(e, live.Raw)
		if err != nil {
			return AppPlan{}, fmt.Errorf("app %s: live definition: %w", id, err)
		}
		if same {
			ap.Action, ap.deps, ap.deployments, ap.lbLabels = ActionUnchanged, e.deps, live.DeploymentIDs, e.lb
			return ap, nil
		}
	}
	def, err := d.desiredDefinition()
	if err != nil {
		return AppPlan{}, err
	}
	ap.deps = dependencies(id, def)
	ap.lbLabels = lbLabelsOf(def)
	if live == nil {
		ap.Action = ActionCreate
		ap.created = createAttributes(def)
		ap.definition, err = json.Marshal(def)
		return ap, err
	}
	ap.deployments = live.DeploymentIDs
	if !isManaged(live.Labels) && !opts.Adopt {
		ap.Action = ActionSkip
		ap.Reason = "exists in Marathon but is not managed by pacer (no " + LabelManagedBy + "=" + ManagedByValue + " label)"
		return ap, nil
	}
	liveDef, err := decodeObject(live.Raw)
	if err != nil {
		return AppPlan{}, fmt.Errorf("app %s: live definition: %w", id, err)
	}
	// Ignored fields keep their live value, in the comparison and on writes.
	if err := ignore(def, liveDef, d.IgnoreDifferences); err != nil {
		return AppPlan{}, fmt.Errorf("app %s: %w", id, err)
	}
	nd := normalizeDesired(def)
	if len(d.IgnoreDifferences) > 0 {
		liveDef = deepCopy(liveDef).(map[string]any) // def shares the ignored values
	}
	nl := normalizeLiveInPlace(liveDef, hintsOf(def))
	ap.Changes = Diff(nl, nd)
	switch {
	case len(ap.Changes) == 0:
		ap.Action = ActionUnchanged
	case len(ap.Changes) == 1 && ap.Changes[0].Path == "instances":
		ap.Action = ActionScale
		n, _ := nd["instances"].(float64)
		ap.scaleTo = int(math.Round(n))
	default:
		ap.Action = ActionUpdate
		ap.definition, err = json.Marshal(def)
	}
	if ap.Action != ActionUnchanged {
		ap.StopsExposing = stopsExposing(nl, nd, live.TasksRunning > 0, opts.LoadBalancers)
	}
	return ap, err
}

// planOrphans plans the live apps git does not have: unmanaged apps are
// reported and left alone, managed ones are deleted when pruning allows it.
func planOrphans(live []marathon.App, desired map[string]bool, opts PlanOptions, warnings *[]string) ([]AppPlan, error) {
	var out, deletes []AppPlan
	managed := 0
	only := selection(opts.Only)
	for i := range live {
		l := &live[i]
		id := canonicalID(l.ID)
		if isManaged(l.Labels) {
			managed++
		}
		if desired[id] || (only != nil && !only[id]) {
			continue
		}
		ap := AppPlan{ID: id, Action: ActionSkip, Source: l.Labels[LabelSource], deployments: l.DeploymentIDs}
		raw, err := decodeObject(l.Raw)
		if err == nil {
			ap.deps = dependencies(id, raw)
		}
		switch {
		case !isManaged(l.Labels):
			ap.Reason = "unmanaged"
		case !opts.Prune:
			ap.Reason, ap.keptBecause = "not in git (pruning is off)", "pruning is off"
		case !inGroups(id, opts.PruneGroups):
			ap.Reason, ap.keptBecause = "not in git (outside the pruned groups)", "outside the pruned groups"
		case l.Labels[LabelProtect] == "true":
			ap.Reason, ap.keptBecause = "not in git, protected by "+LabelProtect+"=true", "protected by "+LabelProtect+"=true"
		case l.PersistentVolumes:
			ap.Reason, ap.keptBecause = "not in git, has persistent volumes", "has persistent volumes"
		default:
			ap.Action = ActionDelete
			deletes = append(deletes, ap)
			continue
		}
		out = append(out, ap)
	}
	ratio := opts.MaxDeleteRatio
	if ratio <= 0 {
		ratio = DefaultMaxDeleteRatio
	}
	var refused error
	if len(deletes) > 0 && float64(len(deletes)) > ratio*float64(managed) {
		refused = fmt.Errorf("%w: refusing to delete %d of %d managed apps (more than %g%%); nothing is applied in this pass (raise --max-delete-ratio if this is intended)",
			ErrPruneGuard, len(deletes), managed, ratio*100)
		*warnings = append(*warnings, refused.Error())
		for i := range deletes {
			deletes[i].Action = ActionSkip
			deletes[i].Reason = "not in git, delete refused by the prune guard"
			deletes[i].keptBecause = "refused by the prune guard"
		}
	}
	return append(out, deletes...), refused
}

// selection is the set of Only's canonical ids; nil means every app.
func selection(ids []string) map[string]bool {
	if len(ids) == 0 {
		return nil
	}
	m := make(map[string]bool, len(ids))
	for _, id := range ids {
		m[canonicalID(id)] = true
	}
	return m
}

func isManaged(labels map[string]string) bool { return labels[LabelManagedBy] == ManagedByValue }

func inGroups(id string, groups []string) bool {
	if len(groups) == 0 {
		return true
	}
	for _, g := range groups {
		g = strings.TrimSuffix(canonicalID(g), "/")
		if g == "" || g == "/" || strings.HasPrefix(id, g+"/") {
			return true
		}
	}
	return false
}
