#!/usr/bin/env bash
# Build the sealog image with podman and smoke-test it, on Debian 12 as
# root, where no container registry may be reachable (only Debian's
# archive): the debian:bookworm-slim base is made locally with debootstrap.
#
#   scripts/container.sh            build localhost/sealog:dev, run, probe
#   IMAGE=sealog:x scripts/container.sh
#
# The smoke test runs the image with default security options (so the
# io_uring fallback is exercised wherever seccomp refuses io_uring), then
# with kcat: metadata, produce, consume; then the health check; then
# podman stop must end the broker with exit status 0 well within 10 s.
set -euo pipefail

IMAGE=${IMAGE:-localhost/sealog:dev}
PORT=${PORT:-19092}
NAME=sealog-smoke-$$
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BASE=docker.io/library/debian:bookworm-slim
CONF=/etc/containers/containers.conf

log() { printf '==> %s\n' "$*" >&2; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
cleanup() { podman rm -f -t 0 "$NAME" >/dev/null 2>&1 || true; }
trap cleanup EXIT

[ "$(id -u)" = 0 ] || fail "run as root (rootful podman)"
export DEBIAN_FRONTEND=noninteractive

install() {
	command -v podman >/dev/null && command -v debootstrap >/dev/null &&
		command -v kcat >/dev/null && return 0
	log "installing podman, debootstrap, kcat"
	apt-get update -qq
	apt-get install -y -qq podman buildah runc uidmap slirp4netns \
		debootstrap kcat >/dev/null
}

# The two settings these VMs need (../shared/reference/containers.md):
# runc (crun refuses the hybrid cgroup layout) and ulimits root can set.
configure() {
	[ -e "$CONF" ] && return 0
	local nofile nproc
	nofile=$(ulimit -Hn)
	nproc=$(ulimit -Hu)
	[ "$nofile" = unlimited ] && nofile=1048576
	[ "$nproc" = unlimited ] && nproc=$(cat /proc/sys/kernel/pid_max)
	mkdir -p /etc/containers
	cat > "$CONF" <<EOF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
}

mirror() {
	{ grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null |
		awk '{print $2}'
	  grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}'
	} | grep -v -- -security | head -n1
}

base_image() {
	podman image exists "$BASE" && return 0
	local rootfs m
	rootfs=$(mktemp -d)
	m=$(mirror)
	log "debootstrap bookworm from ${m:-deb.debian.org}"
	debootstrap --variant=minbase bookworm "$rootfs" \
		"${m:-http://deb.debian.org/debian}" >/dev/null
	rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin
	: > "$rootfs/etc/resolv.conf"
	tar --numeric-owner -C "$rootfs" -c . |
		podman import --change 'CMD ["bash"]' - localhost/debian:bookworm-slim >/dev/null
	podman tag localhost/debian:bookworm-slim "$BASE"
	rm -rf "$rootfs"
}

smoke() {
	local t0 rc
	log "run $IMAGE (default security options)"
	podman run -d --name "$NAME" -p "127.0.0.1:$PORT:9092" \
		-e KAFKA_ADVERTISED_LISTENERS="PLAINTEXT://127.0.0.1:$PORT" \
		-e KAFKA_LISTENERS=PLAINTEXT://0.0.0.0:9092 "$IMAGE" >/dev/null
	for _ in $(seq 1 60); do
		podman logs "$NAME" 2>&1 | grep -q 'Kafka Server started' && break
		sleep 0.5
	done
	podman logs "$NAME" 2>&1 | grep -q 'Kafka Server started' ||
		{ podman logs "$NAME" 2>&1 | tail -20; fail "broker not ready"; }
	kcat -b "127.0.0.1:$PORT" -L -m 10 | grep -q '1 brokers' || fail "metadata"
	echo "smoke-$$" | kcat -b "127.0.0.1:$PORT" -t smoke -P -m 10 || fail "produce"
	kcat -b "127.0.0.1:$PORT" -t smoke -C -e -m 10 | grep -q "smoke-$$" ||
		fail "consume"
	podman exec "$NAME" /usr/local/bin/sealog-probe 127.0.0.1:9092 ||
		fail "health check"
	t0=$(date +%s)
	podman stop -t 10 "$NAME" >/dev/null
	rc=$(podman inspect -f '{{.State.ExitCode}}' "$NAME")
	[ "$rc" = 0 ] || fail "exit status $rc after podman stop"
	[ $(($(date +%s) - t0)) -lt 8 ] || fail "stop took too long"
	podman logs "$NAME" 2>&1 | grep -E 'io_uring|epoll' | head -2 || true
}

install
configure
base_image
log "podman build -t $IMAGE"
podman build --pull=never --format docker -t "$IMAGE" "$ROOT"
smoke
log "container smoke test passed"
