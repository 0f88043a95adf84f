# Hive build entry points. Run `make help` for the list of targets.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO    ?= go
BIN   := $(CURDIR)/bin
GOBIN := $(BIN)
export GOBIN

# Pinned tool versions. PROTOC_GEN_GO_VERSION must equal the
# google.golang.org/protobuf version in go.mod (proto-check enforces this).
BUF_VERSION           := v1.75.0
PROTOC_GEN_GO_VERSION := v1.36.12

BUF           := $(BIN)/buf
PROTOC_GEN_GO := $(BIN)/protoc-gen-go

# One stamp per tool version: bumping a version (or deleting a binary)
# reinstalls that tool; otherwise `make tools` is a no-op.
BUF_STAMP           := $(BIN)/.buf-$(BUF_VERSION).stamp
PROTOC_GEN_GO_STAMP := $(BIN)/.protoc-gen-go-$(PROTOC_GEN_GO_VERSION).stamp

PROTO_DIR := proto

# `make run` flags.
ADDR     ?= 127.0.0.1:8080
DATA_DIR ?= ./data

# Packages whose tests run with the race detector (all of them).
RACE_PKGS := ./...
# Benchmarks quoted in the README.
BENCH_PKGS := ./events/pebblestore/ ./events/pgstore/ ./projections/ ./actors/ ./actors/swarm/ ./actors/workflow/ ./actors/reactions/ ./http/api/ ./cmd/hive/ ./http/live/ ./actors/replay/ ./actors/timers/
BENCHTIME  ?= 3s

# `make soak`: how many times the crash campaign kills the server.
SOAK_KILLS ?= 20

.PHONY: help tools proto proto-check proto-lint build run run-postgres test test-short vet fmt-check mod-check bench chromium postgresql soak

help: ## List targets.
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | \
		awk -F ':.*## ' '{ printf "  %-14s %s\n", $$1, $$2 }'

## ---- tools ----------------------------------------------------------------

tools: $(BUF_STAMP) $(PROTOC_GEN_GO_STAMP) ## Install pinned buf and protoc-gen-go into ./bin.

$(BUF_STAMP): $(if $(wildcard $(BUF)),,FORCE)
	@mkdir -p $(BIN)
	@rm -f $(BIN)/.buf-*.stamp
	$(GO) install github.com/bufbuild/buf/cmd/buf@$(BUF_VERSION)
	@touch $@

