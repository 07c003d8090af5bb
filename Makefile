# The user's interface. Every target installs what is missing first (a fast no-op when
# everything is present), then configures and builds with CMake presets (Ninja + ccache).
#
#   make demo       build and run the example service on the embedded broker
#   make test       build everything, run every test (g++ tree, ASan+UBSan tree, clang check)
#   make test-tsan  the memory-broker and NATS tests under ThreadSanitizer
#   make bench      the benchmarks (pinned to one core), results in BENCHMARKS.md
#   make asyncapi   the example service's AsyncAPI documents: build/asyncapi.json, .yaml, .html
#   make install    a Release build of the library, installed with headers, CMake package and
#                   pkg-config files (PREFIX)
#   make format     clang-format the tree

SHELL := /bin/bash
JOBS ?= $(shell nproc)
CTEST_JOBS ?= 2

.PHONY: deps build demo test test-unit test-asan test-clang test-fuzz test-tsan bench asyncapi install format clean
PREFIX ?= /usr/local

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake --preset default >/dev/null
	@cmake --build --preset default -j $(JOBS)

demo: build
	./build/default/examples/orders demo examples/orders/sample_orders.jsonl

test: build test-unit test-asan test-clang test-fuzz
	@echo "make test: all green"

test-unit: build
	ctest --preset default -j $(CTEST_JOBS)

test-asan: deps
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan -j $(JOBS)
	ctest --preset asan -j $(CTEST_JOBS)

test-clang: build
	bash scripts/clang-syntax-check.sh build/default/compile_commands.json

test-fuzz: deps
	bash scripts/run-fuzz.sh

test-tsan: deps
	@cmake --preset tsan >/dev/null
	@cmake --build --preset tsan -j $(JOBS) --target faststream_memory_tests faststream_nats_it \
	  faststream_nats_unit_tests faststream_nats_testbroker_it
	ctest --preset tsan -j $(CTEST_JOBS) -L 'memory|nats'

bench: build
	bash bench/run.sh

asyncapi: build
	./build/default/examples/orders docs gen -o build/asyncapi.json
	./build/default/examples/orders docs gen --yaml -o build/asyncapi.yaml
	./build/default/examples/orders docs gen --html -o build/asyncapi.html

# A Release build of the library alone (-O2 -DNDEBUG, no debug info): what a service links.
install: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)
	cmake --install build/release --prefix $(PREFIX)

format:
	@git ls-files '*.hpp' '*.cpp' | xargs clang-format-14 -i

clean:
	rm -rf build
