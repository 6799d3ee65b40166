# lolwire: top-level entry points.  CMake does the building; this file wires the steps.
#
#   make demo   install dependencies, build, run the sensor on the bundled capture
#   make test   install dependencies, build (plain, ASan+UBSan, TSan), run every test
#   make bench  run the benchmark (bench/README.md)
#   make install [PREFIX=/usr/local] [DESTDIR=]  build, then install the binary, man page,
#               systemd unit, sysusers.d file, example configuration and docs
#               (cmake/install.cmake; an existing configuration is kept)

BUILD      ?= build
BUILD_SAN  ?= build-san
BUILD_TSAN ?= build-tsan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=
DEMO_PCAP  ?= pcaps/demo.pcap
DEMO_LOGS  ?= logs-demo
PREFIX     ?= /usr/local
DESTDIR    ?=

.PHONY: all deps build build-san build-tsan build-fuzz fuzz demo test unit-tests corpus-tests bench clean format install

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

# ThreadSanitizer: the sensor alone (the threaded replay in make test runs it).
build-tsan: deps
	@cmake -S . -B $(BUILD_TSAN) -DCMAKE_BUILD_TYPE=Debug -DLOLWIRE_TSAN=ON \
		-DLOLWIRE_WERROR=ON -DLOLWIRE_TESTS=OFF $(CMAKE_ARGS) >/dev/null
	@MAKEFLAGS= cmake --build $(BUILD_TSAN) -j $(JOBS) --target lolwire -- --no-print-directory

build-fuzz: deps
	@CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DLOLWIRE_FUZZ=ON \
		-DLOLWIRE_TESTS=OFF $(CMAKE_ARGS) >/dev/null
	@MAKEFLAGS= cmake --build build-fuzz -j $(JOBS) -- --no-print-directory

# Fuzz each target for FUZZ_SECONDS (default 60) from its seed corpus; findings land in
# build-fuzz/; copy a reproducer into tests/fuzz/corpus/<target>/ to keep it tested.
FUZZ_SECONDS ?= 60
fuzz: build-fuzz
	@for t in decode http tls rules hostev; do mkdir -p build-fuzz/corpus-$$t; \
		./build-fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=build-fuzz/ \
		build-fuzz/corpus-$$t tests/fuzz/corpus/$$t || exit 1; done

demo: build
	@rm -rf $(DEMO_LOGS)
	@./$(BUILD)/lolwire -r $(DEMO_PCAP) -o $(DEMO_LOGS) --eve $(DEMO_LOGS)/eve.json
	@bash scripts/demo-summary.sh $(DEMO_LOGS)

test: build build-san build-tsan
	@bash tests/run.sh $(BUILD) $(BUILD_SAN) $(BUILD_TSAN)

bench: build
	@bash bench/run.sh $(BUILD)

# The normal build, configured with the prefix; DESTDIR stages the files (packaging, tests).
install: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLOLWIRE_TESTS=ON \
		-DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_ARGS) >/dev/null
	@MAKEFLAGS= cmake --build $(BUILD) -j $(JOBS) -- --no-print-directory
	@DESTDIR="$(DESTDIR)" cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD_SAN) $(BUILD_TSAN) build-fuzz logs $(DEMO_LOGS)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')
