#!/usr/bin/env bash
# bin-dir.sh - print the folder that holds (or will hold) the pinned control-plane binaries.
set -euo pipefail
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"
echo "$K8S_BIN"
