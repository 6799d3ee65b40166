# lolwire: top-level entry points.  CMake does the building; this file wires the steps.
#
#   make demo   install dependencies, build, run the sensor on the bundled capture
#   make test   install dependencies, build (plain and ASan+UBSan), run every test
#   make bench  run the benchmark (bench/README.md)

BUILD      ?= build
BUILD_SAN  ?= build-san
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=
DEMO_PCAP  ?= pcaps/demo.pcap
DEMO_LOGS  ?= logs-demo

.PHONY: all deps build build-san demo test unit-tests corpus-tests bench clean format

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLOLWIRE_TESTS=ON $(CMAKE_ARGS) >/dev/null
	@MAKEFLAGS= cmake --build $(BUILD) -j $(JOBS) -- --no-print-directory

build-san: deps
	@cmake -S . -B $(BUILD_SAN) -DCMAKE_BUILD_TYPE=Debug -DLOLWIRE_SANITIZE=ON \
		-DLOLWIRE_WERROR=ON -DLOLWIRE_TESTS=ON $(CMAKE_ARGS) >/dev/null
	@MAKEFLAGS= cmake --build $(BUILD_SAN) -j $(JOBS) -- --no-print-directory

demo: build
	@rm -rf $(DEMO_LOGS)
	@./$(BUILD)/lolwire -r $(DEMO_PCAP) -o $(DEMO_LOGS)
	@bash scripts/demo-summary.sh $(DEMO_LOGS)

test: build build-san
	@bash tests/run.sh $(BUILD) $(BUILD_SAN)

bench: build
	@bash bench/run.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD_SAN) logs $(DEMO_LOGS)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')
