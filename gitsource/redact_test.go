package gitsource

import (
	"errors"
	"testing"
)

func TestRedactURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://gitlab.example/specs.git", "https://gitlab.example/specs.git"},
		{"https://oauth2:glpat-secret@gitlab.example/specs.git", "https://REDACTED@gitlab.example/specs.git"},
		{"https://glpat-secret@gitlab.example/specs.git", "https://REDACTED@gitlab.example/specs.git"},
		{"ssh://git@gitlab.example:2222/specs.git", "ssh://REDACTED@gitlab.example:2222/specs.git"},
		{"git@gitlab.example:group/specs.git", "git@gitlab.example:group/specs.git"},
		{"git:pw@gitlab.example:group/specs.git", "REDACTED@gitlab.example:group/specs.git"},
		{"file:///srv/specs.git", "file:///srv/specs.git"},
		{"/srv/a@b/specs.git", "/srv/a@b/specs.git"},
		{"https://u:p w@%zz/", "<unparseable git url>"},
	} {
		if got := RedactURL(tc.in); got != tc.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestScrubberKeepsChain(t *testing.T) {
	s := newScrubber("tok-123", "", "ab")
	err := s.err(errors.Join(ErrFetch, errors.New("auth tok-123 refused for ab")))
	if got, want := err.Error(), "git fetch failed\nauth REDACTED refused for ab"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(err, ErrFetch) {
		t.Error("scrubbed error lost ErrFetch")
	}
}
