# muxgate — build, test and demo. `make demo` and `make test` work on a fresh clone.
SWIFT ?= swift
BUILD_FLAGS ?=

.PHONY: all build venv test unit demo format lint clean

all: build

build:
	$(SWIFT) build $(BUILD_FLAGS)

# Project-local Python environments with the reference servers and the official MCP client.
venv:
	bash scripts/setup-venv.sh

# Every test: unit tests, then integration tests against real servers and the official client.
test: venv
	$(SWIFT) build --build-tests $(BUILD_FLAGS)
	$(SWIFT) test --skip-build $(BUILD_FLAGS)

unit:
	$(SWIFT) test $(BUILD_FLAGS) --filter MuxgateCoreTests

# muxgate in front of mcp-server-git, mcp-server-time and mcp-server-sqlite, driven by the official client.
demo: venv build
	bash scripts/demo.sh

format:
	$(SWIFT) format --in-place --recursive --parallel Package.swift Sources Tests

lint:
	$(SWIFT) format lint --strict --recursive --parallel Package.swift Sources Tests

clean:
	rm -rf .build .venv .venv-*
