package operator

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"pacer.dev/pacer/internal/marathon"
	"pacer.dev/pacer/reconciler"
)

// renameGuard extends the prune guard to a renamed service group. After a
// commit (typically a force-push) renames a group, its apps are outside
// every pruned group, so the reconciler plans no delete, only a create of
// each app under its new id: the cluster would run every app twice, the
// old copies left for a person to remove. When the creates that pair with
// such an orphan (same app name) are more than the prune guard's share of
// the managed apps, the whole pass is refused, as the prune guard refuses
// a mass delete, and the held creates say why. ratio is
// Options.MaxDeleteRatio (0: the reconciler's default, 1 disables).
func renameGuard(plan *reconciler.Plan, live []marathon.App, apps []AppStatus, ratio float64) error {
	if ratio <= 0 {
		ratio = reconciler.DefaultMaxDeleteRatio
	}
	if ratio >= 1 {
		return nil
	}
	managed := 0
	for _, l := range live {
		if l.Labels[reconciler.LabelManagedBy] == reconciler.ManagedByValue {
			managed++
		}
	}
	orphans := map[string][]string{} // app name → orphan ids
	for _, ap := range plan.Apps {
		if ap.Action == reconciler.ActionSkip && strings.HasPrefix(ap.Reason, "not in git (outside the pruned groups)") {
			orphans[path.Base(ap.ID)] = append(orphans[path.Base(ap.ID)], ap.ID)
		}
	}
	var pairs []string
	held := map[string]string{}
	for _, ap := range plan.Apps {
		if ap.Action != reconciler.ActionCreate {
			continue
		}
		if old := orphans[path.Base(ap.ID)]; len(old) > 0 {
			pairs = append(pairs, old[0]+" → "+ap.ID)
			held[ap.ID] = old[0]
		}
	}
	if len(pairs) == 0 || float64(len(pairs)) <= ratio*float64(managed) {
		return nil
	}
	sort.Strings(pairs)
	for i := range apps {
		if old, ok := held[apps[i].ID]; ok {
			apps[i].Message = "create refused by the prune guard: a renamed group? " + old + " would stay"
		}
	}
	eg := pairs[0]
	return fmt.Errorf("%w: refusing to create %d of %d managed apps again under new ids while the old ones stay outside the pruned groups (a renamed group? %s); nothing is applied in this pass (raise --max-delete-ratio if this is intended)",
		reconciler.ErrPruneGuard, len(pairs), managed, eg)
}
