package gitsource

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
)

// Environment variables read by LoadToken and LoadWebhookToken.
const (
	EnvGitToken    = "PACER_GIT_TOKEN"
	EnvGitLabToken = "PACER_GITLAB_TOKEN"
)

// LoadToken returns the git HTTP token: the contents of tokenFile when set
// (trailing whitespace trimmed), else the PACER_GIT_TOKEN variable read
// through getenv, else "". The token never appears in the returned error.
func LoadToken(getenv func(string) string, tokenFile string) (string, error) {
	if tokenFile != "" {
		b, err := os.ReadFile(tokenFile)
		if err != nil {
			return "", fmt.Errorf("read git token file: %w", err)
		}
		tok := strings.TrimSpace(string(b))
		if tok == "" {
			return "", fmt.Errorf("git token file %s is empty", tokenFile)
		}
		return tok, nil
	}
	return strings.TrimSpace(getenv(EnvGitToken)), nil
}

// LoadWebhookToken returns the GitLab webhook secret from PACER_GITLAB_TOKEN,
// or an error when it is unset: the webhook is never served unauthenticated.
func LoadWebhookToken(getenv func(string) string) (string, error) {
	tok := strings.TrimSpace(getenv(EnvGitLabToken))
	if tok == "" {
		return "", fmt.Errorf("%s is not set", EnvGitLabToken)
	}
	return tok, nil
}

// remote is a parsed repository address: the URL handed to go-git (without
// userinfo for http(s)), the redacted form for logs, and the auth method.
type remote struct {
	url     string
	display string
	auth    transport.AuthMethod
	secrets []string
}

// newRemote parses rawURL and builds the auth method for its protocol.
func newRemote(rawURL string, a Auth) (remote, error) {
	r := remote{display: RedactURL(rawURL), secrets: []string{a.Token, a.SSHKeyPassphrase}}
	ep, err := transport.NewEndpoint(rawURL)
	if err != nil {
		// The parse error quotes the URL: do not wrap it.
		return r, fmt.Errorf("parse git url %s: invalid url", r.display)
	}
	r.secrets = append(r.secrets, ep.Password)
	if ep.User != "" && ep.Protocol != "ssh" {
		r.secrets = append(r.secrets, ep.User)
	}
	switch ep.Protocol {
	case "http", "https":
		user, pass := a.Username, a.Token
		if pass == "" && (ep.User != "" || ep.Password != "") {
			user, pass = ep.User, ep.Password
		}
		ep.User, ep.Password = "", ""
		r.url = ep.String()
		if pass != "" || user != a.Username {
			r.auth = &githttp.BasicAuth{Username: user, Password: pass}
		}
	case "ssh":
		r.url = rawURL
		if ep.Password != "" {
			return r, fmt.Errorf("git url %s: passwords in ssh urls are not supported, use an ssh key file", r.display)
		}
		if r.auth, err = sshAuth(ep.User, a); err != nil {
			return r, err
		}
	case "file":
		r.url = rawURL
	default:
		return r, fmt.Errorf("git url %s: unsupported protocol %q", r.display, ep.Protocol)
	}
	return r, nil
}

// sshAuth builds public-key auth from the key file, or returns nil so that
// go-git falls back to the SSH agent.
func sshAuth(user string, a Auth) (transport.AuthMethod, error) {
	if user == "" {
		user = "git"
	}
	if a.SSHKeyFile == "" {
		if a.SSHKnownHostsFile != "" {
			return nil, errors.New("ssh known hosts file set without an ssh key file")
		}
		return nil, nil
	}
	keys, err := gitssh.NewPublicKeysFromFile(user, a.SSHKeyFile, a.SSHKeyPassphrase)
	if err != nil {
		return nil, fmt.Errorf("load ssh key %s: %w", a.SSHKeyFile, newScrubber(a.SSHKeyPassphrase).err(err))
	}
	if a.SSHKnownHostsFile != "" {
		cb, err := gitssh.NewKnownHostsCallback(a.SSHKnownHostsFile)
		if err != nil {
			return nil, fmt.Errorf("load ssh known hosts %s: %w", a.SSHKnownHostsFile, err)
		}
		keys.HostKeyCallback = cb
	}
	return keys, nil
}
