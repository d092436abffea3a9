package gitsource

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"golang.org/x/crypto/ssh"
)

func TestLoadToken(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "token")
	if err := os.WriteFile(file, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(k string) string { return map[string]string{EnvGitToken: "from-env"}[k] }
	for _, tc := range []struct {
		name, file, want string
		wantErr          bool
	}{
		{name: "env", want: "from-env"},
		{name: "file wins", file: file, want: "from-file"},
		{name: "empty file", file: empty, wantErr: true},
		{name: "missing file", file: filepath.Join(dir, "nope"), wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := LoadToken(env, tc.file)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("LoadToken = %q, %v; want %q, error %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestNewRemoteHTTPAuth(t *testing.T) {
	for _, tc := range []struct {
		name, url string
		auth      Auth
		wantURL   string
		wantAuth  *githttp.BasicAuth
	}{
		{name: "token", url: "https://h/specs.git", auth: Auth{Username: "oauth2", Token: "tok"}, wantURL: "https://h/specs.git", wantAuth: &githttp.BasicAuth{Username: "oauth2", Password: "tok"}},
		{name: "userinfo moves to auth", url: "https://u:pw@h/specs.git", auth: Auth{Username: "git"}, wantURL: "https://h/specs.git", wantAuth: &githttp.BasicAuth{Username: "u", Password: "pw"}},
		{name: "token beats userinfo", url: "https://u:pw@h/specs.git", auth: Auth{Username: "git", Token: "tok"}, wantURL: "https://h/specs.git", wantAuth: &githttp.BasicAuth{Username: "git", Password: "tok"}},
		{name: "anonymous", url: "http://h:8080/specs.git", auth: Auth{Username: "git"}, wantURL: "http://h:8080/specs.git"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := newRemote(tc.url, tc.auth)
			if err != nil {
				t.Fatal(err)
			}
			if r.url != tc.wantURL {
				t.Errorf("url = %q, want %q", r.url, tc.wantURL)
			}
			got, _ := r.auth.(*githttp.BasicAuth)
			if (got == nil) != (tc.wantAuth == nil) || (got != nil && *got != *tc.wantAuth) {
				t.Errorf("auth = %+v, want %+v", got, tc.wantAuth)
			}
		})
	}
}

func TestNewRemoteSSHKey(t *testing.T) {
	dir := t.TempDir()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(key, "")
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "id_ed25519")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	pub, err := ssh.NewPublicKey(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	knownHosts := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(knownHosts, []byte("gitlab.example "+string(ssh.MarshalAuthorizedKey(pub))), 0o600); err != nil {
		t.Fatal(err)
	}

	for _, url := range []string{"ssh://deploy@gitlab.example/specs.git", "deploy@gitlab.example:group/specs.git"} {
		r, err := newRemote(url, Auth{SSHKeyFile: keyFile, SSHKnownHostsFile: knownHosts})
		if err != nil {
			t.Fatalf("%s: %v", url, err)
		}
		keys, ok := r.auth.(*gitssh.PublicKeys)
		if !ok || keys.User != "deploy" || keys.HostKeyCallback == nil {
			t.Errorf("%s: auth = %#v, want deploy's public keys with a known_hosts callback", url, r.auth)
		}
	}
	if _, err := newRemote("ssh://git@h/r.git", Auth{SSHKeyFile: filepath.Join(dir, "missing")}); err == nil {
		t.Error("missing key file accepted")
	}
	if _, err := newRemote("ssh://git@h/r.git", Auth{SSHKeyFile: keyFile, SSHKnownHostsFile: filepath.Join(dir, "missing")}); err == nil {
		t.Error("missing known_hosts file accepted")
	}
}

// gitHTTPServer serves the bare repositories under root over smart HTTP
// (git http-backend as CGI), demanding basic auth with password token.
type gitHTTPServer struct {
	mu    sync.Mutex
	users []string
}

func (g *gitHTTPServer) start(t *testing.T, root, token string) *httptest.Server {
	t.Helper()
	gitBin, err := exec.LookPath("git")
	if err != nil {
		t.Fatalf("git not installed (apt-get install git): %v", err)
	}
	backend := &cgi.Handler{
		Path: gitBin,
		Args: []string{"http-backend"},
		Env:  []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1", "GIT_CONFIG_NOSYSTEM=1"},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		g.mu.Lock()
		g.users = append(g.users, user)
		g.mu.Unlock()
		if !ok || pass != token {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		backend.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestSyncOverHTTPWithToken(t *testing.T) {
	const token = "glpat-s3cr3t-value"
	up := newUpstream(t)
	c1 := up.commit("main", "first", map[string]string{"specs/a.yaml": "a: 1\n"})
	srv := (&gitHTTPServer{}).start(t, filepath.Dir(up.bare), token)
	url := srv.URL + "/" + filepath.Base(up.bare)

	t.Run("right token", func(t *testing.T) {
		s, err := New(Options{URL: url, Path: "specs", CacheDir: t.TempDir(), Auth: Auth{Username: "oauth2", Token: token}})
		if err != nil {
			t.Fatal(err)
		}
		rev, err := s.Sync(t.Context())
		if err != nil || rev.Commit != c1 {
			t.Fatalf("Sync = %s, %v; want %s", rev.Commit, err, c1)
		}
	})

	for _, tc := range []struct {
		name string
		url  string
		auth Auth
	}{
		{name: "wrong token", url: url, auth: Auth{Username: "oauth2", Token: "glpat-wrong-value"}},
		{name: "wrong password in url", url: strings.Replace(url, "http://", "http://oauth2:glpat-wrong-value@", 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logs := &logSink{}
			s, err := New(Options{URL: tc.url, Path: "specs", CacheDir: t.TempDir(), Auth: tc.auth})
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.Sync(logs.context(t))
			if !errors.Is(err, ErrFetch) {
				t.Fatalf("Sync err = %v, want ErrFetch", err)
			}
			for _, text := range []string{err.Error(), logs.String(), s.String()} {
				if strings.Contains(text, "glpat") {
					t.Errorf("credential leaked: %s", text)
				}
			}
			// The cache's git config must not hold the credential either.
			cfg, err := os.ReadFile(filepath.Join(s.dir, "config"))
			if err != nil || strings.Contains(string(cfg), "glpat") {
				t.Errorf("cache config holds the credential (%v):\n%s", err, cfg)
			}
		})
	}
}
