package operator

import (
	"strings"

	"pacer.dev/pacer/internal/marathon"
	"pacer.dev/pacer/reconciler"
	"pacer.dev/pacer/specs"
	"pacer.dev/pacer/status"
)

// pageFacts caches what the status page shows of each app beyond its
// counts, so a pass at 10,000 apps decodes a spec only when its revision
// changes and masks a live definition only when its version changes.
// Owned by the Run goroutine.
type pageFacts struct {
	rev   string
	specs map[string]status.SpecFacts
	live  map[string]maskedLive
}

type maskedLive struct {
	version, show string
	def           []byte
	checks        bool
}

// addTo sets a's Wanted, Links, Exposure, HealthChecks and masked Live
// definition.
func (f *pageFacts) addTo(a *AppStatus, rev string, spec *specs.App, live *marathon.App, salt, cluster string) {
	if f.specs == nil || f.rev != rev {
		f.rev, f.specs = rev, map[string]status.SpecFacts{}
	}
	if f.live == nil {
		f.live = map[string]maskedLive{}
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
		a.Live, a.HealthChecks = c.def, c.checks
		return
	}
	def, err := reconciler.MaskDefinition(salt, cluster, a.ID, show, live.Raw)
	if err != nil {
		return // Marathon's JSON decoded once already; the page says the definition is unavailable
	}
	checks := status.HasHealthChecks(live.Raw)
	f.live[a.ID] = maskedLive{version: live.Version, show: key, def: def, checks: checks}
	a.Live, a.HealthChecks = def, checks
}

// forget drops the apps gone from Marathon and git.
func (f *pageFacts) forget(keep func(id string) bool) {
	for id := range f.live {
		if !keep(id) {
			delete(f.live, id)
		}
	}
}
