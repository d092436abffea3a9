package lb

import (
	"cmp"
	"hash/fnv"
	"slices"
	"strconv"
)

// MinServerSlots is the fewest server slots an HAProxy backend gets.
const MinServerSlots = 8

// slotCapacity is the number of server slots an HAProxy backend with n
// serving tasks renders: the next power of two ≥ max(MinServerSlots, 2n).
// A backend keeps its capacity while its task count stays in
// (capacity/4, capacity/2] (8 slots up to 4 tasks, 16 for 5–8, 32 for
// 9–16, ...), so tasks coming and going, and a rolling deploy's extra
// tasks (Marathon's maximumOverCapacity), fit in the slots already loaded
// and are applied through the runtime API; crossing a bound is a
// structural change (validate and reload). Slots cost HAProxy a few
// hundred bytes each.
func slotCapacity(n int) int { return pow2(max(MinServerSlots, 2*n)) }

// assignSlots places servers into slotCapacity(len(servers)) slots; a zero
// Server is an empty slot. Each server goes to the slot its key (task id)
// hashes to, or the next free one, taking servers in key order: the result
// is a pure function of the server set, and a task coming or going moves
// no other task in the common case, so the runtime API touches one slot.
func assignSlots(servers []Server) []Server {
	slots := make([]Server, slotCapacity(len(servers)))
	sorted := slices.Clone(servers)
	slices.SortFunc(sorted, func(a, b Server) int {
		return cmp.Or(cmp.Compare(slotKey(a), slotKey(b)), cmp.Compare(a.Host, b.Host), cmp.Compare(a.Port, b.Port))
	})
	n := uint64(len(slots))
	for _, s := range sorted {
		h := fnv.New64a()
		_, _ = h.Write([]byte(slotKey(s)))
		i := h.Sum64() % n
		for slots[i] != (Server{}) {
			i = (i + 1) % n
		}
		slots[i] = s
	}
	return slots
}

func slotKey(s Server) string {
	if s.TaskID != "" {
		return s.TaskID
	}
	return s.Address()
}

// slotName is the HAProxy server name of slot i (0-based): s1, s2, ...
func slotName(i int) string { return "s" + strconv.Itoa(i+1) }
