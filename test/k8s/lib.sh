# shellcheck shell=bash
# Shared by build.sh / up.sh / bin-dir.sh: versions and cache locations.
HARNESS_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
source "$HARNESS_HERE/versions.env"
FJORD_CACHE=${FJORD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fjord}
K8S_CACHE=$FJORD_CACHE/k8s
# binaries of this exact version pair live here; tests look them up the same way
K8S_BIN=${K8S_HARNESS_BIN:-$K8S_CACHE/bin/$K8S_VERSION-etcd$ETCD_VERSION}
