#!/usr/bin/env bash
# Installs the Debian packages spotkeeper's build, tests and local cloud need (as root).
# Idempotent: does nothing when everything is already installed.
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake ninja-build pkg-config
  libsqlite3-dev nlohmann-json3-dev libyaml-cpp-dev libpugixml-dev libcpp-httplib-dev
  libspdlog-dev libfmt-dev libcli11-dev libzstd-dev libxxhash-dev libcurl4-openssl-dev libssl-dev
  libgtest-dev libgmock-dev
  # the local cloud: containers, networks, volumes
  runc iproute2 iputils-ping e2fsprogs xfsprogs util-linux
  # real clients and real workloads for the end-to-end tests
  awscli redis-server redis-tools
  # the dashboard's browser test (tests/dashboard): headless Chromium driven over WebDriver
  chromium chromium-driver
  # the workload tests (tests/workloads, bench/workloads): databases run inside instances;
  # the HA store's tests start their own etcd (--store etcd://...; docs/ha.md)
  postgresql-15 etcd-server etcd-client
  # ZooKeeper 3.8 (its JRE comes as a dependency: default-jre) and the ZooKeeper case's client,
  # kazoo, which Debian packages for its own /usr/bin/python3
  zookeeper python3-kazoo
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#PACKAGES[@]} Debian packages present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "deps: missing packages: ${missing[*]}" >&2
  echo "deps: run this as root to install them ($0 as root, or sudo $0)" >&2
  exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# redis-server, postgresql and etcd-server start system instances on install; spotkeeper runs
# its own inside instances, and the HA store's tests their own etcd on free loopback ports.
if command -v systemctl >/dev/null 2>&1; then
  systemctl disable --now redis-server postgresql etcd >/dev/null 2>&1 || true
fi
echo "deps: done"
