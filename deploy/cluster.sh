#!/usr/bin/env bash
# cluster.sh: a three-server NATS cluster and two Hark nodes on this
# machine, to try Hark as a cluster.
#
#   deploy/cluster.sh up           build, start everything, print the URLs
#   deploy/cluster.sh status       what is running
#   deploy/cluster.sh down         stop everything (the data stays)
#   deploy/cluster.sh down --wipe  stop everything and delete the data (or: wipe)
#
# NATS: servers n1..n3 of the cluster "hark", client ports 4222-4224,
# cluster ports 6222-6224, monitoring 8222-8224, JetStream stores in
# deploy/.cluster/n1..n3. Hark: 127.0.0.1:8081 and :8082. Logs (appended
# to at each start) and pid files in deploy/.cluster/. Everything listens
# on 127.0.0.1 only. nats-server is built from the Go module this project
# depends on, never downloaded.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=deploy/.cluster
nats_urls=nats://127.0.0.1:4222,nats://127.0.0.1:4223,nats://127.0.0.1:4224
routes=nats://127.0.0.1:6222,nats://127.0.0.1:6223,nats://127.0.0.1:6224
all=(n1 n2 n3 hark1 hark2)

# running NAME: NAME's pid file names a live process that is still ours
# (not a pid reused since, nor a zombie).
running() {
	local pid
	[ -f "$dir/$1.pid" ] || return 1
	pid=$(cat "$dir/$1.pid")
	case $(ps -o args= -p "$pid" 2>/dev/null) in
	./bin/nats-server\ * | ./bin/hark\ *) return 0 ;;
	*) return 1 ;;
	esac
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# start NAME COMMAND...: in the background, logging to NAME.log.
start() {
	local name=$1
	shift
	echo "--- $(date '+%F %T') $*" >>"$dir/$name.log"
	"$@" >>"$dir/$name.log" 2>&1 </dev/null &
	echo $! >"$dir/$name.pid"
}

# wait_healthy NAME URL SECONDS
wait_healthy() {
	local end=$((SECONDS + $3))
	until curl -fsS -m 2 -o /dev/null "$2" 2>/dev/null; do
		if ! running "$1"; then
			echo "cluster: $1 exited; the end of $dir/$1.log:" >&2
			tail -n 5 "$dir/$1.log" >&2
			return 1
		fi
		if [ "$SECONDS" -ge "$end" ]; then
			echo "cluster: $1 not healthy after $3 s ($2); see $dir/$1.log" >&2
			return 1
		fi
		sleep 0.2
	done
}

urls() {
	cat <<MSG
  http://127.0.0.1:8081/
  http://127.0.0.1:8082/
NATS at $nats_urls; data and logs in $dir/.
Stop with: make cluster-down (the data stays; deploy/cluster.sh down --wipe deletes it)
MSG
}

up() {
	local p i port on=()
	mkdir -p "$dir"
	for p in "${all[@]}"; do if running "$p"; then on+=("$p"); fi; done
	if [ ${#on[@]} -eq ${#all[@]} ]; then
		echo "cluster: already up:"
		urls
		return 0
	elif [ ${#on[@]} -gt 0 ]; then
		echo "cluster: partly up (${on[*]} running): deploy/cluster.sh down, then up" >&2
		exit 1
	fi
	for port in 4222 4223 4224 6222 6223 6224 8222 8223 8224 8081 8082; do
		if port_busy "$port"; then
			echo "cluster: 127.0.0.1:$port is already in use by another process; stop it first" >&2
			exit 1
		fi
	done

	echo "cluster: building bin/nats-server and bin/hark"
	go build -o bin/nats-server github.com/nats-io/nats-server/v2
	make --no-print-directory build >/dev/null

	echo "cluster: starting NATS n1..n3"
	for i in 1 2 3; do
		start "n$i" ./bin/nats-server -n "n$i" -a 127.0.0.1 -p $((4221 + i)) -m $((8221 + i)) \
			-js -sd "$dir/n$i" --cluster_name hark --cluster "nats://127.0.0.1:$((6221 + i))" \
			--routes "$routes"
	done
	# The full health check: JetStream is on, a meta leader is elected and
	# the streams already there are current.
	for i in 1 2 3; do
		wait_healthy "n$i" "http://127.0.0.1:$((8221 + i))/healthz" 60 || fail
	done

	# One node after the other: the first makes the stream and the buckets.
	# Two nodes racing to make them on a new cluster both get there, but
	# the loser waits out a 5 s timeout or two first.
	for i in 1 2; do
		echo "cluster: starting Hark node $i on 127.0.0.1:$((8080 + i))"
		start "hark$i" ./bin/hark -addr "127.0.0.1:$((8080 + i))" -web web -nats "$nats_urls"
		# A node tries the NATS cluster for a minute before giving up.
		wait_healthy "hark$i" "http://127.0.0.1:$((8080 + i))/healthz" 70 || fail
	done
	echo "cluster: up. One chat, two doors:"
	urls
}

fail() {
	echo "cluster: up failed; stopping what it started (logs stay in $dir)" >&2
	stop hark1 hark2 >&2 || true
	stop n1 n2 n3 >&2 || true
	exit 1
}

# stop NAME...: SIGTERM, then up to 15 s each to exit.
stop() {
	local p left=0
	for p; do if running "$p"; then kill "$(cat "$dir/$p.pid")"; fi; done
	for p; do
		for _ in $(seq 1 75); do running "$p" || break; sleep 0.2; done
		if running "$p"; then
			echo "cluster: $p (pid $(cat "$dir/$p.pid")) is still running after 15 s" >&2
			left=1
		else
			rm -f "$dir/$p.pid"
		fi
	done
	return $left
}

down() {
	local p any='' ok=1
	for p in "${all[@]}"; do if running "$p"; then any=1; fi; done
	# Hark first, so that it closes its streams while NATS is still there.
	stop hark1 hark2 || ok=
	stop n1 n2 n3 || ok=
	if [ -z "$ok" ]; then
		echo "cluster: not everything stopped (see above); nothing deleted" >&2
		exit 1
	fi
	if [ "${1:-}" = --wipe ]; then
		rm -rf "$dir"
		echo "cluster: ${any:+down, and }data deleted ($dir)"
	elif [ -n "$any" ]; then
		echo "cluster: down; the data stays in $dir (deploy/cluster.sh down --wipe deletes it)"
	else
		echo "cluster: nothing was running"
	fi
}

status() {
	local p port
	for p in "${all[@]}"; do
		case $p in
		n*) port=$((8221 + ${p#n})) ;;
		hark*) port=$((8080 + ${p#hark})) ;;
		esac
		if ! running "$p"; then
			echo "$p: stopped"
		elif curl -fsS -m 2 -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null; then
			echo "$p: running (pid $(cat "$dir/$p.pid")), healthy"
		else
			echo "$p: running (pid $(cat "$dir/$p.pid")), NOT healthy (see $dir/$p.log)"
		fi
	done
}

case "${1:-}" in
up) up ;;
down)
	case "${2:-}" in
	'' | --wipe) down "${2:-}" ;;
	*) echo "usage: $0 down [--wipe]" >&2; exit 2 ;;
	esac
	;;
wipe) down --wipe ;;
status) status ;;
*) echo "usage: $0 up | status | down [--wipe] | wipe" >&2; exit 2 ;;
esac
