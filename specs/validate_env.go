package specs

import (
	"strconv"
	"strings"
)

// secretWords are the word parts of an env name that say its value is a
// secret: DB_PASSWORD, apiToken, AWS_SECRET_ACCESS_KEY, PRIVATE_KEY.
var secretWords = []string{"PASSWORD", "PASSWORDS", "PASSWD", "PASS", "PWD", "TOKEN", "TOKENS",
	"SECRET", "SECRETS", "APIKEY", "CREDENTIAL", "CREDENTIALS", "CREDS", "PRIVATE"}

// keyWords count only as the last word: API_KEY, DB_KEY, but not
// CACHE_KEY_PREFIX.
var keyWords = []string{"KEY", "KEYS"}

// referenceWords end names whose value points to a secret rather than
// holding it: DB_PASSWORD_FILE, TOKEN_PATH.
var referenceWords = []string{"FILE", "PATH", "DIR", "ENV", "REF", "NAME", "ID"}

// eachEnvWord calls fn with each word part of an env name, split at _, -,
// . and lower-to-upper case changes, until fn returns true. It does not
// allocate: validation runs it for every env key of every app.
func eachEnvWord(name string, fn func(w string) bool) bool {
	start := 0
	for i := 0; i <= len(name); i++ {
		end := i == len(name)
		sep := !end && (name[i] == '_' || name[i] == '-' || name[i] == '.')
		camel := !end && i > start && isUpperASCII(name[i]) && !isUpperASCII(name[i-1]) && name[i-1] != '_'
		if end || sep || camel {
			if i > start && fn(name[start:i]) {
				return true
			}
			start = i
			if sep {
				start = i + 1
			}
		}
	}
	return false
}

func isUpperASCII(c byte) bool { return c >= 'A' && c <= 'Z' }

// secretLooking reports whether an env name says it holds a secret.
func secretLooking(name string) bool {
	last := ""
	eachEnvWord(name, func(w string) bool { last = w; return false })
	if last == "" || inFold(referenceWords, last) {
		return false
	}
	return inFold(keyWords, last) || eachEnvWord(name, func(w string) bool { return inFold(secretWords, w) })
}

// inFold reports whether words holds w, ignoring case.
func inFold(words []string, w string) bool {
	for _, x := range words {
		if strings.EqualFold(x, w) {
			return true
		}
	}
	return false
}

// literalSecret reports whether an env value is written out rather than a
// reference: not empty, not $VAR / ${VAR}, not a path, and not a number or
// a boolean (TOKEN_TTL: "3600", PASSWORD_MIN_LENGTH: "12" are settings).
func literalSecret(value string) bool {
	if value == "" || strings.HasPrefix(value, "$") || strings.HasPrefix(value, "/") {
		return false
	}
	if _, err := strconv.ParseFloat(value, 64); err == nil {
		return false
	}
	_, err := strconv.ParseBool(value)
	return err != nil
}

// secretEnv warns about env values that look like secrets written into the
// specs: they end up in git, in Marathon's app definition and in every
// tool that reads it.
func (v *validator) secretEnv(c appCtx, m map[string]any) {
	for k, raw := range asMap(m["env"]) { // problems are sorted later
		value, ok := raw.(string)
		if !ok || !secretLooking(k) || !literalSecret(value) {
			continue
		}
		n, field := c.locate("env", k)
		v.warn(c.g.Source.File, n, field,
			"env %s looks like a secret and holds a literal value, which ends up in git and in Marathon's app definition; use a Marathon secret (env: {%s: {secret: name}} with secrets: {name: {source: ...}}) or a file or env reference (e.g. %s_FILE: /run/secrets/...)", k, k, k)
	}
}
