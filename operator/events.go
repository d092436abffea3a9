package operator

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/go-logr/logr"
)

// EventTypes are the Marathon events that can reveal drift or a change of
// health of a managed app; subscribe with this filter.
var EventTypes = []string{
	"api_post_event",
	"app_terminated_event",
	"deployment_success",
	"deployment_failed",
	"deployment_info",
	"group_change_success",
	"health_status_changed_event",
	"status_update_event",
}

// managedSet is what the event goroutine checks events against: the ids of
// desired and live managed apps, and the groups pacer prunes in.
type managedSet struct {
	ids    map[string]bool
	groups []string
}

func (m *managedSet) touches(ids []string) bool {
	for _, id := range ids {
		if m.ids[id] {
			return true
		}
		for _, g := range m.groups {
			if strings.HasPrefix(id, g+"/") {
				return true
			}
		}
	}
	return false
}

// followEvents enqueues a pass for every event that touches a managed app
// and after every gap in the stream (events may have been missed).
func (o *Operator) followEvents(ctx context.Context) {
	log := logr.FromContextOrDiscard(ctx).WithName("events")
	err := o.opts.Events.Stream(ctx, func(ev Event) {
		if ev.Gap {
			o.opts.Metrics.event("gap")
			o.enqueue()
			return
		}
		o.opts.Metrics.event(ev.Type)
		ids, ok := eventApps(ev.Data)
		if !ok || o.managed.Load().touches(ids) {
			o.enqueue()
		}
	})
	if err != nil && ctx.Err() == nil {
		log.Error(err, "Marathon event stream ended; only interval passes remain")
	}
}

// eventApps returns the app ids an event names; ok is false when it names
// none, so the caller cannot rule it out.
func eventApps(data json.RawMessage) (ids []string, ok bool) {
	type actions struct {
		Actions []struct {
			App string `json:"app"`
		} `json:"actions"`
	}
	var ev struct {
		AppID         string `json:"appId"`
		AppDefinition *struct {
			ID string `json:"id"`
		} `json:"appDefinition"`
		Plan *struct {
			AffectedApps []string  `json:"affectedApps"`
			Steps        []actions `json:"steps"`
		} `json:"plan"`
		CurrentStep *actions `json:"currentStep"`
	}
	if json.Unmarshal(data, &ev) != nil {
		return nil, false
	}
	add := func(id string) {
		if id != "" {
			ids = append(ids, "/"+strings.TrimPrefix(id, "/"))
		}
	}
	add(ev.AppID)
	if ev.AppDefinition != nil {
		add(ev.AppDefinition.ID)
	}
	if ev.Plan != nil {
		for _, id := range ev.Plan.AffectedApps {
			add(id)
		}
		for _, s := range ev.Plan.Steps {
			for _, a := range s.Actions {
				add(a.App)
			}
		}
	}
	if ev.CurrentStep != nil {
		for _, a := range ev.CurrentStep.Actions {
			add(a.App)
		}
	}
	return ids, len(ids) > 0
}
