#!/usr/bin/env bash
# run-fuzzers.sh BUILD SECONDS - run every libFuzzer target of BUILD (a tree
# configured with SM_FUZZ=ON) for SECONDS each, side by side, starting from
# the committed corpus and regression inputs.  New inputs go to a scratch
# corpus in BUILD/fuzz, never into the repository.  Fails when a target
# finds a crash, a leak or a broken invariant; the input is left in
# BUILD/fuzz/<target>-crash-* (tests/fuzz/README.md says what to do with it).
set -euo pipefail
build=$1
secs=$2
src="$(cd "$(dirname "$0")" && pwd)"
out="$build/fuzz"
targets=(frame dispatch)

mkdir -p "$out"
pids=()
for t in "${targets[@]}"; do
  mkdir -p "$out/corpus-$t"
  "$build/tests/fuzz_$t" -max_total_time="$secs" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$out/$t-" \
    "$out/corpus-$t" "$src/corpus/$t" "$src/regress/$t" >"$out/$t.log" 2>&1 &
  pids+=($!)
done

failed=0
for i in "${!targets[@]}"; do
  t=${targets[$i]}
  if wait "${pids[$i]}"; then
    echo "fuzz_$t: $(grep -E '^stat::number_of_executed_units' "$out/$t.log" | awk '{print $2}') inputs in ${secs} s, nothing found"
  else
    failed=1
    echo "fuzz_$t: FAILED -- last lines of $out/$t.log:"
    tail -n 60 "$out/$t.log"
    ls "$out/$t"-* 2>/dev/null | sed 's/^/fuzz: input to add to tests\/fuzz\/regress\/'"$t"'\/: /' || true
  fi
done
exit $failed
