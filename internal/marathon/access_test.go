package marathon

import (
	"context"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"github.com/google/go-cmp/cmp"
)

// authServer is a TLS Marathon stand-in that wants basic auth alice:s3cret
// or the token tok-123 on every request, the event stream included.
type authServer struct {
	srv  *httptest.Server
	hits atomic.Int32
}

func newAuthServer(t *testing.T) *authServer {
	t.Helper()
	a := &authServer{}
	a.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.hits.Add(1)
		user, pass, ok := r.BasicAuth()
		if !(ok && user == "alice" && pass == "s3cret") && r.Header.Get("Authorization") != "token=tok-123" {
			w.Header().Set("WWW-Authenticate", `Basic realm="marathon"`)
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"message":"invalid username or password."}`)
			return
		}
		if r.URL.Path == "/v2/events" {
			w.Header().Set("Content-Type", "text/event-stream;charset=UTF-8")
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
			<-r.Context().Done()
			return
		}
		w.Header().Set("Content-Type", "application/json; qs=2")
		_, _ = io.WriteString(w, `[]`)
	}))
	a.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the unknown-CA case logs a handshake error
	a.srv.StartTLS()
	t.Cleanup(a.srv.Close)
	return a
}

// caFile writes the server's certificate as a PEM bundle.
func (a *authServer) caFile(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ca.pem")
	b := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: a.srv.Certificate().Raw})
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func writeSecret(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAccessAgainstTLSServerWithAuth(t *testing.T) {
	srv := newAuthServer(t)
	ca := srv.caFile(t)
	good := writeSecret(t, "alice:s3cret\n")
	wrong := writeSecret(t, "alice:hunter2\n")
	for _, tc := range []struct {
		name     string
		access   Access
		env      map[string]string
		wantErr  error
		wantMsg  []string // substrings of the error
		wantHits int32
	}{
		{name: "good basic auth from a file, CA file", access: Access{BasicAuth: SecretRef{FromFile: good}, CAFile: ca}, wantHits: 1},
		{name: "good basic auth from env, CA file", access: Access{BasicAuth: SecretRef{FromEnv: "PACER_MARATHON_BASIC_AUTH"}, CAFile: ca},
			env: map[string]string{"PACER_MARATHON_BASIC_AUTH": "alice:s3cret"}, wantHits: 1},
		{name: "token from env", access: Access{Token: SecretRef{FromEnv: "PACER_MARATHON_TOKEN"}, CAFile: ca},
			env: map[string]string{"PACER_MARATHON_TOKEN": "tok-123\n"}, wantHits: 1},
		{name: "wrong password: one request, a clear message", access: Access{BasicAuth: SecretRef{FromFile: wrong}, CAFile: ca},
			wantErr: ErrUnauthorized, wantMsg: []string{"answered 401 Unauthorized: it refused the basic auth as alice (password redacted)"}, wantHits: 1},
		{name: "no credentials", access: Access{CAFile: ca},
			wantErr: ErrUnauthorized, wantMsg: []string{"no credentials are configured", "--marathon-basic-auth-file"}, wantHits: 1},
		{name: "unknown CA", access: Access{BasicAuth: SecretRef{FromFile: good}},
			wantMsg: []string{"TLS certificate not trusted", "x509", "--marathon-ca-file"}, wantHits: 0},
		{name: "insecure skip verify", access: Access{BasicAuth: SecretRef{FromFile: good}, InsecureSkipTLSVerify: true}, wantHits: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv.hits.Store(0)
			getenv := func(k string) string { return tc.env[k] }
			r, err := tc.access.Resolve(getenv, os.ReadFile)
			if err != nil {
				t.Fatal(err)
			}
			var waits []time.Duration
			c, err := New(Options{URLs: []string{srv.srv.URL}, HTTPClient: r.HTTPClient, Credentials: r.Credentials,
				RequestTimeout: r.Timeout, Retry: instantRetry(3, &waits)})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Deployments(t.Context())
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if len(tc.wantMsg) == 0 && err != nil {
				t.Fatalf("err = %v, want none", err)
			}
			for _, m := range tc.wantMsg {
				if err == nil || !strings.Contains(err.Error(), m) {
					t.Errorf("err = %v, want it to contain %q", err, m)
				}
			}
			if err != nil {
				for _, secret := range []string{"s3cret", "hunter2", "tok-123"} {
					if strings.Contains(err.Error(), secret) {
						t.Errorf("err = %v leaks a secret", err)
					}
				}
			}
			if got := srv.hits.Load(); got != tc.wantHits {
				t.Errorf("server hits = %d, want %d", got, tc.wantHits)
			}
			if len(waits) != 0 {
				t.Errorf("retried with backoffs %v; auth and certificate errors are final", waits)
			}
		})
	}
}

func TestEventStreamSendsCredentials(t *testing.T) {
	srv := newAuthServer(t)
	for _, tc := range []struct {
		name    string
		creds   Credentials
		wantGap bool
		wantErr error
	}{
		{"basic auth", BasicAuth("alice", "s3cret"), true, nil},
		{"token", Token("tok-123"), true, nil},
		{"wrong password", BasicAuth("alice", "nope"), false, ErrUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Access{CAFile: srv.caFile(t)}.Resolve(os.Getenv, os.ReadFile)
			if err != nil {
				t.Fatal(err)
			}
			c, err := New(Options{URLs: []string{srv.srv.URL}, HTTPClient: r.HTTPClient, Credentials: tc.creds})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := t.Context(), func() {}
			errs := make(chan error, 1)
			gap := make(chan bool, 1)
			go func() {
				_ = c.StreamEvents(ctx, StreamOptions{MinBackoff: time.Hour, OnError: func(err error, _ time.Duration) {
					select {
					case errs <- err:
					default:
					}
				}}, func(e Event) {
					select {
					case gap <- e.Gap:
					default:
					}
				})
			}()
			defer cancel()
			select {
			case <-gap:
				if !tc.wantGap {
					t.Fatal("stream connected with wrong credentials")
				}
			case err := <-errs:
				if tc.wantGap || !errors.Is(err, tc.wantErr) {
					t.Fatalf("stream error %v, want %v", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "nope") {
					t.Errorf("stream error %v leaks the password", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("no stream outcome within 10s")
			}
		})
	}
}

func TestResolveSecrets(t *testing.T) {
	file := writeSecret(t, "bob:pw-in-file\n")
	empty := writeSecret(t, "\n")
	noColon := writeSecret(t, "justatoken")
	for _, tc := range []struct {
		name      string
		access    Access
		env       map[string]string
		wantCreds string // Credentials.String()
		wantErr   string
	}{
		{name: "none", wantCreds: "none"},
		{name: "basic from file", access: Access{BasicAuth: SecretRef{FromFile: file}}, wantCreds: "basic auth as bob (password redacted)"},
		{name: "token from env", access: Access{Token: SecretRef{FromEnv: "T"}}, env: map[string]string{"T": "abc"}, wantCreds: "token (redacted)"},
		{name: "both", access: Access{Token: SecretRef{FromEnv: "T"}, BasicAuth: SecretRef{FromFile: file}}, wantErr: "both basic auth and a token"},
		{name: "empty file", access: Access{BasicAuth: SecretRef{FromFile: empty}}, wantErr: "marathon basic auth: file " + empty + " is empty"},
		{name: "unset env", access: Access{Token: SecretRef{FromEnv: "NOPE"}}, wantErr: "marathon token: environment variable NOPE is empty"},
		{name: "no colon", access: Access{BasicAuth: SecretRef{FromFile: noColon}}, wantErr: "must hold user:password"},
		{name: "missing CA file", access: Access{CAFile: "/nonexistent/ca.pem"}, wantErr: "marathon CA file"},
		{name: "CA file without PEM", access: Access{CAFile: file}, wantErr: "no PEM certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := tc.access.Resolve(func(k string) string { return tc.env[k] }, os.ReadFile)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "pw-in-file") || strings.Contains(err.Error(), "justatoken") {
					t.Errorf("err = %v leaks a secret", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Credentials.String(); got != tc.wantCreds {
				t.Errorf("credentials %q, want %q", got, tc.wantCreds)
			}
			for _, s := range []string{r.Credentials.String(), r.Credentials.GoString()} {
				if strings.Contains(s, "pw-in-file") || strings.Contains(s, "abc") {
					t.Errorf("%q shows the secret", s)
				}
			}
			if r.Timeout != DefaultTimeout {
				t.Errorf("timeout %s, want the default %s", r.Timeout, DefaultTimeout)
			}
		})
	}
}

func TestAccessOr(t *testing.T) {
	flags := Access{Token: SecretRef{FromFile: "/run/token"}}
	env := Access{Timeout: 5 * time.Second, BasicAuth: SecretRef{FromEnv: "PACER_MARATHON_BASIC_AUTH"}}
	spec := Access{Timeout: time.Minute, BasicAuth: SecretRef{FromFile: "/etc/ba"}, CAFile: "/etc/ca.pem"}
	got := flags.Or(env).Or(spec)
	want := Access{Timeout: 5 * time.Second, Token: SecretRef{FromFile: "/run/token"}, CAFile: "/etc/ca.pem"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("merged access (-want +got):\n%s", diff)
	}
}

func TestTimeoutMessage(t *testing.T) {
	hang := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	t.Cleanup(hang.Close)
	withCreds := strings.Replace(hang.URL, "http://", "http://alice:s3cret@", 1)
	c, err := New(Options{URLs: []string{withCreds}, RequestTimeout: 50 * time.Millisecond, Retry: Retry{Attempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Deployments(t.Context())
	var te *TimeoutError
	if !errors.As(err, &te) {
		t.Fatalf("err = %v, want a TimeoutError", err)
	}
	want := "no answer within 50ms from " + hang.URL // no user info
	if !strings.Contains(err.Error(), want) {
		t.Errorf("err = %q, want it to contain %q", err, want)
	}
	if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "alice") {
		t.Errorf("err = %q leaks the password", err)
	}
}

func TestRetriesAreReported(t *testing.T) {
	dead := deadURL(t)
	good := newServer(t, &recorder{status: 200, body: `[]`})
	var events []string
	c, err := New(Options{URLs: []string{dead, good}, OnRetry: func(e RetryEvent) { events = append(events, e.String()) }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Deployments(t.Context()); err != nil {
		t.Fatal(err)
	}
	want := []string{"retrying GET /v2/deployments on " + good + " (1/9): " + dead + ": connection refused"}
	if diff := cmp.Diff(want, events); diff != "" {
		t.Errorf("progress lines (-want +got):\n%s", diff)
	}

	// Without OnRetry every retry is one V(0) log line naming URL and reason.
	var lines []string
	logger := funcr.New(func(_, args string) { lines = append(lines, args) }, funcr.Options{Verbosity: 0})
	var waits []time.Duration
	c, err = New(Options{URLs: []string{dead}, Retry: instantRetry(3, &waits)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Deployments(logrContext(t, logger))
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	if len(lines) != 2 {
		t.Fatalf("log lines %q, want one per retry (2)", lines)
	}
	for i, l := range lines {
		for _, w := range []string{`"msg"="Retrying Marathon request"`, `"url"="` + dead + `"`, `"reason"="connection refused"`} {
			if !strings.Contains(l, w) {
				t.Errorf("line %d %s: missing %s", i, l, w)
			}
		}
	}
}

func TestNotMarathonAnswers(t *testing.T) {
	login := `<!DOCTYPE html><html><head><title>Sign in &middot; Corp SSO</title></head><body>...</body></html>`
	nginx502 := "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"
	for _, tc := range []struct {
		name      string
		rec       *recorder
		wantMsg   string
		wantCalls int // 3 attempts allowed: only a 5xx page is retried
	}{
		{"proxy login page", &recorder{status: 200, body: login, header: map[string]string{"Content-Type": "text/html"}},
			`answered HTML, not the Marathon API (http 200, title "Sign in · Corp SSO")`, 1},
		{"html without content type", &recorder{status: 200, body: "  <html><body>hi</body></html>"}, "answered HTML, not the Marathon API (http 200", 1},
		{"nginx error page", &recorder{status: 502, body: nginx502, header: map[string]string{"Content-Type": "text/html"}},
			`answered HTML, not the Marathon API (http 502, title "502 Bad Gateway")`, 3},
		{"plain text", &recorder{status: 200, body: "hello from the default vhost", header: map[string]string{"Content-Type": "text/plain"}},
			"answered text/plain, not the Marathon API (http 200)", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var waits []time.Duration
			c, err := New(Options{URLs: []string{newServer(t, tc.rec)}, Retry: instantRetry(3, &waits)})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Deployments(t.Context())
			if !errors.Is(err, ErrNotMarathon) || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("err = %v, want ErrNotMarathon with %q", err, tc.wantMsg)
			}
			if len(tc.rec.got) != tc.wantCalls {
				t.Errorf("calls %d, want %d", len(tc.rec.got), tc.wantCalls)
			}
		})
	}
}

func TestCheckURLs(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"http://m1:8080,https://m2:8443", ""},
		{"marathon-1:8080", "marathon-1:8080 has no scheme; use http://marathon-1:8080"},
		{"http://m1:8080, m2:8080", "m2:8080 has no scheme; use http://m2:8080"},
		{"ftp://m1", "marathon url ftp://m1: want http(s)://host[:port]"},
		{"http://u:pw@m1:8080/%zz", "marathon url http://xxxxx@m1:8080/%zz: not a valid URL"},
		{"ftp://u:pw@m1", "marathon url ftp://m1: want http(s)://host[:port]"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			err := CheckURLs(tc.in)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("CheckURLs(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func logrContext(t *testing.T, log logr.Logger) context.Context {
	return logr.NewContext(t.Context(), log)
}
