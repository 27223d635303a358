#!/usr/bin/env bash
# Prepares a Debian 12 machine for cutover's integration tests: the packages,
# a running Docker engine and two local registries, a current Docker engine
# beside Debian's and Compose v2. Safe to re-run: every step first checks
# whether its work is already done.
#
#   scripts/setup-env.sh          all of it (make test)
#   scripts/setup-env.sh engine   packages and Debian's engine only (make run)
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
	# ssh:// engines go through the ssh client, as with the Docker CLI.
	command -v ssh >/dev/null 2>&1 || missing+=(openssh-client)
	if [ "$mode" = all ]; then
		# runc builds with cgo.
		command -v gcc >/dev/null 2>&1 || missing+=(gcc libc6-dev)
	fi
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

# clear_pidfile PIDFILE WHAT UP makes way for a new dockerd that will write
# PIDFILE. A dockerd that refuses to start because "the process in its
# pidfile is still running" is most often racing an engine of the last run
# that is still shutting down, or a recycled pid. An engine that is still
# ours is given a minute to answer (UP) or to finish exiting, then stopped;
# a pid that now belongs to another program only leaves a stale file.
clear_pidfile() {
	local pidfile="$1" what="$2" up="$3" pid i
	pid=$(cat "$pidfile" 2>/dev/null) || return 0
	if ! kill -0 "$pid" 2>/dev/null || ! tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q dockerd; then
		as_root rm -f "$pidfile"
		return 0
	fi
	log "$what (pid $pid) is still running and not answering: waiting for it"
	for i in $(seq 1 60); do
		kill -0 "$pid" 2>/dev/null || { as_root rm -f "$pidfile"; return 0; }
		if "$up"; then
			return 1
		fi
		sleep 1
	done
	log "stopping $what (pid $pid), which neither answered nor exited within 60s"
	as_root kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 1 30); do
		kill -0 "$pid" 2>/dev/null || { as_root rm -f "$pidfile"; return 0; }
		sleep 1
	done
	as_root kill -KILL "$pid" 2>/dev/null || true
	sleep 1
	as_root rm -f "$pidfile"
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
	clear_pidfile /var/run/docker.pid dockerd docker_up || return 0
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

# Binaries built from the Go module proxy are kept here, outside any clone,
# by module version: CI clones afresh on this machine and must not rebuild
# them every run, and a version bump builds into a new directory.
cache=/opt/cutover-engines

# go_build MODULE VERSION OUT CGO TAGS PKG builds the package PKG (./cmd/x)
# of MODULE@VERSION into OUT unless OUT exists. The module is built from a
# writable copy of its download, with its own go.mod: go install refuses
# modules with replace or exclude directives.
go_build() {
	local module="$1" version="$2" out="$3" cgo="$4" tags="$5" pkg="$6" ldflags="${7:-}"
	if [ -x "$out" ]; then
		return
	fi
	log "building $module@$version $pkg into $out (once; a few minutes)"
	local dir
	dir=$(go mod download -json "$module@$version" | jq -r .Dir)
	if [ -z "$dir" ] || [ "$dir" = null ]; then
		log "go mod download $module@$version gave no directory"
		exit 1
	fi
	as_root mkdir -p "$(dirname "$out")"
	# In a subshell, for its EXIT trap. Built under a temporary name and
	# moved: an interrupted build leaves nothing that looks finished.
	(
		work=$(mktemp -d)
		trap 'rm -rf "$work"' EXIT
		cp -r "$dir" "$work/src"
		chmod -R u+w "$work/src"
		cd "$work/src"
		CGO_ENABLED="$cgo" go build -trimpath -buildvcs=false \
			-tags "$tags" -ldflags "$ldflags" -o "$work/out" "$pkg"
		as_root mv "$work/out" "$out"
	)
}

# The current engine: dockerd of the newest moby release the module proxy
# has (API 1.56, containerd image store), with a runc new enough for it, on
# Debian's containerd (../shared/modern-engine.md has the recipe). Tests
# reach it at modern_host; internal/testenv knows these paths too.
moby_version=v2.0.0-beta.24
runc_version=v1.5.3
moby_dir="$cache/moby-$moby_version"
runc_bin="$cache/runc-$runc_version/runc"
modern_run=/run/cutover-modern
modern_host="unix://$modern_run/docker.sock"
modern_log=/tmp/cutover-modern-dockerd.log
# Its own bridge and address pool, away from Debian's engine's (172.17.0.0/16
# and up, 192.168.0.0/16) and from the ranges tests pick (10.213-10.215).
modern_bridge=cutmodern0
modern_bridge_addr=10.216.0.1/24
modern_pool=10.217.0.0/16

modern_up() {
	DOCKER_HOST="$modern_host" docker info >/dev/null 2>&1
}

# modern_version prints the version of the current engine that answers.
modern_version() {
	DOCKER_HOST="$modern_host" docker version --format '{{.Server.Version}}' 2>/dev/null
}

# stop_modern stops a current engine of another version, by the pidfile it
# was started with, so the new version takes its place.
stop_modern() {
	local pid i
	pid=$(cat "$modern_run/docker.pid" 2>/dev/null) || return 0
	log "stopping the current dockerd $(modern_version) (pid $pid) for $moby_version"
	as_root kill -TERM "$pid" 2>/dev/null || return 0
	for i in $(seq 1 60); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 1
	done
	log "the current dockerd (pid $pid) did not stop within 60s"
	exit 1
}

