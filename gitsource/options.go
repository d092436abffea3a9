package gitsource

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
)

// DefaultBranch is the branch followed when Options.Branch is empty.
const DefaultBranch = "main"

// Options configure a Source. They are plain configuration: the runtime state
// lives in Source.
type Options struct {
	// URL of the specs repository: https://, http://, ssh://, scp-like
	// (git@host:group/repo.git), file:// or a plain local path. Userinfo in
	// an http(s) URL is moved into basic auth and never stored or printed.
	URL string
	// Branch to follow; DefaultBranch when empty.
	Branch string
	// Path of the specs subtree inside the repository; "" or "." for the root.
	Path string
	// CacheDir holds the bare clone; it is reused across restarts.
	CacheDir string
	// Auth holds credentials. See LoadToken for PACER_GIT_TOKEN/--git-token-file.
	Auth Auth
}

// Auth holds git credentials. Values are secrets: they are never logged and
// are scrubbed from every error Source returns.
type Auth struct {
	// Username for HTTP basic auth with Token; "git" when empty (GitLab and
	// GitHub accept any non-empty user name with a personal access token).
	Username string
	// Token is the HTTP basic auth password (a personal or deploy token).
	Token string
	// SSHKeyFile is a PEM private key for ssh:// and scp-like URLs.
	SSHKeyFile string
	// SSHKeyPassphrase decrypts SSHKeyFile when it is encrypted.
	SSHKeyPassphrase string
	// SSHKnownHostsFile verifies the server's host key; when empty the
	// SSH_KNOWN_HOSTS environment variable or ~/.ssh/known_hosts is used.
	SSHKnownHostsFile string
}

// normalize fills defaults and checks the options. Errors never contain the
// raw URL.
func (o Options) normalize() (Options, error) {
	if o.URL == "" {
		return o, errors.New("git url is empty")
	}
	if o.CacheDir == "" {
		return o, errors.New("git cache dir is empty")
	}
	if o.Branch == "" {
		o.Branch = DefaultBranch
	}
	ref := plumbing.NewBranchReferenceName(o.Branch)
	if err := ref.Validate(); err != nil || strings.ContainsAny(o.Branch, "*:") {
		return o, fmt.Errorf("invalid git branch %q", o.Branch)
	}
	p, err := cleanPath(o.Path)
	if err != nil {
		return o, err
	}
	o.Path = p
	if o.Auth.Username == "" {
		o.Auth.Username = "git"
	}
	return o, nil
}

// cleanPath turns the --git-path value into an fs.ValidPath ("." for root).
func cleanPath(p string) (string, error) {
	p = strings.Trim(p, "/")
	if p == "" {
		return ".", nil
	}
	p = path.Clean(p)
	if !fs.ValidPath(p) {
		return "", fmt.Errorf("invalid git path %q: must be relative, without ..", p)
	}
	return p, nil
}
