package reconciler

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"path"
	"strconv"
	"strings"
)

// DefaultMaskSalt keys the hash of masked values when PlanOptions.MaskSalt
// is empty (cmd reads PACER_MASK_SALT). Every hash is also keyed by the
// cluster, the app id and the env key, so the same value in two apps (or
// under two keys) gives two unrelated hashes. The default salt is public:
// anyone with a plan and a guess of a weak value could check the guess, so
// set PACER_MASK_SALT to a secret of the CI and of pacer run to rule that out.
const DefaultMaskSalt = "pacer.dev/mask/v1"

// maskedPrefix starts the text that replaces a masked value.
const maskedPrefix = "(masked "

// masker hides the values of an app's env and secrets in its plan's
// changes: a change shows that a value was added, changed or removed and a
// short salted hash of it, never the value. Env keys matching one of show
// (exact names or path.Match patterns, e.g. LOG_*) are shown as they are.
type masker struct {
	salt    []byte
	cluster string
	app     string
	show    []string
}

func newMasker(salt, cluster, app string, show []string) masker {
	if salt == "" {
		salt = DefaultMaskSalt
	}
	return masker{salt: []byte(salt), cluster: cluster, app: app, show: show}
}

// mask rewrites the changes in place.
func (m masker) mask(changes []Change) {
	for i := range changes {
		c := &changes[i]
		if strings.HasPrefix(c.Path, dockerParams) {
			m.maskParameter(c)
			continue
		}
		field, key, rest, ok := sensitivePath(c.Path)
		if !ok {
			continue
		}
		if key == "" {
			// The whole env (or secrets) object changed at once: mask its entries.
			if c.Old != nil {
				c.Old = m.maskObject(field, c.Old)
			}
			if c.New != nil {
				c.New = m.maskObject(field, c.New)
			}
			c.Masked = true
			continue
		}
		if field == "env" && m.shown(key) {
			continue
		}
		id := key + rest
		if c.Old != nil {
			c.Old = m.hash(field, id, c.Old)
		}
		if c.New != nil {
			c.New = m.hash(field, id, c.New)
		}
		c.Masked = true
	}
}

// maskObject masks every entry of an env or secrets object but the shown
// ones; a value that is not an object is masked whole.
func (m masker) maskObject(field string, v any) any {
	obj, ok := v.(map[string]any)
	if !ok {
		return m.hash(field, "", v)
	}
	out := make(map[string]any, len(obj))
	for k, x := range obj {
		if field == "env" && m.shown(k) {
			out[k] = x
			continue
		}
		out[k] = m.hash(field, k, x)
	}
	return out
}

// shown reports whether env key may be printed (PlanOptions / spec.plan.showEnv).
func (m masker) shown(key string) bool {
	for _, p := range m.show {
		if p == key {
			return true
		}
		if ok, err := path.Match(p, key); err == nil && ok {
			return true
		}
	}
	return false
}

// hash is "(masked 1a2b3c4d)": the first 8 hex digits of
// HMAC-SHA256(salt, cluster NUL app NUL field.key NUL JSON(value)).
func (m masker) hash(field, key string, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(render(v))
	}
	h := hmac.New(sha256.New, m.salt)
	for _, part := range []string{m.cluster, m.app, field + "." + key} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	h.Write(b)
	return maskedPrefix + hex.EncodeToString(h.Sum(nil))[:8] + ")"
}

// sensitivePath splits a change path under env or secrets: field is "env"
// or "secrets", key the entry ("" when the path is the field itself) and
// rest what follows the key (e.g. ".secret" of env.DB.secret). ok is false
// for any other path.
func sensitivePath(p string) (field, key, rest string, ok bool) {
	for _, f := range []string{"env", "secrets"} {
		if !strings.HasPrefix(p, f) {
			continue
		}
		tail := p[len(f):]
		switch {
		case tail == "":
			return f, "", "", true
		case tail[0] == '.':
			tail = tail[1:]
			end := strings.IndexAny(tail, ".[")
			if end < 0 {
				return f, tail, "", true
			}
			return f, tail[:end], tail[end:], true
		case tail[0] == '[':
			q, err := strconv.QuotedPrefix(tail[1:])
			if err != nil {
				return f, "?", "", true // unparsable: mask it all the same
			}
			k, _ := strconv.Unquote(q)
			return f, k, strings.TrimPrefix(tail[1+len(q):], "]"), true
		}
	}
	return "", "", "", false
}

// maskedText renders a value of a masked change: hashes (and NAME=hash of
// docker parameters) as they are, any other value (a shown entry of a
// masked object) as JSON.
func maskedText(v any) string {
	if s, ok := v.(string); ok && strings.Contains(s, maskedPrefix) {
		return s
	}
	return render(v)
}

// dockerParams prefixes the changes of docker run parameters, where
// {key: env (or e), value: NAME=VALUE} sets an env variable too.
const dockerParams = "container.docker.parameters["

// maskParameter masks the value of NAME=VALUE in a change of a docker
// parameter: a whole {key, value} entry when its key is env or e, or any
// parameter's value alone (path ...].value), since the change does not say
// which key it belongs to: over-masking a log-opt is harmless, showing a
// password is not. NAME stays readable; showEnv applies to it.
func (m masker) maskParameter(c *Change) {
	masked := false
	maskKV := func(v any) any {
		s, ok := v.(string)
		name, _, found := strings.Cut(s, "=")
		if !ok || !found || m.shown(name) {
			return v
		}
		masked = true
		return name + "=" + m.hash("env", name, s)
	}
	maskEntry := func(v any) any {
		e, ok := v.(map[string]any)
		if !ok || (e["key"] != "env" && e["key"] != "e") {
			return v
		}
		out := make(map[string]any, len(e))
		for k, x := range e {
			out[k] = x
		}
		out["value"] = maskKV(e["value"])
		return out
	}
	switch {
	case strings.HasSuffix(c.Path, "].value"):
		c.Old, c.New = maskKV(c.Old), maskKV(c.New)
	case strings.HasSuffix(c.Path, "]"):
		c.Old, c.New = maskEntry(c.Old), maskEntry(c.New)
	}
	c.Masked = c.Masked || masked
}
