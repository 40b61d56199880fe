# web.mk: the browser app. Included by the main Makefile.
#
#   make wasm      build web/app.wasm and its precompressed siblings
#                  (app.wasm.gz always, app.wasm.br when `brotli` exists)
#   make icons     redraw the committed PNG icons in web/
#   make wasm-size print the sizes of the built app.wasm, raw and compressed
#   make tti       time to interactive, cold and warm, in headless Chromium
#   make figures   the README's pictures in docs/, from the browser tests
#
# VERSION names the release. The server must be built with the same value
# (-ldflags "-X main.version=$(VERSION)", as bin/hark is): the service worker
# compares it to decide that an update is available, so it must be stable
# for one build and change when the sources do.

# VERSION: the git description of the work tree; with uncommitted changes
# (or outside git) a hash of the sources is added, so every distinct tree
# gets its own version and two builds of one tree agree (never a date or a
# random value).
ifeq ($(origin VERSION),undefined)
VERSION := $(shell v=$$(git describe --always --dirty 2>/dev/null); \
	case "$$v" in (""|*-dirty) h=$$({ cat go.mod go.sum; find app wasm server web -type f ! -name 'app.wasm*' ! -name .version | LC_ALL=C sort | xargs cat; } | sha256sum | cut -c1-12); \
	echo "$${v:+$$v-}$$h";; (*) echo "$$v";; esac)
endif

WEB_DIR     ?= web
WASM        := $(WEB_DIR)/app.wasm
WASM_LDFLAGS := -s -w -X main.version=$(VERSION)
BROTLI      := $(shell command -v brotli 2>/dev/null)

# The WebAssembly depends on every Go source it may import: the UI, the
# client, the protocol and its main, plus the module files.
WASM_SRC := go.mod go.sum $(shell find app wasm -name '*.go' ! -name '*_test.go' 2>/dev/null)

.PHONY: wasm wasm-size icons tti figures

wasm: $(WASM) $(WASM).gz $(if $(BROTLI),$(WASM).br)

# The version is baked into the binary, so a new VERSION rebuilds it.
$(WEB_DIR)/.version: FORCE
	@echo '$(VERSION)' | cmp -s - $@ || echo '$(VERSION)' > $@

# Stale siblings go first: without brotli an old .br would outlive a new
# build. Each file is written aside and renamed into place, so a server
# reading web/ never serves a half-written one.
$(WASM): $(WASM_SRC) $(WEB_DIR)/.version
	rm -f $@.gz $@.br
	GOOS=js GOARCH=wasm go build -trimpath -ldflags='$(WASM_LDFLAGS)' -o $@.tmp ./wasm
	mv -f $@.tmp $@

$(WASM).gz: $(WASM)
	gzip -9 -n -c $< > $@.tmp
	mv -f $@.tmp $@

$(WASM).br: $(WASM)
	@echo "compressing app.wasm with brotli -q 11 (about a minute, once per build)"
	brotli -q 11 -c $< > $@.tmp
	mv -f $@.tmp $@

wasm-size: wasm
	@for f in $(WASM) $(WASM).gz $(WASM).br; do \
		[ -f $$f ] && printf '%-24s %9d bytes\n' $$f $$(wc -c < $$f); \
	done; true

icons:
	go run ./tools/icons -out $(WEB_DIR)

# TTI_RUNS loads of each kind; tools/tti says what it measures and how.
TTI_RUNS ?= 7
tti: bin/hark
	go run ./tools/tti -server bin/hark -web $(WEB_DIR) -runs $(TTI_RUNS)

# The figures are screenshots the browser tests take (figure-*.png).
figures: wasm
	go test -count=1 -run '^(TestLookAndAudit|TestPhoneLayout|TestRoomOwner)$$' ./e2e/
	cp e2e/screenshots/figure-chat.png docs/chat.png
	cp e2e/screenshots/figure-phone.png docs/phone.png
	cp e2e/screenshots/figure-dark.png docs/dark.png
	cp e2e/screenshots/figure-rooms.png docs/rooms.png

.PHONY: FORCE
FORCE:
