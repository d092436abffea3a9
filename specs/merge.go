package specs

// mergeLayers deep-merges layers in order: mappings merge key by key,
// anything else (lists included) is replaced by the later layer, and a null
// removes the key. The layers are not modified; the result shares values with
// them where no merge is needed (it is the layer itself when only one is not
// empty), so it must be treated as read-only.
func mergeLayers(layers ...map[string]any) map[string]any {
	var only map[string]any
	nonEmpty := 0
	for _, l := range layers {
		if len(l) > 0 {
			only = l
			nonEmpty++
		}
	}
	if nonEmpty == 1 && !hasNull(only) {
		return only // nothing to merge: share the layer
	}
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
		dm, ok := dst[k].(map[string]any)
		if !ok && !hasNull(sm) {
			dst[k] = sm // nothing to merge or remove: share it
			continue
		}
		merged := make(map[string]any, len(sm)+len(dm))
		for dk, dv := range dm {
			merged[dk] = dv
		}
		mergeInto(merged, sm)
		dst[k] = merged
	}
}

// hasNull reports whether a mapping holds a null at any depth of mappings.
func hasNull(m map[string]any) bool {
	for _, v := range m {
		switch v := v.(type) {
		case nil:
			return true
		case map[string]any:
			if hasNull(v) {
				return true
			}
		}
	}
	return false
}
