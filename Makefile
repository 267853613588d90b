# Fjord: the two set-up commands are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
SOURCES := $(shell find broker/src broker/scripts test bench -name '*.ts' 2>/dev/null)
SCHEMAS ?= ../shared/kafka-protocol

.PHONY: help run test test-unit test-integration deps tools build gen clean

help:
	@echo "make run    start a local Fjord broker on localhost:9092 (data in ./data)"
	@echo "make test   install everything the tests need, then run the whole suite"

node_modules/.install-stamp: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

deps: node_modules/.install-stamp

dist/.build-stamp: node_modules/.install-stamp tsconfig.json $(SOURCES)
	npx tsc -p tsconfig.json
	@touch $@

build: dist/.build-stamp

run: build
	node bin/fjord.js broker --config config/server.properties

# Regenerates the protocol codec from Kafka's JSON schemas (the generated code is committed).
gen: build
	node dist/broker/scripts/gen-protocol.js $(SCHEMAS) broker/src/protocol/generated
	npx tsc -p tsconfig.json

tools:
	bash test/tools/install.sh

test: build tools
	bash .ci/test-all.sh

test-unit: build
	node --test --test-reporter=spec dist/broker/

test-integration: build tools
	node --test --test-concurrency=1 --test-reporter=spec dist/test/integration/

clean:
	rm -rf dist .cache
