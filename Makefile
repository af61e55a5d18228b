# Quick start: `make demo` and `make test`. Those two (and `make deps`) install what is missing
# (Debian packages, see scripts/packages.txt), then configure and build. `make` and
# `make install` never install packages: they only build, and CMake says what is missing.
# The test builds turn warnings into errors (CAFE_WERROR, off by default for packagers).
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
PREFIX     ?= /usr/local
CMAKE_ARGS ?=

.PHONY: all deps build demo test test-normal test-asan install bench fuzz reliability format clean

all: build

DEPS ?= build test
deps:
	@scripts/deps.sh $(DEPS)

CONFIGURE      = cmake -S . -B $(BUILD) -DCAFE_VALGRIND_TESTS=ON -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_ARGS)
CONFIGURE_ASAN = CC=clang-14 cmake -S . -B $(ASAN_BUILD) -DCAFE_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug $(CMAKE_ARGS)

$(BUILD)/CMakeCache.txt:
	$(CONFIGURE)

$(ASAN_BUILD)/CMakeCache.txt:
	$(CONFIGURE_ASAN)

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)

# The demo needs what builds cafe, not the test suite's browsers, databases and servers.
demo:
	@scripts/deps.sh build
	$(MAKE) build
	scripts/demo.sh $(BUILD)

# The recipes configure after deps (not as prerequisites, which -j would run alongside it).
test-normal: deps
	$(CONFIGURE) -DCAFE_WERROR=ON
	cmake --build $(BUILD) -j$(JOBS)
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS) --timeout 600

test-asan: deps
	$(CONFIGURE_ASAN) -DCAFE_WERROR=ON
	cmake --build $(ASAN_BUILD) -j$(JOBS)
	cd $(ASAN_BUILD) && ctest --output-on-failure -j$(JOBS) --timeout 900 -LE memcheck

test: test-normal test-asan

# Installs what the build made (library, headers, pkg-config file, CMake package, and the
# man pages and HTML reference when doxygen was there); never installs packages itself. A
# PREFIX given to make (`make install PREFIX=~/.local`) is where it goes even when the build
# was configured before with another; else the build's own (/usr/local, or CMAKE_ARGS'
# prefix).
install: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)
	cmake --install $(BUILD)$(if $(filter file,$(origin PREFIX)),, --prefix $(PREFIX))

bench: build
	@scripts/deps.sh --check bench
	cmake --build $(BUILD) -j$(JOBS) --target bench_all
	bench/run.sh $(BUILD)

fuzz:
	@scripts/deps.sh --check build test
	fuzz/run.sh $(or $(FUZZ_SECONDS),60)

# Fault suites, 100,000-URL RSS run, interruption rounds and every fuzzer for FUZZ_SECONDS
# (default 600) each: regenerates docs/reliability.md. Long; not part of `make test`.
reliability: build
	scripts/reliability.sh $(BUILD)

format:
	git ls-files '*.c' '*.h' | grep -v '^fuzz/corpus/' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
