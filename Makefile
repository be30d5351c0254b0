# Thin veneer over npm scripts and scripts/. Node 24 comes from the `node` devDependency and is first on
# PATH inside npm scripts, so every target works on a machine whose system Node is older.
SHELL := /bin/bash
NODE_BIN := $(CURDIR)/node_modules/.bin
export PATH := $(NODE_BIN):$(PATH)

.PHONY: install tools build typecheck lint fmt test test-unit bench bench-tiny bench-timeline bench-memory mutations stress demo image image-test stand-in-images image-rootfs install-catalog uninstall-catalog install-kubestash-catalog uninstall-kubestash-catalog clean

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
	BENCH_SIZES=8MiB BENCH_RUNS=1 BENCH_RESTIC=0.18 npm run bench

# Where one backup and one restore spend their time and memory, log line by log line.
bench-timeline: install tools build
	node test/bench/timeline.ts

# Peak RSS must stay flat as the snapshot grows (a memory bound, asserted in CI).
bench-memory: install tools build
	node test/bench/memory-flat.ts

# N backups and restores in a row, failures counted by message (STRESS_RUNS, STRESS_SIZE, STRESS_LOAD=1).
stress: install tools build
	node test/bench/stress.ts

# One deliberate bug at a time, each to be caught by the tests named for it (test/mutations).
mutations: install tools
	node test/mutations/run.ts

demo: install tools
	npm run demo

# With a Docker daemon: docker build. Without one: buildah against local stand-in base images
# (scripts/build-image.sh; README "Building without Docker").
image:
	@if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then \
	  docker build -t $${IMAGE:-stash-vault:dev} .; \
	else \
	  bash scripts/build-image.sh; \
	fi

# The base images the Dockerfile names, built locally from Debian packages and the npm registry (cached).
stand-in-images:
	bash scripts/stand-in-images.sh

# The image built with buildah and run with podman against the test emulators, then its size and start-up.
image-test: install tools
	bash scripts/build-image.sh
	node --test --test-force-exit --test-reporter=spec test/image/container.check.ts
	node test/image/measure.ts

clean:
	rm -rf dist .demo bench-results

# The Functions carry the image (functions/*.yaml, one string). IMAGE=... installs another one:
# the `image:` lines of a temporary copy are rewritten, the working tree is left untouched.
install-catalog:
	@set -euo pipefail; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	cp -R kustomization.yaml functions tasks "$$tmp/"; \
	if [ -n "$${IMAGE:-}" ]; then sed -i -E "s#^(  image: ).*#\1$${IMAGE}#" "$$tmp"/functions/*.yaml; fi; \
	grep -h '^  image: ' "$$tmp"/functions/*.yaml | sort -u; \
	kubectl apply -k "$$tmp"

uninstall-catalog:
	kubectl delete -k . --ignore-not-found

# The KubeStash catalog (kubestash/: Addon, Functions) plus the job ClusterRoles it lists by their real
# path, ../deploy/kubestash-job-rbac.yaml. kustomize refuses files outside the kustomization's folder,
# so the temporary copy holds that file next to the others, without the ../deploy/ prefix. IMAGE=... as above.
install-kubestash-catalog:
	@set -euo pipefail; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	cp kubestash/*.yaml deploy/kubestash-job-rbac.yaml "$$tmp/"; \
	sed -i 's#^- \.\./deploy/#- #' "$$tmp/kustomization.yaml"; \
	if [ -n "$${IMAGE:-}" ]; then sed -i -E "s#^(  image: ).*#\1$${IMAGE}#" "$$tmp"/*-function.yaml; fi; \
	grep -h '^  image: ' "$$tmp"/*-function.yaml | sort -u; \
	kubectl apply -k "$$tmp"

uninstall-kubestash-catalog:
	@set -euo pipefail; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	cp kubestash/*.yaml deploy/kubestash-job-rbac.yaml "$$tmp/"; \
	sed -i 's#^- \.\./deploy/#- #' "$$tmp/kustomization.yaml"; \
	kubectl delete -k "$$tmp" --ignore-not-found

# The image's runtime layout (app/dist, app/node_modules, usr/local/bin/restic) without Docker.
image-rootfs: install tools
	bash scripts/image-rootfs.sh $${ROOTFS:-.image-rootfs}
