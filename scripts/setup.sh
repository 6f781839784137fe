#!/usr/bin/env bash
# One command from a fresh Debian 12 machine: install the Debian packages (root), build, and
# run spotkeeper's main job on the embedded defaults: the Redis demo on the local cloud.
#   ./scripts/setup.sh            # as root: install, build, run the demo
#   ./scripts/setup.sh --no-run   # install and build only
# (A user with sudo rights prefixes sudo; a bare Debian machine has no sudo and needs none.)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
./scripts/build.sh release
echo
echo "built: build/release/src/cli/spotkeeper"
[ "${1:-}" = "--no-run" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "the demo runs real instances (namespaces, loop devices, runc): run setup.sh as root" >&2
  echo "without root, try the simulation: build/release/src/cli/spotkeeper simulate" >&2
  exit 1
fi
echo "== spotkeeper dev: the local cloud and the controller; Redis keeps its IP and data =="
# A data dir of its own, removed on exit (dev removes what it made unless --keep).
demo_dir="$(mktemp -d /var/tmp/spotkeeper-demo-XXXXXX)"
trap 'rm -rf "$demo_dir"' EXIT
build/release/src/cli/spotkeeper dev --example redis --exit-after-demo --data-dir "$demo_dir" \
  --listen 127.0.0.1:0 --cloud-listen 127.0.0.1:0
