#!/usr/bin/env bash
# The concurrency-relevant tests under ThreadSanitizer (.ci/run runs this after the release suite).
# Builds only their targets with the tsan preset (a full tsan build would double CI time) and
# runs only the tests that use threads:
#   store:       SqliteStoreConcurrencyTest (readers, writers and rollbacks on many threads)
#   controller:  ControllerLoopTest (the loop thread, the event pump, REST calls), EventIntake*
#   API server:  ApiEventsTest, ApiEventStreamLimitTest (event streams on server threads)
#   local cloud: Instances*, SqsTest (the engine's workers; SQS long polls)
#   snapshots:   ChunkStoreTest (parallel chunking and packing; not ChunkStoreCrashTest, which
#                replays a crash at each named point and takes minutes under TSan)
#   common:      TimedMutexTest (the controller loop's lock)
#   ./scripts/tsan.sh            build + run
#   SK_TSAN_TARGETS="..." / SK_TSAN_TESTS="regex" override the sets.
set -euo pipefail
cd "$(dirname "$0")/.."
targets="${SK_TSAN_TARGETS:-store_test api_unit_test api_test event_intake_test cloud_engine_test cloud_snapshot_test common_test}"
tests="${SK_TSAN_TESTS:-SqliteStoreConcurrency|ControllerLoop|EventIntake|ApiEvents|ApiEventStreamLimit|^Instances|^LimitedInstances|SqsTest|ChunkStoreTest|TimedMutex}"
start=$(date +%s)
cmake --preset tsan >/dev/null
# shellcheck disable=SC2086
cmake --build --preset tsan -j "$(nproc)" --target $targets
built=$(date +%s)
# halt_on_error: a race fails its test; second_deadlock_stack helps read lock-order reports.
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
export AWS_EC2_METADATA_DISABLED=true
ctest --test-dir build/tsan -j "$(nproc)" --output-on-failure --timeout 600 -R "$tests" \
  -E "_NOT_BUILT" 2>&1 | tee build/tsan/ctest.log | grep -vE "^ *[0-9]+/[0-9]+ Test +#[0-9]+: .* Passed" || true
echo "tsan: build $((built - start)) s, tests $(($(date +%s) - built)) s"
grep -q "100% tests passed" build/tsan/ctest.log
