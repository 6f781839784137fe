#!/bin/sh
# Installs the reference tools bench/snapshot compares against (Debian packages; root).
# Not part of any test: the smoke test runs with --no-reference.
set -eu
apt-get update
apt-get install -y --no-install-recommends restic borgbackup
restic version
borg --version
