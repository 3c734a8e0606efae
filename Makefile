# qplay: one entry point for set-up, builds and tests. See README.md.
SHELL := /bin/bash
MAKEFLAGS += --no-print-directory
JOBS ?= $(shell nproc)
PORT ?= 8080
export NODE_PATH := /usr/share/nodejs

NATIVE := build/native
WASM := build/wasm
WEB := build/web
PROTOBUF_WASM := build/third_party/protobuf-wasm/lib/libprotobuf-lite.a

.PHONY: all setup native wasm web serve test test-native test-wasm test-browser conformance bench bench-accuracy clean

all: native wasm web

setup:
	@scripts/setup.sh

native: setup
	@cmake -S . -B $(NATIVE) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(NATIVE) -j$(JOBS)

$(PROTOBUF_WASM):
	@scripts/build-protobuf-wasm.sh

wasm: setup $(PROTOBUF_WASM)
	@[ -f $(WASM)/CMakeCache.txt ] || emcmake cmake -S . -B $(WASM) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(WASM) -j$(JOBS)

web: wasm
	@npx vite build --config web/vite.config.js --logLevel warn
	@node scripts/build-docs.mjs
	@cp $(WASM)/qplay.js $(WASM)/qplay.wasm $(WEB)/
	@mkdir -p $(WEB)/examples/data && cp examples/models/*.onnx examples/models/*.json $(WEB)/examples/
	@cp examples/data/*.npy $(WEB)/examples/data/

serve: all
	@echo "qplay: serving http://localhost:$(PORT)/"
	@npx vite preview --config web/vite.config.js --port $(PORT) --strictPort --host 127.0.0.1

test: all test-native test-wasm test-browser

test-native: native
	@cd $(NATIVE) && ctest --output-on-failure -j$(JOBS)
	@$(NATIVE)/qplay conformance /usr/share/libonnx-testdata/data | tail -n 1

test-wasm: native wasm
	@npx tsc -p wasm-tests
	@npx vitest run --root wasm-tests --project wasm

test-browser: web
	@npx tsc -p web
	@npx vitest run --root wasm-tests --project browser

# Speed against onnxruntime-web (prints JSON lines; see docs/performance.md). Not a test.
bench: all
	@scripts/setup-bench.sh
	@mkdir -p build/bench
	@[ -f build/bench/mobilenet_v2.onnx ] || /usr/bin/python3 bench/models/export_mobilenet_v2.py build/bench/mobilenet_v2.onnx
	@node bench/speed.mjs

# qplay's quantization of the bundled models beside PyTorch's (examples/README.md). Not a test.
bench-accuracy: native
	@scripts/setup-bench.sh
	@node bench/ptq-accuracy.mjs

conformance: native
	@$(NATIVE)/qplay conformance /usr/share/libonnx-testdata/data

clean:
	rm -rf $(NATIVE) $(WASM) $(WEB)
