#!/usr/bin/env bash
# Builds spotkeeper with a CMake preset (default: release). Usage: scripts/build.sh [preset]
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"
# CMake takes a compiler launcher (e.g. ccache) from the environment; a missing one otherwise
# surfaces as "the C++ compiler is not able to compile a simple test program".
for launcher in "${CMAKE_CXX_COMPILER_LAUNCHER:-}" "${CMAKE_C_COMPILER_LAUNCHER:-}"; do
  if [ -n "$launcher" ] && ! command -v "$launcher" >/dev/null; then
    echo "build: the compiler launcher '$launcher' (CMAKE_CXX_COMPILER_LAUNCHER or" \
      "CMAKE_C_COMPILER_LAUNCHER in your environment) is not installed: install it" \
      "(apt-get install $launcher) or unset the variable" >&2
    exit 1
  fi
done
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j "$(nproc)"
