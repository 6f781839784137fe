#!/usr/bin/env bash
# Fuzzes one target for real: scripts/fuzz.sh TARGET SECONDS [libFuzzer flags...]
# Builds build/fuzz (the `fuzz` preset: clang + libFuzzer + ASan/UBSan; needs Debian's clang),
# then runs TARGET_fuzz over a work corpus seeded from fuzz/corpus/TARGET. New inputs go to
# build/fuzz/corpus/TARGET (copy the interesting ones into fuzz/corpus/TARGET), crashes to
# build/fuzz/artifacts/TARGET/, the log to build/fuzz/logs/TARGET.log. Targets: ls fuzz/corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 2 ]; then
  echo "usage: $0 TARGET SECONDS [libFuzzer flags...]   (targets: $(ls fuzz/corpus | xargs))" >&2
  exit 2
fi
target=$1 seconds=$2
shift 2
if [ ! -d "fuzz/corpus/$target" ]; then
  echo "fuzz: no target '$target' (targets: $(ls fuzz/corpus | xargs))" >&2
  exit 2
fi
if ! command -v clang++ >/dev/null; then
  echo "fuzz: needs clang++ with libFuzzer (Debian: apt-get install clang)" >&2
  exit 1
fi
[ -f build/fuzz/build.ninja ] || cmake --preset fuzz >/dev/null
cmake --build build/fuzz --target "${target}_fuzz"

seeds=("fuzz/corpus/$target")
case $target in  # seeds that live with the code they test
  group_spec) seeds+=(examples) ;;
  ec2_xml) seeds+=(src/provider/ec2/testdata) ;;
esac
work=build/fuzz/corpus/$target artifacts=build/fuzz/artifacts/$target
mkdir -p "$work" "$artifacts" build/fuzz/logs
flags=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536
       -print_final_stats=1 -artifact_prefix="$artifacts/")
[ -f "fuzz/$target.dict" ] && flags+=(-dict="fuzz/$target.dict")
log=build/fuzz/logs/$target.log
echo "fuzz: $target for ${seconds}s (log $log, new inputs $work, crashes $artifacts)"
set +e
"build/fuzz/fuzz/${target}_fuzz" "${flags[@]}" "$@" "$work" "${seeds[@]}" >"$log" 2>&1
rc=$?
set -e
grep -E '^#[0-9]+[[:space:]]+(DONE|INITED)' "$log" | tail -2 || true
grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" || true
if [ $rc -ne 0 ]; then
  echo "fuzz: $target FAILED (exit $rc); see $log and $artifacts" >&2
  grep -m5 -E 'ERROR|==[0-9]+==|_fuzz: ' "$log" >&2 || true
fi
exit $rc
