#!/usr/bin/env bash
# cluster.sh: a three-server NATS cluster and two Hark nodes on this
# machine, to try Hark as a cluster.
#
#   deploy/cluster.sh up      build, start everything, print the URLs
#   deploy/cluster.sh status  what is running
#   deploy/cluster.sh down    stop everything (the data stays)
#   deploy/cluster.sh wipe    stop everything and delete the data
#
# NATS: client ports 4222-4224, cluster ports 6222-6224, monitoring
# 8222-8224, JetStream stores in deploy/.cluster/n1..n3. Hark: 8081 and
# 8082, logs and pid files in deploy/.cluster/. nats-server is built from
# the Go module this project depends on, never downloaded.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=deploy/.cluster
nats_urls=nats://127.0.0.1:4222,nats://127.0.0.1:4223,nats://127.0.0.1:4224
routes=nats://127.0.0.1:6222,nats://127.0.0.1:6223,nats://127.0.0.1:6224

running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

wait_http() { # url what
	for _ in $(seq 1 150); do
		if curl -fsS -o /dev/null "$1" 2>/dev/null; then return 0; fi
		sleep 0.2
	done
	echo "cluster: $2 did not come up ($1); see $dir/*.log" >&2
	return 1
}

up() {
	mkdir -p "$dir"
	if running "$dir/hark1.pid" || running "$dir/n1.pid"; then
		echo "cluster: already up (deploy/cluster.sh status; down to stop)"
		return 0
	fi
	echo "cluster: building nats-server and hark"
	go build -o bin/nats-server github.com/nats-io/nats-server/v2
	make --no-print-directory build >/dev/null
	for i in 1 2 3; do
		./bin/nats-server -n "n$i" -a 127.0.0.1 -p $((4221 + i)) -m $((8221 + i)) \
			-js -sd "$dir/n$i" --cluster_name hark --cluster "nats://127.0.0.1:$((6221 + i))" \
			--routes "$routes" >"$dir/n$i.log" 2>&1 &
		echo $! >"$dir/n$i.pid"
	done
	for i in 1 2 3; do
		wait_http "http://127.0.0.1:$((8221 + i))/healthz?js-enabled-only=true" "NATS n$i"
	done
	for i in 1 2; do
		./bin/hark -addr "127.0.0.1:$((8080 + i))" -web web -nats "$nats_urls" >"$dir/hark$i.log" 2>&1 &
		echo $! >"$dir/hark$i.pid"
	done
	for i in 1 2; do
		wait_http "http://127.0.0.1:$((8080 + i))/healthz" "Hark node $i"
	done
	cat <<MSG
cluster: up. One chat, two doors:
  http://127.0.0.1:8081/
  http://127.0.0.1:8082/
NATS at $nats_urls (data in $dir/n1..n3, logs in $dir/).
Stop with: make cluster-down (the data stays; deploy/cluster.sh wipe removes it)
MSG
}

down() {
	local any=
	for p in hark1 hark2 n1 n2 n3; do
		if running "$dir/$p.pid"; then
			kill "$(cat "$dir/$p.pid")"
			any=1
		fi
	done
	# Wait for them to go, so a following up finds the ports free.
	for p in hark1 hark2 n1 n2 n3; do
		for _ in $(seq 1 50); do running "$dir/$p.pid" || break; sleep 0.1; done
		rm -f "$dir/$p.pid"
	done
	if [ -n "$any" ]; then echo "cluster: down (data kept in $dir)"; else echo "cluster: nothing was running"; fi
}

status() {
	for p in n1 n2 n3 hark1 hark2; do
		if running "$dir/$p.pid"; then echo "$p: running (pid $(cat "$dir/$p.pid"))"; else echo "$p: stopped"; fi
	done
}

case "${1:-}" in
up) up ;;
down) down ;;
status) status ;;
wipe) down; rm -rf "$dir"; echo "cluster: data removed" ;;
*) echo "usage: $0 up|status|down|wipe" >&2; exit 2 ;;
esac
