# Thin wrapper over CMake. `make test` and `make demo` install Debian dependencies first.
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: all build deps test demo bench fuzz clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)

test: deps build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

demo: deps build
	@scripts/demo.sh $(BUILD)/bin/sysgate

bench: deps build
	@bench/run.sh $(BUILD)

clean:
	rm -rf $(BUILD)
