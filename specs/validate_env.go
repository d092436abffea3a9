package specs

import (
	"strings"
	"unicode"
)

// secretWords are the word parts of an env name that say its value is a
// secret: DB_PASSWORD, apiToken, AWS_SECRET_ACCESS_KEY, PRIVATE_KEY.
var secretWords = map[string]bool{
	"PASSWORD": true, "PASSWORDS": true, "PASSWD": true, "PASS": true, "PWD": true,
	"TOKEN": true, "TOKENS": true, "SECRET": true, "SECRETS": true,
	"KEY": true, "KEYS": true, "APIKEY": true,
	"CREDENTIAL": true, "CREDENTIALS": true, "CREDS": true,
	"PRIVATE": true,
}

// referenceWords end names whose value points to a secret rather than
// holding it: DB_PASSWORD_FILE, TOKEN_PATH.
var referenceWords = map[string]bool{"FILE": true, "PATH": true, "DIR": true, "ENV": true, "REF": true, "NAME": true, "ID": true}

// envWords splits an env name into upper-case word parts at _, -, . and
// lower-to-upper case changes.
func envWords(name string) []string {
	var words []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			words = append(words, strings.ToUpper(cur.String()))
			cur.Reset()
		}
	}
	prevLower := false
	for _, r := range name {
		switch {
		case r == '_' || r == '-' || r == '.':
			flush()
			prevLower = false
			continue
		case unicode.IsUpper(r) && prevLower:
			flush()
		}
		cur.WriteRune(r)
		prevLower = unicode.IsLower(r) || unicode.IsDigit(r)
	}
	flush()
	return words
}

// secretLooking reports whether an env name says it holds a secret.
func secretLooking(name string) bool {
	words := envWords(name)
	if len(words) == 0 || referenceWords[words[len(words)-1]] {
		return false
	}
	for _, w := range words {
		if secretWords[w] {
			return true
		}
	}
	return false
}

// literalSecret reports whether an env value is written out rather than a
// reference: not empty, not $VAR / ${VAR}, not a path.
func literalSecret(value string) bool {
	return value != "" && !strings.HasPrefix(value, "$") && !strings.HasPrefix(value, "/")
}

// secretEnv warns about env values that look like secrets written into the
// specs: they end up in git, in Marathon's app definition and in every
// tool that reads it.
func (v *validator) secretEnv(c appCtx, m map[string]any) {
	env := asMap(m["env"])
	for _, k := range sortedKeys(env) {
		value, ok := env[k].(string)
		if !ok || !secretLooking(k) || !literalSecret(value) {
			continue
		}
		n, field := c.locate("env", k)
		v.warn(c.g.Source.File, n, field,
			"env %s looks like a secret and holds a literal value, which ends up in git and in Marathon's app definition; use a Marathon secret (env: {%s: {secret: name}} with secrets: {name: {source: ...}}) or a file or env reference (e.g. %s_FILE: /run/secrets/...)", k, k, k)
	}
}
