# qplay: one entry point for set-up, builds and tests. See README.md.
SHELL := /bin/bash
MAKEFLAGS += --no-print-directory
JOBS ?= $(shell nproc)
PORT ?= 8080
export NODE_PATH := /usr/share/nodejs

NATIVE := build/native
ASAN := build/asan
WASM := build/wasm
WASM_THREADS := build/wasm-threads
WASM_RELAXED := build/wasm-relaxed
WASM_THREADS_RELAXED := build/wasm-threads-relaxed
WEB := build/web
WASM_DEPS := build/third_party/protobuf-wasm/lib/libprotobuf-lite.a build/third_party/zlib-wasm/lib/libz.a
WASM_THREADS_DEPS := build/third_party-threads/protobuf-wasm/lib/libprotobuf-lite.a build/third_party-threads/zlib-wasm/lib/libz.a
# Threads in the threaded module, the caller's included (core/thread_pool.h).
WASM_THREAD_COUNT := 4

.PHONY: all setup native asan wasm wasm-threads wasm-relaxed wasm-threads-relaxed web serve test test-native test-wasm test-browser test-asan fuzz conformance bench bench-accuracy clean

all: native wasm wasm-threads wasm-relaxed wasm-threads-relaxed web

setup:
	@scripts/setup.sh

native: setup
	@cmake -S . -B $(NATIVE) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(NATIVE) -j$(JOBS)

# clang-14 with ASan, UBSan and libFuzzer's coverage hooks: the native tests, the CLI and the
# fuzz harnesses of tests/fuzz.
asan: setup
	@[ -f $(ASAN)/CMakeCache.txt ] || CC=clang-14 CXX=clang++-14 cmake -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQPLAY_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN) -j$(JOBS)

$(WASM_DEPS):
	@scripts/build-wasm-deps.sh

wasm: setup $(WASM_DEPS)
	@[ -f $(WASM)/CMakeCache.txt ] || emcmake cmake -S . -B $(WASM) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(WASM) -j$(JOBS)

$(WASM_THREADS_DEPS):
	@scripts/build-wasm-deps.sh threads

# The same module with Emscripten pthreads: qplay-threads.js, for cross-origin isolated pages.
wasm-threads: setup $(WASM_THREADS_DEPS)
	@[ -f $(WASM_THREADS)/CMakeCache.txt ] || emcmake cmake -S . -B $(WASM_THREADS) -DCMAKE_BUILD_TYPE=Release \
	  -DQPLAY_WASM_THREADS=$(WASM_THREAD_COUNT) -DQPLAY_WASM_DEPS=$(CURDIR)/build/third_party-threads >/dev/null
	@cmake --build $(WASM_THREADS) -j$(JOBS)

# The relaxed-SIMD modules, qplay-relaxed.js and qplay-threads-relaxed.js, built with LLVM 19
# (scripts/llvm19-for-emcc.sh), for engines that validate relaxed SIMD; each links the same
# dependencies as its base-SIMD twin.
wasm-relaxed: setup $(WASM_DEPS)
	@[ -f $(WASM_RELAXED)/CMakeCache.txt ] || EM_LLVM_ROOT=$$(scripts/llvm19-for-emcc.sh) emcmake cmake -S . -B $(WASM_RELAXED) \
	  -DCMAKE_BUILD_TYPE=Release -DQPLAY_WASM_RELAXED=ON >/dev/null
	@EM_LLVM_ROOT=$$(scripts/llvm19-for-emcc.sh) cmake --build $(WASM_RELAXED) -j$(JOBS)

wasm-threads-relaxed: setup $(WASM_THREADS_DEPS)
	@[ -f $(WASM_THREADS_RELAXED)/CMakeCache.txt ] || EM_LLVM_ROOT=$$(scripts/llvm19-for-emcc.sh) emcmake cmake -S . -B $(WASM_THREADS_RELAXED) \
	  -DCMAKE_BUILD_TYPE=Release -DQPLAY_WASM_RELAXED=ON -DQPLAY_WASM_THREADS=$(WASM_THREAD_COUNT) \
	  -DQPLAY_WASM_DEPS=$(CURDIR)/build/third_party-threads >/dev/null
	@EM_LLVM_ROOT=$$(scripts/llvm19-for-emcc.sh) cmake --build $(WASM_THREADS_RELAXED) -j$(JOBS)

