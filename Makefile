# ManifestGen — the two commands of the quick start are `make render` and `make test`.
SHELL := /bin/bash
DOTNET ?= dotnet
CONFIG ?= Release
GEN := $(DOTNET) run --project src/ManifestGen -c $(CONFIG) --
ENV ?=

.PHONY: render check validate test build deps bench demo image image-deps clean

## Render every environment in values/ (or ENV=name) into out/.
render:
	$(GEN) render $(ENV)

## Compare out/ with what the inventory renders now; exit 1 on drift.
check:
	$(GEN) check $(ENV)

validate:
	$(GEN) validate $(ENV)

build:
	$(DOTNET) build ManifestGen.sln -c $(CONFIG)

## Installs what the tests need (idempotent), then runs every test. UPDATE_SNAPSHOTS=1 rewrites goldens.
test:
	bash scripts/test.sh

deps:
	bash scripts/install-deps.sh

## The runtime image's install steps (image/Dockerfile runs the same script).
image-deps:
	bash scripts/install-deps.sh --runtime

bench:
	bash bench/run.sh

demo:
	bash scripts/demo.sh

clean:
	$(DOTNET) clean ManifestGen.sln -c $(CONFIG)

## Builds the runner image (trixie base with mmdebstrap, image/Dockerfile) and unpacks it for the pod harness; cached.
image:
	bash image/make-image.sh
