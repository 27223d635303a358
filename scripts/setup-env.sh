#!/usr/bin/env bash
# Prepares a Debian 12 machine for cutover's integration tests: the packages,
# a running Docker engine and two local registries. Safe to re-run: every step
# first checks whether its work is already done.
#
#   scripts/setup-env.sh          packages, engine and registries (make test)
#   scripts/setup-env.sh engine   packages and engine only (make run)
set -euo pipefail

mode="${1:-all}"
case "$mode" in
all | engine) ;;
*)
	echo "usage: $0 [engine]" >&2
	exit 2
	;;
esac

# Config files are referenced relative to the repository, wherever it is
# cloned and whatever the caller's working directory.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

log() { echo "setup-env: $*" >&2; }

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	else
		sudo "$@"
	fi
}

ensure_packages() {
	# Map each command we rely on to the Debian package that provides it.
	local missing=()
	command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
	command -v docker >/dev/null 2>&1 || missing+=(docker.io)
	command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
	command -v jq >/dev/null 2>&1 || missing+=(jq)
	command -v curl >/dev/null 2>&1 || missing+=(curl)
	command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
	command -v chromium >/dev/null 2>&1 || missing+=(chromium)
	if [ "${#missing[@]}" -eq 0 ]; then
		return
	fi
	# Deduplicate: docker.io may be listed twice.
	mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
	log "installing ${missing[*]}"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
}

# await WHAT PID LOG SECONDS CHECK... waits until the command CHECK succeeds,
# for at most SECONDS. A process PID that exited will not come up: that is
# said at once, with the last lines of its LOG, and so is a timeout.
await() {
	local what="$1" pid="$2" logfile="$3" seconds="$4" i
	shift 4
	for i in $(seq 1 "$seconds"); do
		if "$@"; then
			log "$what is up after ${i}s"
			return
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			break
		fi
		sleep 1
	done
	log "$what did not come up; last lines of $logfile:"
	tail -n 30 "$logfile" >&2 || true
	exit 1
}

containerd_sock=/run/containerd/containerd.sock

containerd_up() {
	as_root ctr --address "$containerd_sock" version >/dev/null 2>&1
}

# ensure_containerd starts containerd on its own rather than letting dockerd
# spawn one: dockerd gives its child only 15 s to come up, and a containerd
# that first has to clean up hundreds of shims left by a killed engine needs
# longer than that.
ensure_containerd() {
	if containerd_up; then
		return
	fi
	log "starting containerd (log: /tmp/cutover-containerd.log)"
	as_root setsid nohup containerd >/tmp/cutover-containerd.log 2>&1 </dev/null &
	await containerd $! /tmp/cutover-containerd.log 180 containerd_up
}

ensure_engine() {
	if docker_up; then
		return
	fi
	ensure_containerd
	log "starting dockerd (log: /tmp/cutover-dockerd.log)"
	# setsid+nohup detach dockerd from this shell so it outlives make and CI steps.
	as_root setsid nohup dockerd --host unix:///var/run/docker.sock --containerd "$containerd_sock" \
		>/tmp/cutover-dockerd.log 2>&1 </dev/null &
	await dockerd $! /tmp/cutover-dockerd.log 180 docker_up
}

docker_up() {
	docker info >/dev/null 2>&1
}

# http_status prints the status code of GET url, or 000 when nothing answers.
http_status() {
	curl -s -o /dev/null -m 2 -w '%{http_code}' "$1" || true
}

# registry_up ADDR CODE tells whether a registry answers /v2/ at ADDR with
# CODE: the auth registry answers 401 to a client that has not logged in.
registry_up() {
	[ "$(http_status "http://$1/v2/")" = "$2" ]
}

# start_registry NAME ADDR CODE starts the registry configured by
# ci/registry/NAME.yml unless one already answers at ADDR.
start_registry() {
	local name="$1" addr="$2" code="$3"
	local conf="/tmp/cutover-registry-$name.yml"
	local logfile="/tmp/cutover-registry-$name.log"
	if registry_up "$addr" "$code"; then
		return
	fi
	mkdir -p "/tmp/cutover-registry-$name"
	# The registry runs from a config (and htpasswd) copied out of the
	# repository with absolute paths, so it does not depend on its working
	# directory and keeps working after the clone it was started from is
	# deleted (CI clones afresh for every run).
	local htpasswd="/tmp/cutover-registry-$name.htpasswd"
	cp "$root/ci/registry/htpasswd" "$htpasswd"
	sed "s#path: ci/registry/htpasswd#path: $htpasswd#" "$root/ci/registry/$name.yml" >"$conf"
	log "starting $name registry on $addr (log: $logfile)"
	setsid nohup docker-registry serve "$conf" >>"$logfile" 2>&1 </dev/null &
	await "$name registry on $addr" $! "$logfile" 30 registry_up "$addr" "$code"
}

ensure_packages
ensure_engine
if [ "$mode" = all ]; then
	start_registry plain 127.0.0.1:5000 200
	start_registry auth 127.0.0.1:5001 401
	log "ready: engine, registries on 127.0.0.1:5000 (plain) and 127.0.0.1:5001 (auth)"
else
	log "ready: engine"
fi
