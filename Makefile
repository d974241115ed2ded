# Tributary's commands. `make run` starts the service on embedded defaults and
# `make test` checks everything; both install what they need on a fresh machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help
BIN := node_modules/.bin
DEPS := node_modules/.deps-installed
GEN := src/gen/.generated
PROTOS := $(shell find proto -name '*.proto')
BUILT := dist/.built
SOURCES := $(shell find src bench -name '*.ts' -not -path 'src/gen/*')
CONSOLE := $(wildcard src/console/*)

.PHONY: fmt sdk example-node example-browser help deps system-deps test-servers proto lint breaking typecheck unit test test-unit test-integration build run descriptors bench soak bench-validator bench-identity bench-erasure clean

help: ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

deps: $(DEPS) ## Install the npm dependencies pinned in package-lock.json.
$(DEPS): package.json package-lock.json
	# npm install, not npm ci: chdb declares optional platform packages that the
	# registry does not have, which npm ci refuses (docs/decisions.md). The lock
	# file still pins every version.
	npm install --no-audit --no-fund
	touch $@

system-deps: ## Install nats-server from Debian's packages when it is missing.
	scripts/install-system-deps.sh

test-servers: ## Also install clickhouse-server 18.16 (the old server a test must refuse) and chromium (the browser test), and fetch nats-server 2.10 (Debian trixie's package) for TRIBUTARY_NATS_SYNC's test and bench.
	scripts/install-system-deps.sh --with-test-servers
	scripts/fetch-nats-server-2.10.sh >/dev/null

proto: $(GEN) ## Generate src/gen/ (TypeScript and the descriptor sets) from proto/, and grpc.health.v1's for reflection.
$(GEN): $(DEPS) $(PROTOS) buf.yaml buf.gen.yaml Makefile sdk/package.json scripts/write-sdk-library.js
	$(BIN)/buf generate
	node scripts/write-sdk-library.js
	$(BIN)/buf build --as-file-descriptor-set -o src/gen/descriptor-set.binpb
	$(BIN)/buf build node_modules/grpc-health-check/proto --as-file-descriptor-set -o src/gen/health-descriptor-set.binpb
	touch $@

lint: $(DEPS) ## buf lint, buf format, prettier (the formatting make fmt writes) and eslint (with the import rules of the layout).
	$(BIN)/buf lint
	$(BIN)/buf format --diff --exit-code
	$(BIN)/prettier --check --log-level warn .
	$(BIN)/eslint .

fmt: $(DEPS) ## Format the TypeScript and JavaScript (prettier) and the protos (buf format).
	$(BIN)/prettier --write --log-level warn .
	$(BIN)/buf format -w

breaking: $(DEPS) ## buf breaking against the previous commit of main.
	scripts/check-breaking.sh

typecheck: $(GEN) ## Type-check sources, tests and benchmarks.
	$(BIN)/tsc -p tsconfig.json --noEmit

unit: build sdk test-servers ## Run jest (integration tests spawn the built CLI; the browser test loads the SDK bundle).
	$(BIN)/jest --ci

test-unit: $(GEN) ## The unit tests alone: pure functions, seconds, no servers.
	$(BIN)/jest --ci test/unit

test-integration: build sdk test-servers ## The integration tests alone: a real nats-server, the real ClickHouse engine, the built CLI.
	$(BIN)/jest --ci test/integration

test: lint breaking typecheck unit ## Everything CI runs.

build: $(BUILT) ## Compile to dist/, only when a source changed (and then incrementally).
$(BUILT): $(GEN) $(SOURCES) $(CONSOLE) package.json tsconfig.json tsconfig.build.json
	$(BIN)/tsc -p tsconfig.build.json --incremental --tsBuildInfoFile dist/.tsbuildinfo
	cp src/gen/descriptor-set.binpb src/gen/health-descriptor-set.binpb dist/src/gen/
	mkdir -p dist/src/console && cp src/console/* dist/src/console/
	touch $@

sdk: $(GEN) ## Bundle the SDK (sdk/dist): Node (CommonJS), browsers (ESM and a script-tag global), and its TypeScript declarations.
	$(BIN)/esbuild sdk/src/index.ts --bundle --format=cjs --platform=node --target=node20 --external:@grpc/grpc-js --outfile=sdk/dist/node.cjs --log-level=warning
	$(BIN)/esbuild sdk/src/wire.ts --bundle --format=cjs --platform=neutral --target=es2020 --outfile=sdk/dist/wire.cjs --log-level=warning
	$(BIN)/esbuild sdk/src/browser.ts --bundle --format=esm --platform=browser --target=es2020 --minify --outfile=sdk/dist/browser.mjs --log-level=warning
	$(BIN)/esbuild sdk/src/browser.ts --bundle --format=iife --global-name=Tributary --platform=browser --target=es2020 --minify --outfile=sdk/dist/tributary.iife.js --log-level=warning
	$(BIN)/tsc -p sdk/tsconfig.json
	@echo "sdk/dist/browser.mjs: $$(wc -c < sdk/dist/browser.mjs) bytes, $$(gzip -9c sdk/dist/browser.mjs | wc -c) gzipped"

example-node: sdk ## Send a short journey with the SDK over gRPC to `make run`.
	node examples/node/send-events.mjs

example-browser: sdk ## Serve a page that sends events with the SDK over gRPC-Web to `make run` (http://127.0.0.1:8090).
	node examples/browser/serve.mjs

descriptors: $(GEN) ## Write the contract's descriptor set to dist/descriptors/.
	@mkdir -p dist/descriptors
	cp src/gen/descriptor-set.binpb dist/descriptors/tributary.binpb
	@echo "wrote dist/descriptors/tributary.binpb"

run: build system-deps ## Start the service: gateway, sink, HTTP, its own nats-server, embedded ClickHouse in ./data.
	node dist/src/cli/main.js serve

bench: build test-servers ## B1/B2 baselines and S1-S4 with ratios; writes bench/results/ (markdown, JSON, PNG). Never part of make test.
	node dist/bench/run.js

soak: build system-deps ## 10 minutes of steady load (SOAK_SECONDS, SOAK_RATE); writes each process's memory curve and the backlogs to bench/results/soak-*. Never part of make test.
	node dist/bench/soak.js

bench-erasure: build system-deps ## Time to erase one person with 100,000 events among 1,000,000, and the sink's rate while it runs (bench/results/erasure-*).
	node dist/bench/erasure.bench.js

bench-validator: build ## Cost per record of validating and decoding.
	node dist/bench/validator.bench.js

bench-identity: build ## Cost per event of the sink's identity resolution, on the embedded ClickHouse.
	node dist/bench/identity.bench.js

clean: ## Remove build output and generated code.
	rm -rf dist src/gen
