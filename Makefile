# Hark: make serve runs it, make test checks everything.
#
# The web app's build (wasm, VERSION) lives in mk/web.mk; the load generator
# and benchmarks in mk/bench.mk.

SHELL := /bin/bash
GO    ?= go
ADDR  ?= localhost:8080
# Inputs each fuzz target tries in make test: the seed corpus and a little
# beyond; run longer by hand with FUZZTIME=5m. A count, not a duration: Go
# 1.26's fuzz coordinator can fail a target with a bare "context deadline
# exceeded" when a duration ends while a worker is mid-call (go.dev/issue/75804,
# fixed in Go 1.27; it failed CI once on a loaded machine). A count sets no
# deadline.
FUZZTIME ?= 50000x

include mk/web.mk
include mk/bench.mk

.PHONY: help serve build test vet lint unit fuzz wasmtest domtest dombench e2e clean cluster cluster-down

## help: list the targets, with the first line of what each does
help:
	@awk '/^## [a-z0-9-]+: / { line = substr($$0, 4); i = index(line, ": "); printf "  %-14s %s\n", substr(line, 1, i - 1), substr(line, i + 2) }' $(MAKEFILE_LIST)

## serve: build the web app and the server, and serve on $(ADDR)
serve: wasm bin/hark
	./bin/hark -addr $(ADDR)

## build: the server binary, with the web app's version pinned
bin/hark: wasm FORCE
	$(GO) build -trimpath -ldflags "-X main.version=$(VERSION)" -o bin/hark ./server

build: bin/hark

## test: everything CI checks (lint, -race tests, fuzzing, WASM, browser)
# Lint, unit and integration tests with -race, short fuzzing, the client
# under WASM, the components in a DOM, and the browser tests.
test: lint unit fuzz wasmtest domtest e2e

vet:
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet ./app/... ./wasm/...

lint: vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	@$(GO) mod tidy -diff || { echo "go.mod or go.sum is not tidy: run go mod tidy"; exit 1; }
	@if command -v staticcheck >/dev/null || [ -x "$$($(GO) env GOPATH)/bin/staticcheck" ]; then \
		PATH="$$PATH:$$($(GO) env GOPATH)/bin" staticcheck ./... ; \
	else echo "staticcheck not installed: skipped (CI installs it)"; \
		if [ "$$CI" = true ]; then exit 1; fi; fi

unit:
	$(GO) test -race -count=1 $$($(GO) list ./... | grep -v /e2e)

fuzz:
	$(GO) test -run='^$$' -fuzz='^FuzzParseName$$' -fuzztime=$(FUZZTIME) ./app/protocol
	$(GO) test -run='^$$' -fuzz='^FuzzDecodeSend$$' -fuzztime=$(FUZZTIME) ./app/protocol
	$(GO) test -run='^$$' -fuzz='^FuzzDecodeEvent$$' -fuzztime=$(FUZZTIME) ./app/protocol
	$(GO) test -run='^$$' -fuzz='^FuzzParse$$' -fuzztime=$(FUZZTIME) ./app/markup

## wasmtest: the shared packages' tests compiled to WASM, run under Node
wasmtest:
	@if command -v node >/dev/null; then \
		PATH="$$PATH:$$($(GO) env GOROOT)/lib/wasm" GOOS=js GOARCH=wasm $(GO) test -count=1 ./app/protocol ./app/client ./app/ui; \
	else echo "!!! node not found: WASM tests SKIPPED"; if [ "$$CI" = true ]; then exit 1; fi; fi

## domtest: the components that need a DOM, in WASM in headless Chromium
# Run by wasmbrowsertest. Chromium runs as root here, which needs
# --no-sandbox; wasmbrowsertest has no flag for it, so a wrapper named
# chromium goes first in PATH.
domtest:
	@if ! command -v chromium >/dev/null; then \
		echo "!!! chromium not found: DOM tests SKIPPED"; if [ "$$CI" = true ]; then exit 1; fi; exit 0; fi; \
	gobin=$$($(GO) env GOPATH)/bin; \
	[ -x "$$gobin/wasmbrowsertest" ] || $(GO) install github.com/agnivade/wasmbrowsertest@v0.11.0; \
	wrap=$$(mktemp -d); trap 'rm -rf "$$wrap"' EXIT; \
	printf '#!/bin/sh\nexec %s --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --no-first-run "$$@"\n' "$$(command -v chromium)" > "$$wrap/chromium"; \
	chmod +x "$$wrap/chromium"; \
	set -o pipefail; \
	PATH="$$wrap:$$gobin:$$PATH" GOOS=js GOARCH=wasm $(GO) test -count=1 $(DOMTEST_ARGS) -exec wasmbrowsertest ./app/ui 2>&1 | grep -v 'IPAddressSpace' 

# DOMTEST_ARGS are go test's flags for the DOM tests; dombench sets its own.
DOMTEST_ARGS ?= -v

## dombench: the DOM benchmarks in headless Chromium
# Appending a message to a conversation of 50 and of 5,000.
dombench:
	$(MAKE) domtest DOMTEST_ARGS='-run NONE -bench . -benchtime 640x'

## e2e: the browser tests in headless Chromium (skipped loudly without it)
# Failed without it when CI=true. The banner is printed here because go
# test shows a passing package's output only with -v; the app is built
# only when there is a browser to run it.
E2E_BROWSER := $(or $(CHROMIUM),$(shell command -v chromium chromium-browser google-chrome 2>/dev/null | head -n 1))
e2e: $(if $(E2E_BROWSER),wasm)
	@if [ -z "$(E2E_BROWSER)" ]; then \
		msg="!!! chromium not found (apt-get install -y chromium): browser tests SKIPPED !!!"; \
		[ "$$CI" = true ] && msg="!!! chromium not found (apt-get install -y chromium): with CI=true, a FAILURE !!!"; \
		bar=$$(printf '%*s' $${#msg} '' | tr ' ' '!'); printf '%s\n%s\n%s\n' "$$bar" "$$msg" "$$bar"; \
		if [ "$$CI" = true ]; then exit 1; fi; fi
	$(GO) test -count=1 -timeout 10m ./e2e/

## cluster: 3 NATS servers and two Hark nodes (:8081, :8082), one chat
# On this machine (deploy/cluster.sh).
cluster:
	deploy/cluster.sh up

## cluster-down: stop them; the data stays in deploy/.cluster
cluster-down:
	deploy/cluster.sh down

clean:
	rm -rf bin web/app.wasm web/app.wasm.gz web/app.wasm.br

FORCE:
