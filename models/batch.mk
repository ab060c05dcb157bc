# Batch conversion of several models with make -j: every .onnx in MODELS_DIR becomes OUT_DIR/<name>.espdl
# (with .info and .json). espq exits non-zero on any problem and never leaves partial outputs, so make stops
# on the first broken model and re-runs only what is out of date; identical inputs give byte-identical files.
#
#   make -f models/batch.mk -j2 ESPQ=build/espq MODELS_DIR=my_models CALIB=calib_images/ OUT_DIR=out/batch
ESPQ ?= build/espq
MODELS_DIR ?= models
CALIB ?= models/calib
OUT_DIR ?= out/batch
FLAGS ?= --grayscale --scale 1/255 --target esp32s3 --quiet

MODELS := $(wildcard $(MODELS_DIR)/*.onnx)
TARGETS := $(patsubst $(MODELS_DIR)/%.onnx,$(OUT_DIR)/%.espdl,$(MODELS))

all: $(TARGETS)

$(OUT_DIR):
	mkdir -p $@

# Preflight first (under a second), then quantize, then check the embedded test vector.
$(OUT_DIR)/%.espdl: $(MODELS_DIR)/%.onnx | $(OUT_DIR)
	$(ESPQ) check $< --target esp32s3
	$(ESPQ) quantize $< --calib $(CALIB) $(FLAGS) -o $@
	$(ESPQ) verify $@

clean:
	rm -rf $(OUT_DIR)

.PHONY: all clean
