# The two commands a newcomer runs on a fresh Debian machine: `make demo` and `make test`.
# Each installs what it needs (system packages, Python only where a target says so) and builds.

SWIFT ?= swift
CONFIG ?= release
BIN = .build/$(CONFIG)/gptoss-gl
SYSTEM_PACKAGES = libegl-dev libgles-dev libpng-dev libcurl4-openssl-dev libegl-mesa0 libgl1-mesa-dri \
                  pkg-config glslang-tools ffmpeg nginx mesa-vulkan-drivers libturbojpeg0-dev

.PHONY: deps build demo test soak numpy fuzz fuzz-build release-check sanitize softpipe-check clean

# Installs the Debian packages the build and the tests use (skipped when all are present).
deps:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

build: deps
	$(SWIFT) build -c $(CONFIG)

# Answers a prompt with the bundled model on the GPU (llvmpipe on a CPU-only machine), keeps
# out/live.png showing the HUD while it runs, and records the HUD video of the whole run.
demo: build
	mkdir -p out
	@echo "live HUD frame: $(CURDIR)/out/live.png (open it in an image viewer that reloads)"
	$(BIN) generate --prompt "ROMEO:" --max-tokens 64 --temperature 0.8 --seed 7 --live out/live.png --record out/demo.mp4 --telemetry out/demo.jsonl

# Every import must be a declared dependency of its target (an undeclared one builds only by
# luck of the build order), so the check is an error here, as in CI (.ci/run runs this).
IMPORT_CHECK = --explicit-target-dependency-import-check error

# After the Swift tests, the official `openai` Python client drives `gptoss-gl server`
# (scripts/test_openai_server.py). The Python packages the tests use are installed at their pinned
# versions: openai, and wgpu + numpy for the WebGPU cross-check (CrossCheckTests).
TEST_PYTHON = $$(grep -E '^(openai|wgpu|numpy)==' scripts/requirements.txt | cut -d' ' -f1)
# What CI runs: the debug build and every test on llvmpipe, then what debug tests miss (a
# release build's logits), a second driver (softpipe, a subset), and each fuzz target briefly.
CI_FUZZ_SECONDS ?= 15

test: deps
	python3 -m pip install -q $(TEST_PYTHON)
	$(SWIFT) build $(IMPORT_CHECK)
	.build/debug/gptoss-gl translate --check
	$(SWIFT) test $(IMPORT_CHECK)
	timeout 900 python3 scripts/test_openai_server.py --binary .build/debug/gptoss-gl
	timeout 600 python3 scripts/soak_server.py --binary .build/debug/gptoss-gl --duration 60 --streams 64
	scripts/check_live_record.sh .build/debug/gptoss-gl
	scripts/check_dashboard.sh .build/debug/gptoss-gl
	$(MAKE) release-check
	$(MAKE) softpipe-check
	$(MAKE) fuzz FUZZ_SECONDS=$(CI_FUZZ_SECONDS)

# The long soak of `gptoss-gl server` (docs/server.md#soak): 64 streaming clients and hostile
# ones for SOAK_SECONDS; `make test` runs 60 s of it. CONFIG=debug soaks the debug build.
SOAK_SECONDS ?= 600
soak: build
	timeout $$(( $(SOAK_SECONDS) + 900 )) python3 scripts/soak_server.py --binary $(BIN) --duration $(SOAK_SECONDS) --streams 64

# numpy for scripts/check_fixtures.py: Debian's package, else pip.
numpy:
	@python3 -c 'import numpy' 2>/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get install -y -qq --no-install-recommends python3-numpy >/dev/null 2>&1 \
	  || python3 -m pip install --quiet --user numpy || python3 -m pip install --quiet --break-system-packages numpy; }
	@python3 -c 'import numpy' || { echo "error: numpy is needed by scripts/check_fixtures.py; install python3-numpy"; exit 1; }

# The optimiser changes lifetimes (a tensor freed before the repack read it reached a card that
# way): the fixtures' logits, prefill and --decode, with the release binary.
release-check: deps numpy
	$(SWIFT) build -c release --product gptoss-gl
	python3 scripts/check_fixtures.py .build/release/gptoss-gl

