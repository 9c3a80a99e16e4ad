# The two commands of the README: `make run` and `make test`. Everything else is a helper for them.
BUILD ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
ASAN_BUILD ?= build-asan
CMAKE_FLAGS ?=

.PHONY: deps test-deps configure build run test asan-test format format-check bench bench-api clean fuzz

# What building needs; test-deps adds what only the tests need (Chromium, clang for the fuzzers, kubectl,
# Node.js and the pinned Node tools), which `make run` never installs.
deps:
	@./scripts/install-deps.sh

test-deps:
	@./scripts/install-deps.sh --test

# RelWithDebInfo with -g1 (line tables: backtraces and sanitizer reports keep file:line) instead of -g: the
# full debug info of the Beast and test translation units made the cold build a fifth slower.
$(BUILD)/build.ninja: | deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
	  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" $(CMAKE_FLAGS)

configure: $(BUILD)/build.ninja

build: deps configure
	ninja -C $(BUILD) -j $(JOBS)

run: deps configure
	ninja -C $(BUILD) -j $(JOBS) sgaudit
	$(BUILD)/service/sgaudit serve --demo

test: test-deps build
	ctest --test-dir $(BUILD) -j $(JOBS) --output-on-failure --timeout 300

# The same tests under AddressSanitizer and UndefinedBehaviorSanitizer (the differential test with fewer cases;
# the plain build runs its full 100,000 per model).
asan-test: test-deps
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSGAUDIT_SANITIZE=ON -DSGAUDIT_BUILD_BENCH=OFF
	ninja -C $(ASAN_BUILD) -j $(JOBS)
	SGAUDIT_FUZZ_CASES=20000 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir $(ASAN_BUILD) -j $(JOBS) --output-on-failure --timeout 600

bench: deps
	cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DSGAUDIT_BUILD_TESTS=OFF -DSGAUDIT_BUILD_BENCH=ON
	ninja -C build-release -j $(JOBS)
	for b in build-release/bench/bench_*; do [ -x "$$b" ] && "$$b"; done

# Builds the libFuzzer targets with clang in build-fuzz and runs each on its seed corpus (FUZZ_SECONDS, default 15).
fuzz: test-deps
	./scripts/fuzz-smoke.sh

# The REST API under load (upload of 150k pods, 64 readers with wrk, beside nginx): see bench/api/README.md.
bench-api: bench
	bash bench/api/run.sh build-release/service/sgaudit

FORMAT_FILES = $(shell git ls-files '*.cpp' '*.hpp')

format:
	clang-format -i $(FORMAT_FILES)

format-check:
	clang-format --dry-run --Werror $(FORMAT_FILES)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-release
