#!/bin/sh
# config_cli_test.sh - sealogd's exit status and messages for --help,
# --version and configurations that must not start (never starts one).
# Needs SEALOGD (set by sealog_add_script_test); exit 77 without it.
set -u
[ -x "${SEALOGD:-}" ] || { echo "SEALOGD not built"; exit 77; }
command -v timeout >/dev/null || { echo "no timeout(1)"; exit 77; }
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
export SEALOG_CONFIG_FROM_ENV=0
fails=0

# expect <status> <text expected in stdout+stderr> <args...>
expect() {
	want=$1 text=$2
	shift 2
	timeout 10 "$SEALOGD" "$@" >"$dir/out" 2>&1
	got=$?
	if [ "$got" -ne "$want" ] || ! grep -qF -- "$text" "$dir/out"; then
		echo "FAIL: sealogd $* -> $got (want $want, text '$text'):"
		cat "$dir/out"
		fails=$((fails + 1))
	fi
}

printf 'node.id=1\nnum.partitions=zero\n' >"$dir/bad.properties"
printf 'listeners=INTERNAL://:9092\n' >"$dir/map.properties"

expect 0 "Usage: sealogd" --help
expect 0 "sealogd " --version
expect 2 "$dir/missing.properties" "$dir/missing.properties"
expect 2 "Invalid value zero for configuration num.partitions: Not a number of type INT (in $dir/bad.properties line 2)" "$dir/bad.properties"
expect 2 "No security protocol defined for listener INTERNAL" "$dir/map.properties"
expect 2 "from --override" --override node.id=-4
expect 2 "Unknown option --bogus" --bogus
SEALOG_CONFIG_FROM_ENV=1 KAFKA_NODE_ID=x expect 2 "from environment variable KAFKA_NODE_ID"
# Connection caps (broker/conn_limits.h).
expect 2 "If max.connections.per.ip is set to 0, max.connections.per.ip.overrides must be set" \
	--override max.connections.per.ip=0
expect 2 "max.connections.per.ip.overrides: '127.0.0.1' is not host:count" \
	--override max.connections.per.ip.overrides=127.0.0.1
expect 2 "max.connections.per.ip.overrides: '::1:-1' is not host:count" \
	--override "max.connections.per.ip.overrides=127.0.0.1:2,::1:-1"
expect 2 "Invalid value -1 for configuration max.connections" --override max.connections=-1

[ "$fails" -eq 0 ] && echo "all passed"
exit "$fails"
