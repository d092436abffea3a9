package gitsource_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"time"

	"github.com/go-logr/logr"

	"pacer.dev/pacer/gitsource"
)

// Example shows how `pacer run` wires the source: one loop that syncs on
// start, every interval and whenever the webhook fires, and hands a changed
// revision's FS to specs.Load / the reconciler.
func Example() {
	ctx := context.TODO() // cmd passes its signal-cancelled root ctx
	log := logr.FromContextOrDiscard(ctx)

	token, err := gitsource.LoadToken(os.Getenv, "" /* --git-token-file */)
	if err != nil {
		log.Error(err, "Could not load git token")
		return
	}
	src, err := gitsource.New(gitsource.Options{
		URL:      "https://gitlab.example/platform/specs.git",
		Branch:   "main",
		Path:     "specs",
		CacheDir: "/var/cache/pacer/git",
		Auth:     gitsource.Auth{Username: "oauth2", Token: token},
	})
	if err != nil {
		log.Error(err, "Invalid git source")
		return
	}

	trigger := gitsource.NewTrigger()
	if hookToken, err := gitsource.LoadWebhookToken(os.Getenv); err == nil {
		hook, err := gitsource.NewWebhook(gitsource.WebhookOptions{Token: hookToken, Branch: "main", Trigger: trigger})
		if err == nil {
			http.NewServeMux().Handle(gitsource.WebhookPath, hook) // on the --listen mux
		}
	}

	tick := time.NewTicker(time.Minute) // --sync-interval
	defer tick.Stop()
	for {
		syncCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		rev, err := src.Sync(syncCtx)
		cancel()
		switch {
		case errors.Is(err, context.Canceled):
			return
		case err != nil:
			log.Error(err, "Git sync failed", "revision", rev.Commit) // rev is the last good one
		}
		if rev.Changed {
			_ = rev.FS // specs.Load(rev.FS), then reconcile; report rev.ForcePushed
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-trigger.C():
		}
	}
}