$(PROTOC_GEN_GO_STAMP): $(if $(wildcard $(PROTOC_GEN_GO)),,FORCE)
	@mkdir -p $(BIN)
	@rm -f $(BIN)/.protoc-gen-go-*.stamp
	$(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
	@touch $@

FORCE:

## ---- protobuf -------------------------------------------------------------

proto: tools ## Regenerate Go code (proto/**/*.pb.go) from .proto files.
	find $(PROTO_DIR) -name '*.pb.go' -delete
	$(BUF) generate

proto-lint: tools ## Lint .proto files with buf.
	$(BUF) lint

# Generates into a temporary directory and compares it with the generated
# files in the work tree; never modifies the work tree.
proto-check: tools ## Fail if generated code is stale (does not touch the work tree).
	@want=$$($(GO) list -m -f '{{.Version}}' google.golang.org/protobuf); \
	if [ "$$want" != "$(PROTOC_GEN_GO_VERSION)" ]; then \
		echo "proto-check: go.mod has google.golang.org/protobuf $$want but PROTOC_GEN_GO_VERSION is $(PROTOC_GEN_GO_VERSION); update the Makefile" >&2; \
		exit 1; \
	fi
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	mkdir -p "$$tmp/fresh/$(PROTO_DIR)" "$$tmp/current/$(PROTO_DIR)"; \
	$(BUF) generate -o "$$tmp/fresh"; \
	find $(PROTO_DIR) -name '*.pb.go' -print0 | tar --null -cf - -T - | tar -xf - -C "$$tmp/current"; \
	if ! diff -ru "$$tmp/current/$(PROTO_DIR)" "$$tmp/fresh/$(PROTO_DIR)" \
		| sed -e "s|$$tmp/current/||g" -e "s|$$tmp/fresh/||g"; then \
		echo >&2; \
		echo "proto-check: generated code is out of date with the .proto files." >&2; \
		echo "proto-check: run 'make proto' and commit the result." >&2; \
		exit 1; \
	fi; \
	echo "proto-check: generated code is up to date."

## ---- build and run ----------------------------------------------------------

build: ## Build the hive binary into ./bin/hive.
	$(GO) build -o $(BIN)/hive ./cmd/hive

run: build ## Build and run Hive on the embedded store (ADDR, DATA_DIR).
	$(BIN)/hive serve --addr $(ADDR) --data-dir $(DATA_DIR)

# `make run-postgres` flags: the throwaway cluster's directory, port and
# the password of its user hive.
PG_DIR      ?= ./data-pg
PG_PORT     ?= 54329
PG_PASSWORD ?= hive

run-postgres: build postgresql ## Build and run Hive on a throwaway local PostgreSQL in PG_DIR (ADDR, PG_DIR, PG_PORT, PG_PASSWORD).
	HIVE_BIN=$(BIN)/hive ADDR=$(ADDR) PG_DIR=$(PG_DIR) PG_PORT=$(PG_PORT) PG_PASSWORD=$(PG_PASSWORD) deploy/run-postgres.sh

## ---- checks -------------------------------------------------------------------

# Debian's Chromium, which the dashboard's browser test drives
# (cmd/hive/dashboard_test.go); sudo only when not root.
CHROMIUM := /usr/bin/chromium
SUDO     := $(if $(filter 0,$(shell id -u)),,sudo)

chromium: ## Install Debian's Chromium for the browser test, if it is missing.
	@if [ ! -x $(CHROMIUM) ]; then \
		$(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	fi

# Debian's PostgreSQL 15, whose throwaway clusters the PostgreSQL store's
# tests and benchmarks start (events/pgstore/pgtest). Its programs live in
# `pg_config --bindir` (/usr/lib/postgresql/15/bin), not on PATH.
PG_BINDIR := $(or $(shell pg_config --bindir 2>/dev/null),/usr/lib/postgresql/15/bin)

postgresql: ## Install Debian's PostgreSQL for the PostgreSQL store's tests, if it is missing.
	@if [ ! -x $(PG_BINDIR)/initdb ] && [ ! -x /usr/lib/postgresql/15/bin/initdb ]; then \
		$(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql; \
	fi

fmt-check: ## Fail if any Go file is not gofmt-clean.
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:" >&2; echo "$$out" >&2; exit 1; fi

mod-check: ## Fail if go.mod or go.sum is not what `go mod tidy` makes (does not touch them).
	@if ! $(GO) mod tidy -diff; then \
		echo "mod-check: go.mod or go.sum is not tidy: run 'go mod tidy' and commit the result." >&2; \
		exit 1; \
	fi

vet: ## Run go vet (the soak campaign's build tag included).
	$(GO) vet ./...
	$(GO) vet -tags soak ./cmd/hive/

test: proto-check fmt-check mod-check vet chromium postgresql ## Run every check and test, with the race detector (what CI runs; installs Chromium and PostgreSQL if missing).
	$(GO) test -race -count=1 -timeout 15m $(RACE_PKGS)

test-short: ## Run the fast tests only (no crash tests), without the race detector.
	$(GO) test -short -count=1 ./...

soak: ## The crash campaign: kill -9 hive serve SOAK_KILLS times (default 20) under workers and clients, then check nothing acknowledged was lost.
	$(GO) test -tags soak -run '^TestSoak$$' -count=1 -v -timeout 30m ./cmd/hive/ -soak.kills=$(SOAK_KILLS)

bench: postgresql ## Run the benchmarks quoted in the README (BENCHTIME=3s).
	@echo "cores: $$(nproc)"
	$(GO) test -run='^$$' -bench=. -benchtime=$(BENCHTIME) -timeout 20m $(BENCH_PKGS)
