#!/usr/bin/env bash
# install-lua.sh - the Lua interpreter the Argo CD health-check tests run (Debian's lua5.4).
# Idempotent: exits at once when lua5.4 is on PATH. Needs root (or sudo) and Debian's packages.
set -euo pipefail
if command -v lua5.4 >/dev/null 2>&1; then exit 0; fi
SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO=sudo
echo "[install-lua] installing lua5.4 from Debian's packages" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y --no-install-recommends lua5.4 >/dev/null 2>&1 || {
  $SUDO apt-get update >/dev/null
  $SUDO apt-get install -y --no-install-recommends lua5.4 >/dev/null
}
command -v lua5.4 >/dev/null || { echo "[install-lua] lua5.4 still missing" >&2; exit 1; }
