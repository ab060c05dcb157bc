# Entry points (see README):
#   make demo   - install missing Debian packages, build the espq CLI only, quantize the example model in models/
#   make test   - install missing Debian packages, build in Release, run every test (what .ci/run runs)
#   make test-asan - the same suites (minus the data-heavy ones) in an ASan+UBSan build
#   make bench  - speed and accuracy benchmarks (long; not part of the tests)
#   make readme-ops - regenerate README's supported-operator table from the code (espq ops --markdown)
JOBS ?= 2
BUILD ?= build
SAN_BUILD ?= build-asan
ESPQ = $(BUILD)/espq
DEMO_OUT ?= out/demo

.PHONY: all deps configure build build-espq build-asan demo test test-release test-asan bench readme-ops clean

all: build

deps:
	@tools/bootstrap.sh

configure: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release

# Everything: the library, the CLI and every test suite.
build: configure
	cmake --build $(BUILD) -j$(JOBS)

# Only the CLI and the library it links: what demo, bench and readme-ops run (the test suites take minutes more).
build-espq: configure
	cmake --build $(BUILD) -j$(JOBS) --target espq

build-asan: deps
	cmake -S . -B $(SAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-O1 -DESPQ_SANITIZE=ON
	cmake --build $(SAN_BUILD) -j$(JOBS)

# The main job on the example model: a 96x96 grayscale classifier and 64 calibration PNGs (pixels / 255).
demo: build-espq
	mkdir -p $(DEMO_OUT)
	$(ESPQ) inspect models/gesture_mbv2.onnx
	$(ESPQ) quantize models/gesture_mbv2.onnx --calib models/calib --grayscale --resize 96x96 --scale 1/255 \
		--target esp32s3 -o $(DEMO_OUT)/
	$(ESPQ) verify $(DEMO_OUT)/gesture_mbv2.espdl
	$(ESPQ) eval $(DEMO_OUT)/gesture_mbv2.espdl --data models/calib --grayscale --scale 1/255 \
		--reference models/gesture_mbv2.onnx

test-release: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

# The sanitizer build runs the tests that exercise parsers and kernels on small inputs; the data-heavy
# end-to-end suites are Release-only (label "e2e") to keep CI within its time budget.
test-asan: build-asan
	cd $(SAN_BUILD) && ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1 \
		ctest --output-on-failure -j$(JOBS) -LE "e2e|golden|slow"

test: test-release

# Speed figures on the bench models (not tests). Data: tests/data/bench (first 1000 Fashion-MNIST test images).
bench: build-espq
	$(ESPQ) bench models/gesture_mbv2.onnx --calib tests/data/bench/fashion96/calib.npy \
		--data tests/data/bench/fashion96/eval1000.npy --scale 1/255
	$(ESPQ) bench tests/data/bench/fmnist_mbv3.onnx --calib tests/data/bench/fashion64/calib.npy \
		--data tests/data/bench/fashion64/eval1000.npy --scale 1/255
	$(ESPQ) bench tests/data/bench/fmnist_cnn.onnx --calib tests/data/bench/fashion28/calib.npy \
		--data tests/data/bench/fashion28/eval1000.npy --scale 1/255

# README's operator table is `espq ops --markdown`, pasted between the ops-table markers;
# tests/cli/test_cli_ops.cpp fails when it is out of date.
readme-ops: build-espq
	$(ESPQ) ops --markdown > $(BUILD)/ops-table.md
	awk -v table=$(BUILD)/ops-table.md \
		'/<!-- ops-table:end -->/ { while ((getline line < table) > 0) print line; skip = 0 } \
		 !skip { print } \
		 /<!-- ops-table:begin -->/ { skip = 1 }' README.md > README.md.tmp
	mv README.md.tmp README.md

clean:
	rm -rf $(BUILD) $(SAN_BUILD) out
