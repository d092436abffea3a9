package specs

// mergeLayers deep-merges layers in order into a new map: mappings merge key
// by key, anything else (lists included) is replaced by the later layer, and
// a null removes the key. The layers are not modified; unchanged nested
// values are shared with them, so the result must be treated as read-only
// except for its top-level keys.
func mergeLayers(layers ...map[string]any) map[string]any {
	size := 0
	for _, l := range layers {
		size = max(size, len(l))
	}
	out := make(map[string]any, size+4)
	for _, l := range layers {
		mergeInto(out, l)
	}
	return out
}

func mergeInto(dst, src map[string]any) {
	for k, v := range src {
		if v == nil {
			delete(dst, k)
			continue
		}
		sm, ok := v.(map[string]any)
		if !ok {
			dst[k] = v
			continue
		}
		merged := make(map[string]any, len(sm))
		if dm, ok := dst[k].(map[string]any); ok {
			for dk, dv := range dm {
				merged[dk] = dv
			}
		}
		mergeInto(merged, sm)
		dst[k] = merged
	}
}
