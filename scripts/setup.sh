#!/usr/bin/env bash
# One command from a fresh Debian 12 machine: install the Debian packages (root), build, and
# run spotkeeper's main job on the embedded defaults.
#   sudo ./scripts/setup.sh            # install, build, run the demo
#   sudo ./scripts/setup.sh --no-run   # install and build only
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
./scripts/build.sh release
echo
echo "built: build/release/src/cli/spotkeeper"
[ "${1:-}" = "--no-run" ] && exit 0
echo "== spotkeeper simulate: the controller against a simulated cloud full of trouble =="
exec build/release/src/cli/spotkeeper simulate --seeds 20 --chaos-minutes 60
