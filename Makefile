# ManifestGen — the two commands of the quick start are `make render` and `make test`.
SHELL := /bin/bash
DOTNET ?= dotnet
CONFIG ?= Release
# The same entry users have: the native executable once it is built for this source version, else the
# .NET tool `manifestgen` packed from this checkout (scripts/manifestgen.sh; V=1 says which one runs).
GEN := bash scripts/manifestgen.sh $(if $(V),-v)
ENV ?=

.PHONY: render check validate native tool test test-fresh build deps bench demo image image-deps clean

## Render every environment in values/ (or ENV=name) into out/.
render:
	$(GEN) render $(ENV)

## Compare out/ with what the inventory renders now; exit 1 on drift.
check:
	$(GEN) check $(ENV)

validate:
	$(GEN) validate $(ENV)

## Compile the native generator for this source version (minutes, once per source change; cached in
## .tmp/manifestgen-native). make render|check|validate and the git hook use it from then on.
native:
	bash scripts/manifestgen-cached.sh --path aot

## Pack the .NET tool ManifestGen into the local package source artifacts/packages (the native tool for
## this platform plus the framework-dependent one for others; only the latter where the native build
## fails), then:
##   dotnet tool restore && dotnet manifestgen --help                       (this repository's tool manifest)
##   dotnet tool install -g --add-source artifacts/packages ManifestGen     (manifestgen on PATH)
tool:
	bash scripts/manifestgen-cached.sh --pack artifacts/packages

build:
	$(DOTNET) build ManifestGen.sln -c $(CONFIG)

## Installs what the tests need (idempotent), then runs every test. UPDATE_SNAPSHOTS=1 rewrites goldens.
test:
	bash scripts/test.sh

## The quick start on a machine that has never run the suite: a fresh Debian root under runc with a clone of
## the current commit and this machine's .NET SDK runs make render and make test (scripts/test-fresh.sh).
test-fresh:
	bash scripts/test-fresh.sh

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
