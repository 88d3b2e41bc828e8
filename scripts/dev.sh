#!/usr/bin/env bash
# Developer entry point. On a fresh Debian 12 (as root, or via sudo):
#
#   scripts/dev.sh run [sealogd args...]  deps, Release build into build/,
#                                         then exec build/bin/sealogd
#   scripts/dev.sh test                   deps + test clients, build, whole
#                                         CTest suite, then again under
#                                         ASan+UBSan in build-asan/
#
# Environment: JOBS (parallel build/test jobs, default nproc),
# SEALOG_SKIP_ASAN=1 (skip the sanitizer pass, for quick local loops),
# SEALOG_SLOW=1 (also run the tests labelled slow: long crash/fault runs).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JOBS="${JOBS:-$(nproc)}"
export DEBIAN_FRONTEND=noninteractive

BUILD_DEPS=(cmake gcc make pkg-config liburing-dev liblmdb-dev
	libsasl2-dev libsasl2-modules libssl-dev zlib1g-dev libsnappy-dev
	liblz4-dev libzstd-dev librdkafka-dev python3)
TEST_DEPS=(kcat python3-confluent-kafka python3-kafka python3-snappy python3-lz4
	python3-zstandard)
NODE_DEPS=(nodejs npm)

log() { printf '==> %s\n' "$*" >&2; }

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo "$@"
	else
		log "need root (or sudo) to run: $*"
		return 1
	fi
}

# Packages from the list that are not installed (dpkg-query says so).
missing_pkgs() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q "install ok installed" || printf '%s\n' "$p"
	done
}

install_pkgs() {
	local missing
	mapfile -t missing < <(missing_pkgs "$@")
	[ "${#missing[@]}" -eq 0 ] && return 0
	log "installing: ${missing[*]}"
	as_root apt-get update
	as_root apt-get install -y --no-install-recommends "${missing[@]}"
}

# node/npm may come from elsewhere (nodesource, nvm): keep what works.
install_node() {
	if command -v node >/dev/null && command -v npm >/dev/null; then
		return 0
	fi
	install_pkgs "${NODE_DEPS[@]}"
}

install_kafkajs() {
	log "npm ci (kafkajs) in tests/interop/node"
	(cd "$ROOT/tests/interop/node" &&
		npm ci --no-audit --no-fund --loglevel=error)
}

build() { # build <dir> [cmake args...]
	local dir="$1"
	shift
	cmake -S "$ROOT" -B "$ROOT/$dir" "$@"
	cmake --build "$ROOT/$dir" -j "$JOBS"
}

run_suite() { # run_suite <dir>
	local filter=(-LE slow)
	[ "${SEALOG_SLOW:-0}" = 1 ] && filter=()
	log "ctest in $1 ${filter[*]}"
	(cd "$ROOT/$1" && ctest --output-on-failure -j "$JOBS" "${filter[@]}")
}

cmd_run() {
	install_pkgs "${BUILD_DEPS[@]}"
	build build -DCMAKE_BUILD_TYPE=Release
	exec "$ROOT/build/bin/sealogd" "$@"
}

cmd_test() {
	local rc=0
	install_pkgs "${BUILD_DEPS[@]}" "${TEST_DEPS[@]}"
	install_node
	install_kafkajs
	build build -DCMAKE_BUILD_TYPE=Release
	run_suite build || rc=1
	if [ "${SEALOG_SKIP_ASAN:-0}" != 1 ]; then
		build build-asan -DCMAKE_BUILD_TYPE=Debug -DSEALOG_SANITIZE=ON
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
			run_suite build-asan || rc=1
	fi
	if [ "$rc" -eq 0 ]; then
		log "all tests passed"
	else
		log "tests FAILED"
	fi
	return "$rc"
}

usage() {
	echo "usage: scripts/dev.sh run [sealogd args...] | test" >&2
	exit 2
}

main() {
	[ $# -ge 1 ] || usage
	local sub="$1"
	shift
	case "$sub" in
	run) cmd_run "$@" ;;
	test) cmd_test ;;
	*) usage ;;
	esac
}

main "$@"
