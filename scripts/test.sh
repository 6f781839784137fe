#!/usr/bin/env bash
# Runs every test: installs missing Debian packages (as root), builds with a preset (default:
# release; also asan-ubsan, tsan, dev), runs CTest and prints its summary line.
#   ./scripts/test.sh [preset] [extra ctest args, e.g. -L moto or -R Controller]
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"
shift || true
./scripts/deps.sh
./scripts/build.sh "$preset"

# The moto/boto3 tests need a Python that has them (the machine image's Python 3.11 does).
if [ -z "${SPOTKEEPER_PYTHON:-}" ]; then
  for py in python3 /root/.pyenv/versions/3.11.7/bin/python3 /usr/local/bin/python3; do
    if command -v "$py" >/dev/null 2>&1 && "$py" -c "import moto, boto3" 2>/dev/null; then
      export SPOTKEEPER_PYTHON="$(command -v "$py")"
      break
    fi
  done
fi
echo "test: python for moto/boto3: ${SPOTKEEPER_PYTHON:-none found (those tests will fail)}"
# Never let a test that builds an ec2 client without credentials reach an instance metadata
# service.
export AWS_EC2_METADATA_DISABLED=true

ctest --test-dir "build/$preset" -j "$(nproc)" --output-on-failure --timeout 900 "$@" \
  2>&1 | tee "build/$preset/ctest.log" | grep -vE "^ *[0-9]+/[0-9]+ Test +#[0-9]+: .* Passed" || true
# ctest's exit status, not tee's
grep -q "100% tests passed" "build/$preset/ctest.log"
