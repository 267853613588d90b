#!/usr/bin/env bash
# build.sh - build kube-apiserver, kubectl and etcd from the Go module proxy (no git, no Docker).
# Versions: versions.env (the one place).  Output folder: printed on stdout (last line), i.e.
#   ${FJORD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fjord}/k8s/bin/<k8s>-etcd<etcd>/
# Idempotent: when the STAMP in that folder matches, it exits at once.
# Needs: go 1.26 reaching the Go module proxy. CGO is off, so no C compiler.
# Knobs: NICE (default 15) - the build runs under `nice -n $NICE`.
set -euo pipefail
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"
OUT=$K8S_BIN
log() { echo "[k8s-build] $*" >&2; }
STAMP="k8s=$K8S_VERSION etcd=$ETCD_VERSION bins=kube-apiserver,kubectl,etcd"
if [[ -f $OUT/STAMP && "$(cat "$OUT/STAMP")" == "$STAMP" ]]; then log "up to date: $OUT"; echo "$OUT"; exit 0; fi
command -v go >/dev/null || { log "go is not on PATH (needed once, to build the control plane)"; exit 1; }

export GOMODCACHE=$K8S_CACHE/gomod GOCACHE=$K8S_CACHE/gobuild
export CGO_ENABLED=0 GOFLAGS=-buildvcs=false
# Fail loudly rather than fetch another Go.
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}
NICE=${NICE:-15}
GO_BIN=$(command -v go)
go() { nice -n "$NICE" "$GO_BIN" "$@"; }
mkdir -p "$OUT" "$K8S_CACHE/src"
TIMES=$OUT/BUILD-TIMES; : >"$TIMES"
step() { # step NAME CMD... ; records wall seconds
  local name=$1 t0=$SECONDS; shift
  "$@"
  echo "$name $((SECONDS - t0))s" | tee -a "$TIMES" >&2
}

# ---- 1. kube-apiserver + kubectl through a wrapper module -----------------------------------
# k8s.io/kubernetes's go.mod requires every staging module at v0.0.0 and replaces it with
# ./staging/src/...; replaces of a dependency are ignored, so the wrapper re-declares each one,
# pointing at the published v0.X.Y tag.
MINOR=$(cut -d. -f2 <<<"$K8S_VERSION")
STAGING_VERSION="v0.${K8S_VERSION#v1.}"
W=$K8S_CACHE/src/kube-$K8S_VERSION; rm -rf "$W"; mkdir -p "$W"; cd "$W"
printf 'module fjord.local/k8s-harness/kube\n\ngo 1.26\n' > go.mod
KMOD=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": *"\([^"]*\)".*/\1/p')
[[ -f $KMOD ]] || { log "could not download k8s.io/kubernetes@$K8S_VERSION"; exit 1; }
STAGING=$(sed -n 's|^[[:space:]]*\(k8s\.io/[A-Za-z0-9._-]*\)[[:space:]]*=>[[:space:]]*\./staging/.*|\1|p' "$KMOD" | sort -u)
[[ -n $STAGING ]] || { log "no ./staging replaces found in $KMOD"; exit 1; }
log "staging modules of $K8S_VERSION: $(echo $STAGING)"
go mod edit -go="$(sed -n 's/^go \([0-9.]*\)[[:space:]]*$/\1/p' "$KMOD")"
for kv in $(sed -n 's/^godebug[[:space:]]\{1,\}\([A-Za-z0-9_.-]*=[^[:space:]]*\)[[:space:]]*$/\1/p' "$KMOD"); do
  go mod edit -godebug="$kv"
done
for m in $STAGING; do go mod edit -replace="$m=$m@$STAGING_VERSION"; done
pkgs=(k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl)
step kube-modules go get "${pkgs[@]/%/@$K8S_VERSION}"
LDF="-s -w"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  LDF+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$MINOR -X $p.gitTreeState=clean"
  LDF+=" -X $p.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
done
log "compiling kube-apiserver (cold: many minutes on 2 cores)"
step kube-apiserver go build -mod=mod -trimpath -ldflags "$LDF" -o "$OUT/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
step kubectl go build -mod=mod -trimpath -ldflags "$LDF" -o "$OUT/kubectl" k8s.io/kubernetes/cmd/kubectl

# ---- 2. etcd: its own wrapper (server/go.mod has ../api replaces, so `go install` fails) ------
W=$K8S_CACHE/src/etcd-$ETCD_VERSION; rm -rf "$W"; mkdir -p "$W"; cd "$W"
printf 'module fjord.local/k8s-harness/etcd\n\ngo 1.26\n' > go.mod
step etcd-modules go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION"   # module root is package main
step etcd go build -mod=mod -trimpath -ldflags "-s -w" -o "$OUT/etcd" go.etcd.io/etcd/server/v3

"$OUT/kube-apiserver" --version >&2
"$OUT/kubectl" version --client >&2
"$OUT/etcd" --version 2>&1 | sed -n 1p >&2   # (head would SIGPIPE etcd under pipefail)
echo "$STAMP" > "$OUT/STAMP"
log "done; times in $TIMES"
echo "$OUT"
