# Load generator and benchmarks: included by the Makefile.
#
#   make bench            the default profile (about 80 s): every scenario at
#                         1,000 clients over the ws/sse/poll mix, then the
#                         table; BENCH_JSON=file also writes it as JSON
#   make bench-go         the hot-path benchmarks (go test -bench: fan-out, writes,
#                         the client's event decoding), 5 runs each,
#                         ready for benchstat
#   make bench-10k        the scenarios at 10,000 clients (a few minutes)
#   make bench-store      the default profile twice, same run: -store memory,
#                         then the durable default (embedded JetStream);
#                         BENCH_JSON=x.json keeps the memory run in
#                         x-memory.json
#   make bench-peer       the peer table: WebSocket and SSE alone, on the
#                         figures other servers are compared on (idle KiB
#                         per connection at 10,000; deliveries per CPU-s and
#                         p99 at 1,000 x 100/s; highest rate with p99 <= 100
#                         ms; p99 at 10,000 x 10/s), about 5 minutes;
#                         BENCH_FLAGS=-repeat=3 measures it three times and
#                         prints each figure's median and range
#   make bench-cluster    the default profile on two Hark nodes sharing a
#                         three-server NATS cluster (-nodes 2), CPU and RSS
#                         summed over all five processes
#
# The server binary is built without the web app: the load generator never
# asks for app.wasm, so bench does not depend on the wasm build.

BENCH_BIN      ?= bin/hark-bench
BENCH_ADDR     ?= 127.0.0.1:18080
BENCH_FLAGS    ?=
BENCH_JSON     ?=
BENCH_COUNT    ?= 5

.PHONY: bench bench-go bench-10k bench-store bench-cluster bench-peer $(BENCH_BIN)

$(BENCH_BIN):
	$(GO) build -trimpath -o $@ ./server

# BENCH_RUN runs the load generator against a fresh server; BENCH_FLAGS
# comes last on each line, so it overrides the profile's flags.
BENCH_CMD = $(GO) run ./bench/load -spawn $(BENCH_BIN) -addr $(BENCH_ADDR)
BENCH_RUN = $(BENCH_CMD) $(if $(BENCH_JSON),-json $(BENCH_JSON))

## bench: run the default load profile against a fresh server and print the table
bench: $(BENCH_BIN)
	$(BENCH_RUN) -n 1000 -rate 100 -duration 6s -drain 3s -idle-wait 2s $(BENCH_FLAGS)

## bench-store: the default profile in memory, then durable, in one run
bench-store: $(BENCH_BIN)
	$(BENCH_CMD) $(if $(BENCH_JSON),-json $(basename $(BENCH_JSON))-memory.json) -n 1000 -rate 100 -duration 6s -drain 3s -idle-wait 2s -server-args "-store memory" $(BENCH_FLAGS)
	$(BENCH_RUN) -n 1000 -rate 100 -duration 6s -drain 3s -idle-wait 2s $(BENCH_FLAGS)

## bench-cluster: the default profile on two nodes and a NATS cluster
bench-cluster: $(BENCH_BIN)
	$(BENCH_RUN) -n 1000 -rate 100 -duration 6s -drain 3s -idle-wait 2s -nodes 2 $(BENCH_FLAGS)

## bench-peer: the peer table, each transport alone
bench-peer: $(BENCH_BIN)
	$(BENCH_RUN) -peer -duration 6s -drain 3s -idle-wait 2s $(BENCH_FLAGS)

## bench-10k: the scenarios at 10,000 clients, 10 broadcasts a second
bench-10k: $(BENCH_BIN)
	$(BENCH_RUN) -n 10000 -rate 10 -duration 10s -drain 10s $(BENCH_FLAGS)

## bench-go: the hot-path benchmarks, benchstat-friendly
bench-go:
	$(GO) test -run '^$$' -bench . -benchmem -count $(BENCH_COUNT) ./server/chat ./server/api ./app/protocol