build_modern() {
	go_build github.com/moby/moby/v2 "$moby_version" "$moby_dir/dockerd" 0 \
		"exclude_graphdriver_btrfs exclude_graphdriver_devicemapper" ./cmd/dockerd \
		"-X github.com/moby/moby/v2/dockerversion.Version=${moby_version#v} -X github.com/moby/moby/v2/dockerversion.GitCommit=$moby_version"
	go_build github.com/moby/moby/v2 "$moby_version" "$moby_dir/docker-proxy" 0 "" ./cmd/docker-proxy
	# Debian's runc 1.1 lacks the time namespace the current engine asks for.
	# Built without the seccomp tag, hence --seccomp-profile unconfined below.
	go_build github.com/opencontainers/runc "$runc_version" "$runc_bin" 1 "" .
}

# ensure_modern_bridge creates the current engine's bridge, as
# internal/testenv/engine.go does for private engines: a dockerd without
# one of its own (--bridge none) deletes docker0, Debian's engine's bridge.
ensure_modern_bridge() {
	if ! ip link show "$modern_bridge" >/dev/null 2>&1; then
		as_root ip link add "$modern_bridge" type bridge
	fi
	if ! ip -4 addr show dev "$modern_bridge" | grep -q "inet $modern_bridge_addr"; then
		as_root ip addr add "$modern_bridge_addr" dev "$modern_bridge"
	fi
	as_root ip link set "$modern_bridge" up
	# With --iptables=false the engine adds no rules, and Debian's engine set
	# the FORWARD policy to DROP, which also applies to bridged traffic: let
	# the current engine's containers reach each other, and only them.
	local range
	for range in "${modern_bridge_addr%.*}.0/24" "$modern_pool"; do
		if ! as_root iptables -C FORWARD -s "$range" -d "$range" -j ACCEPT 2>/dev/null; then
			as_root iptables -I FORWARD -s "$range" -d "$range" -j ACCEPT
		fi
	done
}

ensure_modern() {
	if modern_up; then
		if [ "$(modern_version)" = "${moby_version#v}" ]; then
			return
		fi
		build_modern
		stop_modern
	fi
	build_modern
	clear_pidfile "$modern_run/docker.pid" "the current dockerd" modern_up || return 0
	ensure_containerd
	ensure_modern_bridge
	as_root mkdir -p "$modern_run" /var/lib/cutover-modern
	log "starting the current dockerd $moby_version on $modern_host (log: $modern_log)"
	local docker0
	docker0=$(ip -4 -o addr show dev docker0 2>/dev/null | awk '{print $4; exit}')
	# Its own data, state, pidfile, bridge, address pool, cgroup parent and
	# containerd namespaces; no daemon.json, which belongs to Debian's engine.
	# --live-restore is not for its containers' sake: a dockerd restarted
	# with an address pool and without it deletes the interface docker0
	# (Debian's engine's bridge, whatever its own) while clearing its stale
	# default network.
	as_root setsid nohup "$moby_dir/dockerd" \
		--host "$modern_host" \
		--data-root /var/lib/cutover-modern \
		--exec-root "$modern_run/exec" \
		--pidfile "$modern_run/docker.pid" \
		--config-file /dev/null \
		--bridge "$modern_bridge" --default-address-pool "base=$modern_pool,size=24" \
		--iptables=false --ip6tables=false --ip-masq=false --live-restore \
		--cgroup-parent cutover-modern \
		--containerd "$containerd_sock" \
		--containerd-namespace cutover-modern --containerd-plugins-namespace cutover-modern-plugins \
		--add-runtime "cutover-runc=$runc_bin" --default-runtime cutover-runc \
		--seccomp-profile unconfined \
		--userland-proxy-path "$moby_dir/docker-proxy" \
		>>"$modern_log" 2>&1 </dev/null &
	await "current dockerd" $! "$modern_log" 180 modern_up
	if [ -n "$docker0" ] && ! ip link show docker0 >/dev/null 2>&1; then
		log "docker0 vanished as the current dockerd started: putting it back ($docker0); see $modern_log"
		as_root ip link add docker0 type bridge
		as_root ip addr add "$docker0" dev docker0
		as_root ip link set docker0 up
		exit 1
	fi
}

# Compose v2, as a CLI plugin of the docker command: "docker compose". The
# Debian package keeps providing Compose v1 as "docker-compose".
compose_version=v2.40.3
compose_bin="$cache/compose-$compose_version/docker-compose"
compose_plugin=/usr/local/lib/docker/cli-plugins/docker-compose

ensure_compose() {
	if [ "$(readlink "$compose_plugin" 2>/dev/null)" = "$compose_bin" ] && [ -x "$compose_bin" ]; then
		return
	fi
	go_build github.com/docker/compose/v2 "$compose_version" "$compose_bin" 0 "" ./cmd \
		"-X github.com/docker/compose/v2/internal.Version=$compose_version"
	as_root mkdir -p "$(dirname "$compose_plugin")"
	as_root ln -sfn "$compose_bin" "$compose_plugin"
	log "installed Compose $compose_version as $compose_plugin"
}

ensure_packages
ensure_engine
if [ "$mode" = all ]; then
	start_registry plain 127.0.0.1:5000 200
	start_registry auth 127.0.0.1:5001 401
	ensure_modern
	ensure_compose
	log "ready: engine, registries on 127.0.0.1:5000 (plain) and 127.0.0.1:5001 (auth), current engine on $modern_host, $(docker compose version)"
else
	log "ready: engine"
fi
