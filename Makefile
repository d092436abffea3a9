# pacer — make targets. `make help` lists them.
SHELL := /bin/bash
GO ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
export PATH := $(dir $(GO)):$(PATH)
BIN := bin
DEB_PACKAGES := nginx-light libnginx-mod-stream libnginx-mod-http-lua lua-resty-core haproxy zookeeper monitoring-plugins-basic prometheus chromium
GOTEST_FLAGS ?=

.PHONY: help build test unit e2e deps demo bench lint golden fuzz clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

# -buildvcs=auto (over a GOFLAGS=-buildvcs=false) stamps the git commit that
# `pacer version` prints; outside a git checkout (or in a git worktree, which
# the go command does not detect) it stamps nothing.
build: ## build bin/pacer and bin/marathon-sim
	$(GO) build -buildvcs=auto -o $(BIN)/ ./cmd/...

test: deps lint ## everything: lint, unit tests with -race, e2e tests (installs Debian packages when missing)
	$(GO) test -race -count=1 -timeout 12m $(GOTEST_FLAGS) ./...

unit: ## unit tests only, no Debian packages needed
	$(GO) test -race -count=1 -short $(GOTEST_FLAGS) ./...

e2e: deps ## end-to-end tests against real nginx, HAProxy, ZooKeeper
	$(GO) test -count=1 -timeout 12m ./e2e/...

deps: ## install nginx, HAProxy, ZooKeeper and chromium (status page browser test) with apt-get when missing (as root)
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "deps: $(DEB_PACKAGES) already installed"; exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then \
	  echo "deps: missing Debian packages:$$missing"; \
	  echo "deps: run as root, or: sudo apt-get update && sudo apt-get install -y$$missing"; exit 1; fi; \
	echo "deps: installing$$missing (services not started: the tests start their own)"; \
	policy=""; if [ ! -e /usr/sbin/policy-rc.d ]; then \
	  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && policy=1; fi; \
	DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; rc=$$?; \
	if [ -n "$$policy" ]; then rm -f /usr/sbin/policy-rc.d; fi; exit $$rc

demo: build ## the whole loop on an embedded simulated Marathon (pacer dev)
	$(BIN)/pacer dev --specs examples/specs

bench: ## benchmarks with allocation figures (see docs/benchmarks.md)
	$(GO) test -run '^$$' -bench . -benchmem ./...

lint: ## gofmt and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

golden: ## rewrite golden files (review the diff!)
	$(GO) test ./specs ./reconciler ./lb ./alerting ./marathonsim -update

clean: ## remove build output
	rm -rf $(BIN)
