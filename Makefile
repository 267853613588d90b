# Fjord: the two set-up commands are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
SOURCES := $(shell find broker/src broker/scripts operator/src test bench -name '*.ts' 2>/dev/null)
SCHEMAS ?= ../shared/kafka-protocol

.PHONY: help run cluster test lint format test-unit test-sim test-integration test-operator test-install deps tools k8s-harness helm lua build gen crds manifests image kind-up deploy bench bench-smoke bench-profile bench-micro clean

help:
	@echo "make run    start a local Fjord broker on localhost:9092 (data in ./data)"
	@echo "make cluster  three local nodes with a Raft metadata quorum, localhost:9092-9094 (data in ./data/cluster)"
	@echo "make test   install everything the tests need, then run the whole suite"
	@echo "make bench  benchmark Fjord against Apache Kafka (docs/benchmarks.md)"
	@echo "make lint   ESLint and Prettier (make format rewrites the tree)"

node_modules/.install-stamp: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

deps: node_modules/.install-stamp

dist/.build-stamp: node_modules/.install-stamp tsconfig.json $(SOURCES)
	npx tsc -p tsconfig.json
	@touch $@

build: dist/.build-stamp

run: build
	bin/fjord.js broker --config config/server.properties

# Three nodes with combined roles and a static Raft quorum (docs/cluster.md); Ctrl-C stops all three.
cluster: build
	scripts/cluster.sh

# Regenerates the protocol codec from Kafka's JSON schemas (the generated code is committed).
gen: build
	node dist/broker/scripts/gen-protocol.js $(SCHEMAS) broker/src/protocol/generated
	npx tsc -p tsconfig.json

# Kafka's CLI tools and Java client jars (Maven Central), kcat (Debian), cached under ~/.cache/fjord.
tools:
	bash test/tools/install.sh

# kube-apiserver, etcd and kubectl built from the Go module proxy (cold ~14 min, then cached).
k8s-harness:
	bash test/k8s/build.sh

# helm built from the Go module proxy (cold ~4 min, then cached); version in test/k8s/versions.env.
helm:
	bash test/k8s/build-helm.sh

# Lua 5.4 (Debian) for the Argo CD health-check tests.
lua:
	bash test/install/install-lua.sh

# Regenerates charts/fjord-operator/crds/, manifests/install.yaml and the Argo CD ConfigMap patch.
manifests: helm
	bash manifests/generate.sh

IMAGE ?= fjord:$(shell node -p "require('./package.json').version")
KIND_CLUSTER ?= fjord

# One image for the broker and the operator. Needs Docker (not run in CI).
image:
	docker build -t $(IMAGE) .

# A local kind cluster with the image loaded. Needs Docker and kind (not run in CI).
kind-up: image
	kind get clusters | grep -qx $(KIND_CLUSTER) || kind create cluster --name $(KIND_CLUSTER)
	kind load docker-image $(IMAGE) --name $(KIND_CLUSTER)

deploy:
	kubectl apply --server-side -f manifests/install.yaml
	kubectl -n fjord-system rollout status deploy/fjord-operator --timeout=120s

# Regenerates crds/*.yaml and the operator's TypeScript types from operator/src/api/schema.ts.
crds: build
	node dist/operator/src/api/generate.js .

test: lint build tools k8s-harness helm lua
	bash .ci/test-all.sh

# ESLint (type-aware; eslint.config.js) and Prettier (.prettierrc.json): zero warnings.
lint: deps
	npx eslint --max-warnings 0 .
	npx prettier --check --log-level warn .

# Rewrites the tree in Prettier's format (what `make lint` checks).
format: deps
	npx prettier --write --log-level warn .

test-unit: build
	node --test --test-reporter=spec dist/broker/ dist/operator/

# Seeded simulations (test/sim/); FJORD_SIM_SEEDS=<n> runs more seeds, FJORD_SIM_SEED=<s> replays one.
test-sim: build
	node --test --test-reporter=spec dist/test/sim/

test-operator: build tools k8s-harness
	node --test --test-concurrency=1 --test-reporter=spec dist/test/operator/

test-install: build k8s-harness helm lua
	node --test --test-concurrency=1 --test-reporter=spec dist/test/install/

test-integration: build tools
	node --test --test-concurrency=1 --test-reporter=spec dist/test/integration/

# Fjord and Apache Kafka side by side with Kafka's own perf tools (~15 min; a quiet machine helps).
# Writes docs/benchmarks.md and docs/benchmarks-ratios.svg.
bench: build tools
	node dist/bench/run.js --rounds 3

bench-smoke: build tools
	node dist/bench/run.js --smoke

bench-profile: build tools
	node dist/bench/profile.js

bench-micro: build
	node dist/bench/micro/run.js

clean:
	rm -rf dist .cache
