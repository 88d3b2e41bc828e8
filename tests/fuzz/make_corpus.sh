#!/bin/sh
# make_corpus.sh - fuzz from fresh seeds and rewrite the committed corpus.
#
# Usage: tests/fuzz/make_corpus.sh BUILD FUZZ_BUILD [SECONDS]
#   BUILD       a normal build of this tree (provides bin/fuzz_seed)
#   FUZZ_BUILD  a clang build with -DSEALOG_FUZZ=ON -DSEALOG_SANITIZE=ON
#               (provides bin/fuzz_request and bin/fuzz_batch)
#   SECONDS     fuzzing time per target (default 180)
#
# Steps per target: seeds (fuzz_seed) + the current corpus -> libFuzzer
# for SECONDS -> merge (coverage-minimise) into a fresh directory, which
# starts with the newest-version seed of every API and direction so the
# replay always touches every message -> replace tests/fuzz/corpus/<t>.
# A crash stops the script; libFuzzer leaves crash-* in the current
# directory. Fix the bug, copy the file into tests/fuzz/corpus/<t>/.
set -eu

[ $# -ge 2 ] || { sed -n '3,11p' "$0"; exit 2; }
build=$1
fuzz_build=$2
secs=${3:-180}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/seed/request" "$work/seed/batch"
"$build/bin/fuzz_seed" "$work/seed/request" "$work/seed/batch"

for t in request batch; do
	mkdir -p "$work/run-$t" "$work/final-$t"
	cp "$work/seed/$t/"* "$work/run-$t/"
	if [ -d "$here/corpus/$t" ]; then
		find "$here/corpus/$t" -type f -exec cp {} "$work/run-$t/" \;
	fi
	"$fuzz_build/bin/fuzz_$t" -max_total_time="$secs" -use_value_profile=1 \
		-max_len=4096 -print_final_stats=1 "$work/run-$t"
	if [ "$t" = request ]; then
		# newest version of each "<key>-<req|resp>" seed
		ls "$work/seed/request" | grep -E '^[0-9]+-(req|resp)-v[0-9]+$' |
			sort -r | awk -F-v '!seen[$1]++' |
			while read -r f; do
				cp "$work/seed/request/$f" "$work/final-$t/"
			done
	else
		cp "$work/seed/batch/"* "$work/final-$t/"
	fi
	"$fuzz_build/bin/fuzz_$t" -merge=1 "$work/final-$t" "$work/run-$t"
	rm -rf "$here/corpus/$t"
	mkdir -p "$here/corpus/$t"
	cp "$work/final-$t/"* "$here/corpus/$t/"
	echo "corpus/$t: $(ls "$here/corpus/$t" | wc -l) files"
done
du -sh "$here/corpus"
