#!/usr/bin/env bash
# build-helm.sh - build the helm CLI from the Go module proxy (no git, no Docker, no download site).
# Version: HELM_VERSION in versions.env.  Output folder: printed on stdout (last line), i.e.
#   ${FJORD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fjord}/k8s/bin/helm-<version>/helm
# Same cache conventions as build.sh (GOMODCACHE/GOCACHE under $FJORD_CACHE/k8s, CGO off,
# GOTOOLCHAIN=local, nice). Idempotent: when the STAMP in that folder matches, it exits at once.
# Knobs: NICE (default 15); HELM_HARNESS_BIN=<dir> uses a helm already built there.
set -euo pipefail
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"
: "${HELM_VERSION:?HELM_VERSION missing from versions.env}"
OUT=${HELM_HARNESS_BIN:-$K8S_CACHE/bin/helm-$HELM_VERSION}
log() { echo "[helm-build] $*" >&2; }
STAMP="helm=$HELM_VERSION"
if [[ -f $OUT/STAMP && "$(cat "$OUT/STAMP")" == "$STAMP" && -x $OUT/helm ]]; then log "up to date: $OUT"; echo "$OUT"; exit 0; fi
command -v go >/dev/null || { log "go is not on PATH (needed once, to build helm)"; exit 1; }

export GOMODCACHE=$K8S_CACHE/gomod GOCACHE=$K8S_CACHE/gobuild
export CGO_ENABLED=0 GOFLAGS=-buildvcs=false
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}
NICE=${NICE:-15}
GO_BIN=$(command -v go)
go() { nice -n "$NICE" "$GO_BIN" "$@"; }
mkdir -p "$OUT" "$K8S_CACHE/src"
TIMES=$OUT/BUILD-TIMES; : >"$TIMES"
step() { local name=$1 t0=$SECONDS; shift; "$@"; echo "$name $((SECONDS - t0))s" | tee -a "$TIMES" >&2; }

# A wrapper module requiring helm at the pinned tag: helm's own go.mod (requires, no replaces)
# selects the dependency versions, exactly as `go install helm.sh/helm/v4/cmd/helm@TAG` would.
W=$K8S_CACHE/src/helm-$HELM_VERSION; rm -rf "$W"; mkdir -p "$W"; cd "$W"
printf 'module fjord.local/k8s-harness/helm\n\ngo 1.26\n' > go.mod
HMOD=$(go mod download -json "helm.sh/helm/v4@$HELM_VERSION" | sed -n 's/.*"GoMod": *"\([^"]*\)".*/\1/p')
[[ -f $HMOD ]] || { log "could not download helm.sh/helm/v4@$HELM_VERSION"; exit 1; }
if grep -q '^replace\|^[[:space:]]*replace' "$HMOD"; then log "warning: helm's go.mod has replaces (ignored for a dependency)"; fi
go mod edit -go="$(sed -n 's/^go \([0-9.]*\)[[:space:]]*$/\1/p' "$HMOD")"
step helm-modules go get "helm.sh/helm/v4/cmd/helm@$HELM_VERSION"
V=helm.sh/helm/v4/internal/version
LDF="-s -w -X $V.version=$HELM_VERSION -X $V.metadata= -X $V.gitTreeState=clean"
log "compiling helm $HELM_VERSION (cold: several minutes on 2 cores)"
step helm go build -mod=mod -trimpath -ldflags "$LDF" -o "$OUT/helm" helm.sh/helm/v4/cmd/helm
"$OUT/helm" version >&2
echo "$STAMP" > "$OUT/STAMP"
log "done; times in $TIMES"
echo "$OUT"