web: wasm wasm-threads wasm-relaxed wasm-threads-relaxed
	@npx vite build --config web/vite.config.js --logLevel warn
	@node scripts/build-docs.mjs
	@cp $(WASM)/qplay.js $(WASM)/qplay.wasm $(WASM_THREADS)/qplay-threads.js $(WASM_THREADS)/qplay-threads.wasm \
	  $(WASM_THREADS)/qplay-threads.worker.js \
	  $(WASM_RELAXED)/qplay-relaxed.js $(WASM_RELAXED)/qplay-relaxed.wasm $(WASM_THREADS_RELAXED)/qplay-threads-relaxed.js \
	  $(WASM_THREADS_RELAXED)/qplay-threads-relaxed.wasm $(WASM_THREADS_RELAXED)/qplay-threads-relaxed.worker.js $(WEB)/
	@mkdir -p $(WEB)/examples/data && cp examples/models/*.onnx examples/models/*.json $(WEB)/examples/
	@cp examples/data/*.npy $(WEB)/examples/data/

serve: all
	@echo "qplay: serving http://localhost:$(PORT)/"
	@npx vite preview --config web/vite.config.js --port $(PORT) --strictPort --host 127.0.0.1

test: all test-native test-wasm test-browser

test-native: native
	@cd $(NATIVE) && ctest --output-on-failure -j$(JOBS)
	@$(NATIVE)/qplay conformance /usr/share/libonnx-testdata/data | tail -n 1

test-wasm: native wasm wasm-threads wasm-relaxed wasm-threads-relaxed
	@npx tsc -p wasm-tests
	@npx vitest run --root wasm-tests --project wasm

test-browser: web
	@npx tsc -p web
	@npx vitest run --root wasm-tests --project browser

# The whole native suite and the conformance runner under ASan and UBSan (the zoo's PyTorch
# comparison is left to test-native: it checks numbers, not memory).
test-asan: asan
	@cd $(ASAN) && ctest --output-on-failure -j$(JOBS) -E zoo_fidelity
	@$(ASAN)/qplay conformance /usr/share/libonnx-testdata/data | tail -n 1

# Every libFuzzer harness for FUZZ_SECONDS each (60 by default); fails on the first crash.
FUZZ_SECONDS ?= 60
fuzz: asan
	@scripts/fuzz.sh $(ASAN) $(FUZZ_SECONDS)

# Speed against onnxruntime-web on one thread, then on two (the threaded module), then the
# relaxed-SIMD builds against the base ones in Chromium, then calibration memory by sample
# count (prints JSON lines; see docs/performance.md). Not a test.
bench: all
	@scripts/setup-bench.sh
	@mkdir -p build/bench
	@[ -f build/bench/mobilenet_v2.onnx ] || /usr/bin/python3 bench/models/export_mobilenet_v2.py build/bench/mobilenet_v2.onnx
	@[ -f build/bench/segmentation.onnx ] || /usr/bin/python3 bench/models/export_segmentation.py build/bench/segmentation.onnx
	@[ -f build/bench/ocr_classifier.onnx ] || /usr/bin/python3 bench/models/export_ocr_classifier.py build/bench/ocr_classifier.onnx
	@[ -f build/bench/bert_encoder.onnx ] || /usr/bin/python3 bench/models/export_bert_encoder.py build/bench/bert_encoder.onnx
	@node bench/speed.mjs
	@node bench/speed.mjs --threads 2
	@node bench/relaxed-simd.mjs
	@node bench/relaxed-simd.mjs --threads 2
	@node bench/calibration-memory.mjs

# qplay's quantization of the bundled models beside PyTorch's (examples/README.md). Not a test.
bench-accuracy: native
	@scripts/setup-bench.sh
	@node bench/ptq-accuracy.mjs

conformance: native
	@$(NATIVE)/qplay conformance /usr/share/libonnx-testdata/data

clean:
	rm -rf $(NATIVE) $(ASAN) $(WASM) $(WASM_THREADS) $(WASM_RELAXED) $(WASM_THREADS_RELAXED) $(WEB)
