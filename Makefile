# Tributary's commands. `make run` starts the service on embedded defaults and
# `make test` checks everything; both install what they need on a fresh machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help
BIN := node_modules/.bin
DEPS := node_modules/.deps-installed
GEN := src/gen/.generated
PROTOS := $(shell find proto -name '*.proto')

.PHONY: help deps proto lint breaking typecheck unit test build run descriptors bench bench-validator clean

help: ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

deps: $(DEPS) ## Install the npm dependencies pinned in package-lock.json.
$(DEPS): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

proto: $(GEN) ## Generate src/gen/ from proto/ with buf and ts-proto.
$(GEN): $(DEPS) $(PROTOS) buf.yaml buf.gen.yaml
	$(BIN)/buf generate
	touch $@

lint: $(DEPS) ## buf lint, buf format and eslint.
	$(BIN)/buf lint
	$(BIN)/buf format --diff --exit-code
	$(BIN)/eslint .

breaking: $(DEPS) ## buf breaking against the previous commit of main.
	scripts/check-breaking.sh

typecheck: $(GEN) ## Type-check sources, tests and benchmarks.
	$(BIN)/tsc -p tsconfig.json --noEmit

unit: $(GEN) ## Run jest only.
	$(BIN)/jest --ci

test: lint breaking typecheck unit ## Everything CI runs.

build: $(GEN) ## Compile to dist/.
	$(BIN)/tsc -p tsconfig.build.json

descriptors: $(DEPS) ## Write the contract's descriptor set to dist/descriptors/.
	@mkdir -p dist/descriptors
	$(BIN)/buf build --as-file-descriptor-set -o dist/descriptors/tributary.binpb
	@echo "wrote dist/descriptors/tributary.binpb"

run: build ## Start the service (it lands with the gateway, issue 3).
	@echo "make run: there is no service to start yet; the contract is all that exists (see README.md)." >&2
	@exit 1

bench: bench-validator ## Run every benchmark.

bench-validator: build ## Cost per record of validating and decoding.
	node dist/bench/validator.bench.js

clean: ## Remove build output and generated code.
	rm -rf dist src/gen
