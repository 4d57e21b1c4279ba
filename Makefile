# Starphleet: `make` builds dist/starphleet (one self-contained binary);
# `make test` runs every test; `make demo` installs everything and runs a
# one-ship phleet on this machine serving examples/.
BUN := node_modules/.bin/bun
TS_SOURCES := $(shell find lib/ts -name "*.ts")
ASSET_DIRS := lib/sh buildpacks lxc lib/templates lib/dashboard lib/libexec
# The dashboard's charting library (uPlot, MIT), from the npm package, bundled in the binary: no CDN.
DASHBOARD_VENDOR := lib/dashboard/vendor/uPlot.iife.min.js lib/dashboard/vendor/uPlot.min.css
# The per-container supervisor, a small C program (lib/c/supervise.c), bundled the same way;
# and the agent's memory trim (lib/c/pageout.c).
SUPERVISE := lib/libexec/starphleet-supervise
PAGEOUT := lib/libexec/starphleet-pageout
ASSET_FILES := $(sort $(shell find $(ASSET_DIRS) -type f 2>/dev/null) $(DASHBOARD_VENDOR) $(SUPERVISE) $(PAGEOUT))

.PHONY: all deps system-packages check test test-ts test-bats demo clean

all: dist/starphleet

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

deps: node_modules/.package-lock.json

system-packages:
	lib/sh/host/install-system-packages

lib/dashboard/vendor/%: node_modules/.package-lock.json
	@mkdir -p $(@D)
	cp node_modules/uplot/dist/$* $@

$(SUPERVISE): lib/c/supervise.c
	@mkdir -p $(@D)
	$(CC) -O2 -Wall -Wextra -Werror -o $@ $<

$(PAGEOUT): lib/c/pageout.c
	@mkdir -p $(@D)
	$(CC) -O2 -Wall -Wextra -Werror -o $@ $<

dist/assets.tar: $(ASSET_FILES)
	@mkdir -p dist
	tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf $@ $(ASSET_DIRS)

dist/starphleet: deps dist/assets.tar $(TS_SOURCES)
	$(BUN) build --compile lib/ts/main-compiled.ts --outfile $@

check: deps
	node_modules/.bin/tsc -p tsconfig.json
	shellcheck lib/sh/host/* lib/sh/container/* lxc/base-* buildpacks/*/bin/* $(shell find bench -maxdepth 1 -type f) test/bats/helpers/*.bash

test: all
	test/run-all

test-ts: deps $(SUPERVISE) $(PAGEOUT)
	node_modules/.bin/tap test/ts

test-bats: all
	node_modules/bats/bin/bats test/bats

demo: system-packages all
	lib/sh/host/demo

clean:
	rm -rf dist lib/dashboard/vendor lib/libexec
