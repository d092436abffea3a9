package statuspage

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
)

// Auth guards the page with a bearer token or HTTP basic auth. The secret
// is kept only as a hash and never logged.
type Auth struct {
	basic bool
	user  string
	want  [32]byte // sha256 of the token or of the password
}

// LoadAuth reads an auth file: one line, "bearer TOKEN" or
// "basic USER:PASSWORD".
func LoadAuth(path string) (*Auth, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("ui auth file: %w", err)
	}
	a, err := ParseAuth(string(b))
	if err != nil {
		return nil, fmt.Errorf("ui auth file %s: %w", path, err)
	}
	return a, nil
}

// ParseAuth parses an auth file's text (see LoadAuth).
func ParseAuth(text string) (*Auth, error) {
	line, _, _ := strings.Cut(strings.TrimSpace(text), "\n")
	kind, secret, _ := strings.Cut(strings.TrimSpace(line), " ")
	secret = strings.TrimSpace(secret)
	switch strings.ToLower(kind) {
	case "bearer":
		if secret == "" {
			return nil, errors.New(`"bearer" needs a token`)
		}
		return &Auth{want: sha256.Sum256([]byte(secret))}, nil
	case "basic":
		user, pass, ok := strings.Cut(secret, ":")
		if !ok || user == "" || pass == "" {
			return nil, errors.New(`"basic" needs USER:PASSWORD`)
		}
		return &Auth{basic: true, user: user, want: sha256.Sum256([]byte(pass))}, nil
	}
	return nil, errors.New(`want one line "bearer TOKEN" or "basic USER:PASSWORD"`)
}

// allow checks r's credentials, answering 401 when they are wrong.
func (a *Auth) allow(w http.ResponseWriter, r *http.Request) bool {
	var ok bool
	if a.basic {
		user, pass, has := r.BasicAuth()
		got := sha256.Sum256([]byte(pass))
		ok = has && subtle.ConstantTimeCompare([]byte(user), []byte(a.user)) == 1 && subtle.ConstantTimeCompare(got[:], a.want[:]) == 1
		if !ok {
			w.Header().Set("WWW-Authenticate", `Basic realm="pacer", charset="UTF-8"`)
		}
	} else {
		token, has := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		got := sha256.Sum256([]byte(token))
		ok = has && subtle.ConstantTimeCompare(got[:], a.want[:]) == 1
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="pacer"`)
		}
	}
	if !ok {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
	}
	return ok
}