# Mesa's softpipe (a different shader executor, strict GLES 3.1): a bounded subset, ~2 min here
# (docs/fuzzing.md says which and why): four kernel families, the f32 fixtures' first case,
# every HUD golden (two frames against softpipe's own, Tests/HUDTests/Golden/softpipe).
SOFTPIPE_TESTS = KernelsTests.NormAndLinearTests|KernelsTests.AttentionTests|KernelsTests.SamplerTests|KernelsTests.ExpertTests|HUDTests.HUDSnapshotTests
softpipe-check: deps numpy
	$(SWIFT) build --build-tests $(IMPORT_CHECK)
	GALLIUM_DRIVER=softpipe .build/debug/gptoss-gl probe | grep -q 'softpipe' || { echo "error: GALLIUM_DRIVER=softpipe did not give softpipe"; exit 1; }
	GALLIUM_DRIVER=softpipe $(SWIFT) test --skip-build --filter '$(SOFTPIPE_TESTS)'
	GALLIUM_DRIVER=softpipe python3 scripts/check_fixtures.py .build/debug/gptoss-gl --flavours f32 --cases seq0

# The tests under AddressSanitizer and ThreadSanitizer, each in its own build folder. A bounded
# subset by default (SANITIZE_TESTS; '' runs everything): the full suite takes too long on 2 cores.
SANITIZE_TESTS ?= GGUFTests|WGSLTests|TokenizerTests|TelemetryTests|CommandLineTests|GPTOSSTests.BatchCompletionEngineTests|GPTOSSTests.SerialCompletionEngineTests|GPTOSSTests.NonFiniteLogitsTests|HUDTests.RecordingTests|HUDTests.LiveHUDTests|GLESTests.ThreadHandOffTests|ServerTests.ClientLeavesTests|ServerTests.ConnectionLimitTests
# Leak reports are off: the ones LeakSanitizer makes here are Foundation's file reads, the Swift
# runtime's once-caches and test globals (docs/fuzzing.md), not this project's memory.
sanitize: deps
	ASAN_OPTIONS=detect_leaks=0 $(SWIFT) test --sanitize=address --scratch-path .build/asan $(if $(SANITIZE_TESTS),--filter '$(SANITIZE_TESTS)')
	$(SWIFT) test --sanitize=thread --scratch-path .build/tsan $(if $(SANITIZE_TESTS),--filter '$(SANITIZE_TESTS)')

# Fuzzing (docs/fuzzing.md): each libFuzzer target runs FUZZ_SECONDS on its committed seeds
# (Fuzz/corpus/NAME) plus what earlier runs found (.build/fuzz/corpus/NAME, never committed).
# Built in release with AddressSanitizer and coverage, against libFuzzer's no-main runtime
# (the targets keep their own main, which plain builds use to replay inputs).
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= gguf wgsl harmony tokenizer
FUZZ_RUNTIME = $(shell find "$$(dirname "$$(dirname "$$(readlink -f "$$(command -v $(SWIFT))")")")/lib" \
                 -name 'libclang_rt.fuzzer_no_main-x86_64.a' 2>/dev/null | head -1)
FUZZ_FLAGS = -c release --scratch-path .build/fuzz -Xswiftc -DFUZZING -Xswiftc -sanitize=address \
             -Xswiftc -sanitize-coverage=edge,trace-cmp,inline-8bit-counters,pc-table \
             -Xlinker $(FUZZ_RUNTIME) -Xlinker -lstdc++

fuzz-build:
	@test -n "$(FUZZ_RUNTIME)" || { echo "error: libclang_rt.fuzzer_no_main not found next to $(SWIFT); a Swift toolchain for Linux ships it"; exit 1; }
	for t in $(FUZZ_TARGETS); do $(SWIFT) build $(FUZZ_FLAGS) --product fuzz-$$t || exit 1; done

fuzz: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p .build/fuzz/corpus/$$t .build/fuzz/artifacts; \
	  echo "fuzz-$$t: $(FUZZ_SECONDS) s"; \
	  .build/fuzz/release/fuzz-$$t .build/fuzz/corpus/$$t Fuzz/corpus/$$t -max_total_time=$(FUZZ_SECONDS) \
	    -timeout=10 -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 \
	    -artifact_prefix=.build/fuzz/artifacts/$$t- 2>.build/fuzz/$$t.log \
	    || { tail -40 .build/fuzz/$$t.log; echo "fuzz-$$t FAILED: the input is in .build/fuzz/artifacts/$$t-*"; exit 1; }; \
	  grep -E "stat::number_of_executed_units|stat::new_units_added|stat::peak_rss_mb" .build/fuzz/$$t.log | sed "s/^/  /"; \
	done

clean:
	rm -rf .build out
