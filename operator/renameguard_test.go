package operator

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"pacer.dev/pacer/internal/marathon"
	"pacer.dev/pacer/reconciler"
)

// TestRenameGuard: creates that pair with orphans of a renamed group are
// refused past the prune guard's share; unrelated creates, a removed
// group, or a disabled guard pass.
func TestRenameGuard(t *testing.T) {
	managed := map[string]string{reconciler.LabelManagedBy: reconciler.ManagedByValue}
	orphan := func(id string) reconciler.AppPlan {
		return reconciler.AppPlan{ID: id, Action: reconciler.ActionSkip, Reason: "not in git (outside the pruned groups)"}
	}
	create := func(id string) reconciler.AppPlan { return reconciler.AppPlan{ID: id, Action: reconciler.ActionCreate} }
	live := func(ids ...string) []marathon.App {
		var out []marathon.App
		for _, id := range ids {
			out = append(out, marathon.App{ID: id, Labels: managed})
		}
		return out
	}
	shop := []string{"/s/shop/p/cart", "/s/shop/p/search", "/s/shop/p/catalog", "/s/shop/p/checkout"}
	for _, tc := range []struct {
		name    string
		plan    []reconciler.AppPlan
		live    []marathon.App
		ratio   float64
		wantErr string
	}{
		{name: "every app renamed", plan: []reconciler.AppPlan{orphan(shop[0]), orphan(shop[1]), orphan(shop[2]), orphan(shop[3]),
			create("/s/store/p/cart"), create("/s/store/p/search"), create("/s/store/p/catalog"), create("/s/store/p/checkout")},
			live: live(shop...), wantErr: "refusing to create 4 of 4 managed apps again under new ids"},
		{name: "a group removed, an unrelated app created", plan: []reconciler.AppPlan{orphan(shop[0]), orphan(shop[1]), orphan(shop[2]), orphan(shop[3]),
			create("/s/other/p/web")}, live: live(shop...)},
		{name: "one app of eight moved", plan: []reconciler.AppPlan{orphan(shop[0]), create("/s/store/p/cart")},
			live: live(append(shop, "/a/1", "/a/2", "/a/3", "/a/4")...)},
		{name: "guard disabled", plan: []reconciler.AppPlan{orphan(shop[0]), create("/s/store/p/cart")}, live: live(shop[0]), ratio: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var apps []AppStatus
			for _, ap := range tc.plan {
				apps = append(apps, AppStatus{ID: ap.ID})
			}
			err := renameGuard(&reconciler.Plan{Apps: tc.plan}, tc.live, apps, tc.ratio)
			if fmt.Sprint(err) == "<nil>" != (tc.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("err %v, want %q", err, tc.wantErr)
			}
			if err != nil {
				if !errors.Is(err, reconciler.ErrPruneGuard) {
					t.Errorf("%v is not ErrPruneGuard", err)
				}
				if !strings.Contains(apps[4].Message, "/s/shop/p/cart would stay") {
					t.Errorf("held create says %q", apps[4].Message)
				}
			}
		})
	}
}
