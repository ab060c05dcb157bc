# Entry points (see README):
#   make demo   - install missing Debian packages, build, quantize the example model in models/
#   make test   - install missing Debian packages, build (Release + ASan/UBSan), run every test
#   make bench  - speed and accuracy benchmarks (long; not part of the tests)
JOBS ?= 2
BUILD ?= build
SAN_BUILD ?= build-asan
ESPQ = $(BUILD)/espq
DEMO_OUT ?= out/demo

.PHONY: all deps build build-asan demo test test-release test-asan bench clean

all: build

deps:
	@tools/bootstrap.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) -j$(JOBS)

build-asan: deps
	cmake -S . -B $(SAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DESPQ_SANITIZE=ON
	cmake --build $(SAN_BUILD) -j$(JOBS)

demo: build
	$(ESPQ) inspect models/gesture_mbv2.onnx

test-release: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

# The sanitizer build runs the tests that exercise parsers and kernels on small inputs; the data-heavy
# end-to-end suites are Release-only (label "e2e") to keep CI within its time budget.
test-asan: build-asan
	cd $(SAN_BUILD) && ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1 \
		ctest --output-on-failure -j$(JOBS) -LE "e2e|golden|slow"

test: test-release test-asan

bench: build
	$(ESPQ) bench

clean:
	rm -rf $(BUILD) $(SAN_BUILD) out
