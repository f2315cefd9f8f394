#!/usr/bin/env bash
# Fuzzes Wharf's parsers with libFuzzer (issue #7): builds `wharf-fuzz` with
# `-sanitize=fuzzer,address` and runs each target for a bounded time on its committed seed corpus
# (fuzz/corpus/TARGET). Prints a Markdown table of executions and coverage per target; a crash or
# a broken invariant stops with the input saved as fuzz/crashes/TARGET-crash-… (turn it into a
# regression by adding it to fuzz/corpus/TARGET: the test suite replays every corpus file).
#
#   scripts/fuzz.sh                      # 10 s per target, every target
#   scripts/fuzz.sh 3600 mp4 range       # an hour each for two targets
#
# Environment: FUZZ_JOBS=N runs N libFuzzer workers per target (default 1); FUZZ_SEED=N fixes
# libFuzzer's random seed (scripts/test.sh uses 1, so the suite's short runs repeat).
# The inputs libFuzzer finds go to a temporary directory, not into the committed corpus; pass
# FUZZ_KEEP=1 to merge the new ones into fuzz/corpus/TARGET (minimised with -merge=1).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds=${1:-10}
shift || true
[[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "fuzz: SECONDS must be a whole number, got '$seconds'" >&2; exit 2; }
all=(http1-head request-target range accept-encoding accept conditional transform-query glob mp4 purge-json tags toml image)
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=("${all[@]}")
for t in "${targets[@]}"; do
  [[ -d fuzz/corpus/$t ]] || { echo "fuzz: unknown target '$t' (known: ${all[*]})" >&2; exit 2; }
done

# SwiftPM links executables with ld.gold here, which fails on the sanitizer runtime's objects;
# the toolset file makes it use the toolchain's lld. A separate scratch path keeps these
# instrumented objects away from the normal build.
lld=$(dirname "$(readlink -f "$(command -v swift)")")/ld.lld
[[ -x $lld ]] || { echo "fuzz: no ld.lld beside the Swift toolchain ($lld)" >&2; exit 1; }
mkdir -p .build/fuzz
printf '{ "schemaVersion": "1.0", "linker": { "path": "%s" } }\n' "$lld" >.build/fuzz/lld-toolset.json
echo "fuzz: building wharf-fuzz with -sanitize=fuzzer,address (.build/fuzz)" >&2
swift build -c release --product wharf-fuzz --scratch-path .build/fuzz --toolset .build/fuzz/lld-toolset.json \
  -Xswiftc -DFUZZING -Xswiftc -sanitize=fuzzer,address 2>&1 \
  | grep -v -e "Cannot export local symbol" -e "^warning: 'swift-distributed-tracing'" -e "prohibited flag" >&2 || true
bin=.build/fuzz/release/wharf-fuzz
[[ -x $bin ]] || { echo "fuzz: the instrumented build failed (see above)" >&2; exit 1; }

mkdir -p fuzz/crashes
work=$(mktemp -d /tmp/wharf-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
# The Swift runtime's own crash handler trips AddressSanitizer while printing a backtrace;
# libFuzzer prints the one that matters.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=1}

# -jobs makes libFuzzer fork workers that log to fuzz-N.log in the current directory: only then.
parallel=""
[[ ${FUZZ_JOBS:-1} -gt 1 ]] && parallel="-jobs=$FUZZ_JOBS -workers=$FUZZ_JOBS"
status=0
rows=()
for t in "${targets[@]}"; do
  mkdir -p "$work/$t"
  log=$work/$t.log
  echo "fuzz: $t for ${seconds}s" >&2
  set +e
  WHARF_FUZZ_TARGET=$t "$bin" "$work/$t" "fuzz/corpus/$t" -max_total_time="$seconds" -print_final_stats=1 \
    -rss_limit_mb=2048 -timeout=10 -max_len=65536 ${FUZZ_SEED:+-seed=$FUZZ_SEED} $parallel \
    -artifact_prefix="fuzz/crashes/$t-" >"$log" 2>&1
  rc=$?
  set -e
  # Several workers each write fuzz-N.log next to the working directory.
  [[ ${FUZZ_JOBS:-1} -gt 1 ]] && cat fuzz-*.log >>"$log" 2>/dev/null && rm -f fuzz-*.log
  execs=$(awk '/stat::number_of_executed_units:/ { s += $2 } END { print s + 0 }' "$log")
  rate=$(awk '/stat::average_exec_per_sec:/ { s += $2 } END { print s + 0 }' "$log")
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | awk '{ print $2 }')
  ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -1 | awk '{ print $2 }')
  corpus=$(ls "$work/$t" | wc -l)
  if [[ $rc -ne 0 ]]; then
    status=1
    echo "fuzz: $t FAILED (exit $rc); input: $(grep -oE "fuzz/crashes/$t-[a-z]+-[0-9a-f]+" "$log" | tail -1)" >&2
    grep -E "ERROR|Fatal error|SUMMARY|precondition" "$log" | head -5 >&2
    rows+=("| $t | ${seconds} s | $execs | $rate | ${cov:-?} | ${ft:-?} | **crash** |")
  else
    rows+=("| $t | ${seconds} s | $execs | $rate | ${cov:-?} | ${ft:-?} | $corpus new inputs |")
  fi
  if [[ ${FUZZ_KEEP:-0} == 1 && $rc -eq 0 ]]; then
    WHARF_FUZZ_TARGET=$t "$bin" -merge=1 "fuzz/corpus/$t" "$work/$t" >>"$log" 2>&1 || true
  fi
done

{
  echo "| target | time | executions | exec/s | coverage (edges) | features | result |"
  echo "|---|---|---:|---:|---:|---:|---|"
  printf '%s\n' "${rows[@]}"
}
exit $status
