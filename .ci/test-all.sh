#!/usr/bin/env bash
# Runs the whole suite: unit tests (pure modules, in-process broker), seeded simulations, then the integration
# tests (real clients against real broker processes). One node:test summary per stage.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== unit tests"
node --test --test-reporter=spec dist/broker/ dist/operator/
echo "== simulation tests (seeded; FJORD_SIM_SEEDS scales them)"
node --test --test-reporter=spec dist/test/sim/
echo "== integration tests"
node --test --test-concurrency=1 --test-timeout=600000 --test-reporter=spec dist/test/integration/
echo "== operator tests (real kube-apiserver + etcd)"
node --test --test-concurrency=1 --test-timeout=600000 --test-reporter=spec dist/test/operator/
echo "== install tests (chart, manifests, RBAC against kube-apiserver, entrypoints, Argo CD health)"
node --test --test-concurrency=1 --test-timeout=600000 --test-reporter=spec dist/test/install/
