package marathon

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultTimeout bounds one attempt against one Marathon URL when neither a
// flag, the environment nor the Cluster spec sets one.
const DefaultTimeout = 30 * time.Second

// SecretRef says where a secret comes from: an environment variable or a
// file. The secret itself is never in git, a flag or a log.
type SecretRef struct {
	FromEnv  string
	FromFile string
}

func (r SecretRef) set() bool { return r.FromEnv != "" || r.FromFile != "" }

// where names the source of the secret for messages, never its value.
func (r SecretRef) where() string {
	if r.FromFile != "" {
		return "file " + r.FromFile
	}
	return "environment variable " + r.FromEnv
}

// read returns the secret with surrounding white space trimmed.
func (r SecretRef) read(getenv func(string) string, readFile func(string) ([]byte, error)) (string, error) {
	var v string
	if r.FromFile != "" {
		b, err := readFile(r.FromFile)
		if err != nil {
			return "", fmt.Errorf("read %s: %w", r.where(), err)
		}
		v = string(b)
	} else {
		v = getenv(r.FromEnv)
	}
	v = strings.TrimSpace(v)
	if v == "" {
		return "", fmt.Errorf("%s is empty", r.where())
	}
	return v, nil
}

// Access is how to reach Marathon: the per-attempt timeout, credentials and
// TLS trust. Each layer (flags, environment, Cluster spec) fills in an
// Access; Or merges them, the first layer winning.
type Access struct {
	// Timeout bounds each attempt against one URL; zero means unset.
	Timeout time.Duration
	// BasicAuth holds "user:password" for HTTP basic auth.
	BasicAuth SecretRef
	// Token holds a DC/OS token, sent as "Authorization: token=<token>".
	Token SecretRef
	// CAFile is a PEM bundle of the CAs that sign Marathon's certificate,
	// trusted in addition to the system roots.
	CAFile string
	// InsecureSkipTLSVerify turns off certificate verification.
	InsecureSkipTLSVerify bool
}

// Or returns a with every unset field taken from b. The credentials are one
// unit: a layer that names any credential replaces all of the lower one's,
// so a token flag overrides basic auth named in the spec.
func (a Access) Or(b Access) Access {
	if a.Timeout == 0 {
		a.Timeout = b.Timeout
	}
	if !a.BasicAuth.set() && !a.Token.set() {
		a.BasicAuth, a.Token = b.BasicAuth, b.Token
	}
	if a.CAFile == "" {
		a.CAFile = b.CAFile
	}
	a.InsecureSkipTLSVerify = a.InsecureSkipTLSVerify || b.InsecureSkipTLSVerify
	return a
}

// Credentials authenticate every request, the event stream included. Their
// String and GoString never show the secret.
type Credentials struct {
	user, password string
	token          string
}

// BasicAuth returns credentials for HTTP basic auth.
func BasicAuth(user, password string) Credentials { return Credentials{user: user, password: password} }

// Token returns credentials for a DC/OS token.
func Token(token string) Credentials { return Credentials{token: token} }

// IsZero reports whether no credentials are set.
func (c Credentials) IsZero() bool { return c.user == "" && c.token == "" }

func (c Credentials) String() string {
	switch {
	case c.token != "":
		return "token (redacted)"
	case c.user != "":
		return "basic auth as " + c.user + " (password redacted)"
	}
	return "none"
}

// GoString keeps %#v from printing the secret.
func (c Credentials) GoString() string { return "marathon.Credentials{" + c.String() + "}" }

func (c Credentials) apply(h http.Header) {
	switch {
	case c.token != "":
		h.Set("Authorization", "token="+c.token)
	case c.user != "":
		r := http.Request{Header: h}
		r.SetBasicAuth(c.user, c.password)
	}
}

// Resolved is an Access with its secrets read: what Options needs.
type Resolved struct {
	Timeout     time.Duration
	Credentials Credentials
	HTTPClient  *http.Client
}

// Resolve reads the secrets a names and builds the HTTP client. getenv and
// readFile are os.Getenv and os.ReadFile outside tests. Errors name where a
// secret comes from, never what it holds.
func (a Access) Resolve(getenv func(string) string, readFile func(string) ([]byte, error)) (Resolved, error) {
	r := Resolved{Timeout: a.Timeout}
	if r.Timeout < 0 {
		return Resolved{}, fmt.Errorf("marathon timeout %s: want a positive duration", r.Timeout)
	}
	if r.Timeout == 0 {
		r.Timeout = DefaultTimeout
	}
	switch {
	case a.BasicAuth.set() && a.Token.set():
		return Resolved{}, errors.New("marathon credentials: both basic auth and a token are given; use one")
	case a.BasicAuth.set():
		v, err := a.BasicAuth.read(getenv, readFile)
		if err != nil {
			return Resolved{}, fmt.Errorf("marathon basic auth: %w", err)
		}
		user, pass, ok := strings.Cut(v, ":")
		if !ok || user == "" {
			return Resolved{}, fmt.Errorf("marathon basic auth: %s must hold user:password", a.BasicAuth.where())
		}
		r.Credentials = BasicAuth(user, pass)
	case a.Token.set():
		v, err := a.Token.read(getenv, readFile)
		if err != nil {
			return Resolved{}, fmt.Errorf("marathon token: %w", err)
		}
		r.Credentials = Token(v)
	}
	tr, err := a.transport(readFile)
	if err != nil {
		return Resolved{}, err
	}
	r.HTTPClient = &http.Client{Transport: tr}
	return r, nil
}

// transport is the one every Marathon client uses: proxies from the
// environment, bounded TLS handshakes, and the trust of a.
func (a Access) transport(readFile func(string) ([]byte, error)) (*http.Transport, error) {
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		MaxIdleConnsPerHost: 8,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
		TLSClientConfig:     &tls.Config{MinVersion: tls.VersionTLS12},
	}
	if a.CAFile != "" {
		pem, err := readFile(a.CAFile)
		if err != nil {
			return nil, fmt.Errorf("marathon CA file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("marathon CA file %s: no PEM certificate in it", a.CAFile)
		}
		tr.TLSClientConfig.RootCAs = pool
	}
	tr.TLSClientConfig.InsecureSkipVerify = a.InsecureSkipTLSVerify
	return tr, nil
}

// CheckURLs parses a comma-separated list of Marathon URLs as a flag or env
// var gives it, with a message a person can act on, e.g.
// "marathon-1:8080 has no scheme; use http://marathon-1:8080".
func CheckURLs(list string) error {
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if _, err := parseURL(s); err != nil {
			return err
		}
	}
	return nil
}

func parseURL(s string) (*url.URL, error) {
	if !strings.Contains(s, "://") {
		return nil, fmt.Errorf("%s has no scheme; use http://%s", s, s)
	}
	u, err := url.Parse(s)
	if err != nil {
		// url's message quotes the raw string, password included.
		return nil, fmt.Errorf("marathon url %s: not a valid URL", redactRaw(s))
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("marathon url %s: want http(s)://host[:port]", displayURL(u))
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return u, nil
}

// redactRaw hides the userinfo of a URL that did not parse.
func redactRaw(s string) string {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return s
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		return scheme + "://xxxxx@" + rest[at+1:]
	}
	return s
}
