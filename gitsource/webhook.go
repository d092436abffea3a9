package gitsource

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"

	"github.com/go-logr/logr"
)

// WebhookPath is where `pacer run` mounts the GitLab webhook.
const WebhookPath = "/hooks/gitlab"

// defaultMaxBody bounds a push payload; GitLab lists at most 20 commits.
const defaultMaxBody = 5 << 20

// WebhookOptions configure a Webhook.
type WebhookOptions struct {
	// Token is the secret GitLab sends in X-Gitlab-Token (see LoadWebhookToken).
	Token string
	// Branch is the followed branch; pushes to other refs are ignored.
	// DefaultBranch when empty.
	Branch string
	// Trigger is fired for every accepted push.
	Trigger *Trigger
	// MaxBodyBytes bounds the request body; 5 MiB when zero.
	MaxBodyBytes int64
	// RateLimit bounds the requests per client address (429 with
	// Retry-After beyond it); 20 at once, then 1/s, by default.
	RateLimit RateLimit
}

// Webhook is the http.Handler for GitLab push events. It only fires the
// Trigger; the sync loop does the work. Its logger comes from the request
// context (set http.Server.BaseContext to a context carrying one).
type Webhook struct {
	tokenSum [sha256.Size]byte
	ref      string
	trigger  *Trigger
	maxBody  int64
	limit    *limiter
}

// NewWebhook checks opts. An empty token is refused: the webhook is never
// served unauthenticated.
func NewWebhook(opts WebhookOptions) (*Webhook, error) {
	if opts.Token == "" {
		return nil, errors.New("gitlab webhook token is empty")
	}
	if opts.Trigger == nil {
		return nil, errors.New("gitlab webhook needs a trigger")
	}
	if opts.Branch == "" {
		opts.Branch = DefaultBranch
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = defaultMaxBody
	}
	return &Webhook{
		tokenSum: sha256.Sum256([]byte(opts.Token)),
		ref:      "refs/heads/" + opts.Branch,
		trigger:  opts.Trigger,
		maxBody:  opts.MaxBodyBytes,
		limit:    newLimiter(opts.RateLimit),
	}, nil
}

// pushEvent holds the fields of a GitLab push payload that matter here.
type pushEvent struct {
	ObjectKind string `json:"object_kind"`
	Ref        string `json:"ref"`
	After      string `json:"after"`
}

// webhookReply is the JSON body of every answer.
type webhookReply struct {
	Result string `json:"result"`
	Reason string `json:"reason,omitempty"`
}

// ServeHTTP answers 429 to a client over its rate limit, 405 to anything
// but POST, 401 to a missing or wrong token (compared in constant time), 400
// to an unreadable body, 200 with a reason to events it ignores (a push of
// the revision the source has already fetched among them), and 202 when it
// fired the trigger or joined the sync already pending.
func (h *Webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	log := logr.FromContextOrDiscard(r.Context()).WithName("webhook")
	if ok, wait := h.limit.allow(clientAddr(r)); !ok {
		log.V(1).Info("Rejected webhook", "reason", "rate limited", "remote", r.RemoteAddr)
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		reply(w, http.StatusTooManyRequests, "rejected", "too many requests from "+clientAddr(r))
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		reply(w, http.StatusMethodNotAllowed, "rejected", "method not allowed")
		return
	}
	if !h.authorized(r.Header.Get("X-Gitlab-Token")) {
		log.Info("Rejected webhook", "reason", "missing or wrong token", "remote", r.RemoteAddr)
		reply(w, http.StatusUnauthorized, "rejected", "missing or wrong X-Gitlab-Token")
		return
	}
	var ev pushEvent
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, h.maxBody)).Decode(&ev); err != nil {
		reply(w, http.StatusBadRequest, "rejected", "body is not a gitlab event")
		return
	}
	if ev.ObjectKind != "push" {
		reason := fmt.Sprintf("event %q (%s) is not a push", ev.ObjectKind, r.Header.Get("X-Gitlab-Event"))
		log.V(1).Info("Ignored webhook", "reason", reason)
		reply(w, http.StatusOK, "ignored", reason)
		return
	}
	if ev.Ref != h.ref {
		reason := fmt.Sprintf("push to %s, following %s", ev.Ref, h.ref)
		log.V(1).Info("Ignored webhook", "reason", reason)
		reply(w, http.StatusOK, "ignored", reason)
		return
	}
	switch h.trigger.FireRevision(ev.After) {
	case AlreadyFetched:
		reason := fmt.Sprintf("revision %s is already fetched", ev.After)
		log.V(1).Info("Ignored webhook", "reason", reason)
		reply(w, http.StatusOK, "ignored", reason)
	case Joined:
		log.V(1).Info("Webhook joined the pending sync", "ref", ev.Ref, "revision", ev.After)
		reply(w, http.StatusAccepted, "sync already pending", "")
	default:
		log.Info("Webhook triggered sync", "ref", ev.Ref, "revision", ev.After)
		reply(w, http.StatusAccepted, "sync triggered", "")
	}
}

// clientAddr is the host of the client's address, the rate limit's key.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// authorized compares the digests of the tokens, so neither the contents
// nor the length of the secret leaks through timing.
func (h *Webhook) authorized(token string) bool {
	if token == "" {
		return false
	}
	sum := sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(sum[:], h.tokenSum[:]) == 1
}

func reply(w http.ResponseWriter, code int, result, reason string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(webhookReply{Result: result, Reason: reason})
}
