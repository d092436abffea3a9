package operator

import (
	"encoding/json"
	"strings"

	"pacer.dev/pacer/internal/marathon"
	"pacer.dev/pacer/reconciler"
	"pacer.dev/pacer/specs"
	"pacer.dev/pacer/status"
)

// pageFacts caches what the status page shows of each app beyond its
// counts, so a pass at 10,000 apps decodes a spec only when its revision
// changes, and hands the page one LiveDefinition per Marathon version
// (masked when the page first shows it, at most once). Owned by the Run
// goroutine.
type pageFacts struct {
	rev   string
	specs map[string]status.SpecFacts
	live  map[string]liveEntry
}

type liveEntry struct {
	version, show string
	def           *status.LiveDefinition
}

// addTo sets a's Wanted, Links, Exposure and Live definition.
func (f *pageFacts) addTo(a *AppStatus, rev string, spec *specs.App, live *marathon.App, salt, cluster string) {
	if f.specs == nil || f.rev != rev {
		f.rev, f.specs = rev, map[string]status.SpecFacts{}
	}
	if f.live == nil {
		f.live = map[string]liveEntry{}
	}
	var show []string
	if spec != nil {
		sf, ok := f.specs[a.ID]
		if !ok {
			sf = status.FactsOf(spec.Definition)
			f.specs[a.ID] = sf
		}
		wanted := sf.Wanted
		a.Wanted, a.Links, a.Exposure = &wanted, sf.Links, sf.Exposure
		show = spec.ShowEnv
	}
	if live == nil {
		delete(f.live, a.ID)
		return
	}
	key := strings.Join(show, "\x00")
	if c, ok := f.live[a.ID]; ok && c.version == live.Version && c.show == key && live.Version != "" {
		a.Live = c.def
		return
	}
	id := a.ID
	def := status.NewLiveDefinition(live.Raw, func(raw json.RawMessage) (json.RawMessage, error) {
		return reconciler.MaskDefinition(salt, cluster, id, show, raw)
	})
	f.live[a.ID] = liveEntry{version: live.Version, show: key, def: def}
	a.Live = def
}

// forget drops the apps gone from Marathon and git.
func (f *pageFacts) forget(keep func(id string) bool) {
	for id := range f.live {
		if !keep(id) {
			delete(f.live, id)
		}
	}
}
