package reconciler

import (
	"crypto/sha256"
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"

	"pacer.dev/pacer/internal/marathon"
)

// PlanCache keeps what NewPlan derives from each desired app between
// passes, so that an app whose definition did not change is not decoded and
// normalized again: a live app is then compared by the digest of its
// normalized form, and a live app whose definition did not change since the
// last pass is not decoded again either. A long-running caller (the operator) holds one and passes
// it in PlanOptions.Cache on every pass; entries of apps a pass did not plan
// are dropped at its end. It is safe for concurrent use; the zero value is
// not, use NewPlanCache.
type PlanCache struct {
	mu      sync.Mutex
	entries map[string]*desiredEntry // by canonical app id
	pass    uint64
}

// NewPlanCache returns an empty cache.
func NewPlanCache() *PlanCache { return &PlanCache{entries: map[string]*desiredEntry{}} }

// desiredEntry is what planning needs of one unchanged desired app.
type desiredEntry struct {
	key   [sha256.Size]byte // of the id and definition bytes
	sum   [sha256.Size]byte // of the canonical normalized definition
	hints liveHints
	deps  []string
	lb    map[string]string // load balancer labels
	used  uint64            // the last pass that planned the app

	// The live definition last compared with this desired one: its
	// marathon.DigestObject (server fields left out) and whether its
	// normalized form matched. Normalizing a live definition depends only
	// on it and on hints, so the outcome holds while both are unchanged.
	liveKey   [sha256.Size]byte
	liveKnown bool
	liveSame  bool
}

// sameAsLive reports whether the normalized live definition (raw, an app
// JSON as Marathon returned it) equals the desired one of entry e.
func (c *PlanCache) sameAsLive(e *desiredEntry, raw []byte) (bool, error) {
	key, err := marathon.DigestObject(raw, isServerField)
	if err != nil {
		return false, err
	}
	c.mu.Lock()
	known, same := e.liveKnown && e.liveKey == key, e.liveSame
	c.mu.Unlock()
	if known {
		return same, nil
	}
	liveDef, err := decodeLive(raw)
	if err != nil {
		return false, err
	}
	same = digest(normalizeLiveInPlace(liveDef, e.hints)) == e.sum
	c.mu.Lock()
	e.liveKey, e.liveKnown, e.liveSame = key, true, same
	c.mu.Unlock()
	return same, nil
}

// lookup returns the entry of d, building it when the definition changed.
func (c *PlanCache) lookup(id string, d DesiredApp) (*desiredEntry, error) {
	h := sha256.New()
	h.Write([]byte(id))
	h.Write([]byte{0})
	h.Write(d.Definition)
	var key [sha256.Size]byte
	h.Sum(key[:0])
	c.mu.Lock()
	e := c.entries[id]
	pass := c.pass
	hit := e != nil && e.key == key
	if hit {
		e.used = pass
	}
	c.mu.Unlock()
	if hit {
		return e, nil
	}
	def, err := d.desiredDefinition()
	if err != nil {
		return nil, err
	}
	e = &desiredEntry{key: key, hints: hintsOf(def), deps: dependencies(id, def), lb: lbLabelsOf(def), used: pass}
	normalizeApp(def) // in place: nothing else uses def
	e.sum = digest(def)
	c.mu.Lock()
	c.entries[id] = e
	c.mu.Unlock()
	return e, nil
}

// begin starts a pass.
func (c *PlanCache) begin() {
	c.mu.Lock()
	c.pass++
	c.mu.Unlock()
}

// end drops the entries of apps the pass did not plan.
func (c *PlanCache) end() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, e := range c.entries {
		if e.used != c.pass {
			delete(c.entries, id)
		}
	}
}

// digest is the SHA-256 of a canonical encoding of a normalized value: equal
// values, and only they, have equal digests.
func digest(v any) [sha256.Size]byte {
	buf := appendCanonical(make([]byte, 0, 2048), v)
	return sha256.Sum256(buf)
}

// appendCanonical encodes v with sorted map keys and a type tag per value.
func appendCanonical(b []byte, v any) []byte {
	switch t := v.(type) {
	case map[string]any:
		var arr [24]string // most maps of an app fit: no allocation
		keys := arr[:0]
		for k := range t {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for _, k := range keys {
			b = strconv.AppendQuote(b, k)
			b = appendCanonical(b, t[k])
		}
		return append(b, '}')
	case []any:
		b = append(b, '[')
		for _, e := range t {
			b = appendCanonical(b, e)
		}
		return append(b, ']')
	case string:
		return strconv.AppendQuote(append(b, 's'), t)
	case float64:
		return strconv.AppendUint(append(b, 'f'), math.Float64bits(t), 16)
	case bool:
		return strconv.AppendBool(append(b, 'b'), t)
	case nil:
		return append(b, 'n')
	default:
		// Not produced by normalization.
		return fmt.Appendf(append(b, '?'), "%T:%v", t, t)
	}
}
