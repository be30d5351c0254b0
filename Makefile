# Thin veneer over npm scripts and scripts/. Node 24 comes from the `node` devDependency and is first on
# PATH inside npm scripts, so every target works on a machine whose system Node is older.
SHELL := /bin/bash
NODE_BIN := $(CURDIR)/node_modules/.bin
export PATH := $(NODE_BIN):$(PATH)

.PHONY: install tools build typecheck lint fmt test test-unit bench bench-tiny demo image image-rootfs install-catalog uninstall-catalog clean

install: node_modules/.installed
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

tools:
	bash scripts/setup-tools.sh

build: install
	npm run build

typecheck: install
	npm run typecheck

lint: install
	npm run lint

fmt: install
	npm run fmt

test: install tools
	npm test

test-unit: install
	npm run test:unit

bench: install tools
	npm run bench

bench-tiny: install tools
	BENCH_SIZES=8MiB BENCH_RUNS=1 npm run bench

demo: install tools
	npm run demo

image:
	docker build -t $${IMAGE:-stash-vault:dev} .

clean:
	rm -rf dist .demo bench-results
