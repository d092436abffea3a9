package gitsource

import (
	"net/url"
	"strings"
)

const redacted = "REDACTED"

// RedactURL returns rawURL fit for logs and errors: the userinfo of a URL
// (user name and password, either may be a token) is replaced by REDACTED,
// as is the user part of an scp-like address when it carries a password.
// Something that does not parse is replaced whole.
func RedactURL(rawURL string) string {
	if strings.Contains(rawURL, "://") {
		u, err := url.Parse(rawURL)
		if err != nil {
			return "<unparseable git url>"
		}
		if u.User != nil {
			u.User = url.User(redacted)
		}
		return u.String()
	}
	if strings.HasPrefix(rawURL, "/") || strings.HasPrefix(rawURL, ".") {
		return rawURL // a local path
	}
	// scp-like user@host:path; a password can only hide in the user part.
	if at := strings.LastIndex(rawURL, "@"); at >= 0 {
		user := rawURL[:at]
		if strings.Contains(user, ":") {
			return redacted + rawURL[at:]
		}
	}
	return rawURL
}

// scrubber removes secrets from error messages. It is defence in depth: go-git
// itself only ever sees the URL without userinfo.
type scrubber struct {
	secrets []string
}

func newScrubber(secrets ...string) scrubber {
	var s scrubber
	for _, v := range secrets {
		if len(v) >= 3 { // shorter values would mangle ordinary text
			s.secrets = append(s.secrets, v)
		}
	}
	return s
}

func (s scrubber) text(msg string) string {
	for _, v := range s.secrets {
		msg = strings.ReplaceAll(msg, v, redacted)
	}
	return msg
}

// err wraps err so that its message is scrubbed; errors.Is and errors.As
// still see the original chain.
func (s scrubber) err(err error) error {
	if err == nil {
		return nil
	}
	return &scrubbedError{msg: s.text(err.Error()), err: err}
}

type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }
