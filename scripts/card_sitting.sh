#!/usr/bin/env bash
# One sitting on the lent NVIDIA machine, in one call of at most 10 minutes (docs/gpu-machine.md):
# every check and figure that issue 17's notes owe, with llama.cpp built and run beside it on the
# same card and file. Run it there in the repository root, with `.gl` (the EGL/GLES loader debs),
# `.gpu` (the release binary, stripped, xz-compressed as .gpu/gptoss-gl.xz) and `.anchor` (a copy of
# ../shared/anchor) carried:
#
#   scripts/card_sitting.sh            # results under $OUT (or ./out-sitting)
#
# Mind the 64 MiB the device tool carries: the tracked tree is ≈ 44 MB (the bundled model 26 MB of
# it), the stripped static release binary ≈ 19 MB with `xz -6` (a little less with `xz -9e`),
# .anchor 4 MB, .gl 0.5 MB, so .gpu must hold nothing but gptoss-gl.xz.
#
# While llama.cpp builds in the background (≈ 6 minutes, 12 jobs), the foreground runs, each step
# with its own time limit so that one slow step cannot eat the others' share:
#   1. the card, driver and probe;                                   card.txt
#   2. synthetic 20b (the file both engines run);
#   3. the fixture check (54 fixtures, greedy output against the portable path on both models);  checks.txt
#   4. gptoss-gl bench: prefill 512 and decode at depth 0 and 4096, median of 3;                bench.txt
#   5. probe --phases (phase hand-offs inside one launch, with how the driver compiled it) and
#      probe --launches;                                                                        probes.txt
# then waits for the build and runs llama-bench on the same file (pp512, tg128 at 0 and 4096). anchor.txt
# Few files on purpose: the device tool brings back only a handful. Set SKIP_ANCHOR=1 to leave
# llama.cpp out, BIN to use another binary, MODEL to use an existing file.
set -uo pipefail
OUT=${OUT:-out-sitting}; mkdir -p "$OUT"
T0=$(date +%s)
stamp() { echo "[+$(( $(date +%s) - T0 ))s] $*"; }

for f in .gl/*.deb; do [ -f "$f" ] && dpkg -x "$f" / 2>/dev/null; done; ldconfig 2>/dev/null
NVIDIA_EGL=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
[ -f "$NVIDIA_EGL" ] && export __EGL_VENDOR_LIBRARY_FILENAMES=${__EGL_VENDOR_LIBRARY_FILENAMES:-$NVIDIA_EGL}
export GPTOSS_GL_HOME=$PWD
if [ -z "${BIN:-}" ]; then
    mkdir -p /tmp/sitting && xz -dc .gpu/gptoss-gl.xz > /tmp/sitting/gptoss-gl && chmod +x /tmp/sitting/gptoss-gl || exit 2
    BIN=/tmp/sitting/gptoss-gl
fi
MODEL=${MODEL:-/dev/shm/synth-20b.gguf}

stamp "card" | tee "$OUT/card.txt"
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1; $BIN probe 2>&1 | head -40; } >> "$OUT/card.txt"

if [ ! -f "$MODEL" ]; then
    stamp "synth $MODEL"
    timeout 150 $BIN synth --preset 20b --out "$MODEL" > /dev/null 2>&1 || { echo "synth failed" >> "$OUT/card.txt"; exit 2; }
fi

ANCHOR=0
if [ -z "${SKIP_ANCHOR:-}" ] && [ -f .anchor/run_anchor.sh ]; then
    # Our file, not the anchor's own synthetic copy; the build runs in the background.
    mkdir -p /tmp/anchor && touch /tmp/anchor/model.done
    MODEL="$MODEL" JOBS=12 bash .anchor/run_anchor.sh build > "$OUT/anchor.txt" 2>&1 && ANCHOR=1
fi

stamp "checks" | tee "$OUT/checks.txt"
timeout 200 python3 -u scripts/check_fixtures.py "$BIN" Tests/GPTOSSTests/Fixtures --greedy "$MODEL" --greedy bundled \
    >> "$OUT/checks.txt" 2>&1
echo "check_fixtures exit $?" >> "$OUT/checks.txt"

stamp "bench" | tee "$OUT/bench.txt"
timeout 150 $BIN bench --model "$MODEL" --prompt-tokens 512 --gen-tokens 128 --repeat 3 --depth 0 --depth 4096 \
    >> "$OUT/bench.txt" 2>&1
echo "bench exit $?" >> "$OUT/bench.txt"

stamp "probes" | tee "$OUT/probes.txt"
GPTOSS_GL_DUMP_PROGRAMS=/tmp/sitting/programs timeout 60 $BIN probe --phases >> "$OUT/probes.txt" 2>&1
echo "probe --phases exit $?" >> "$OUT/probes.txt"
# How the driver compiled the hand-off's waits and value accesses (coherent, volatile, fences).
timeout 30 python3 scripts/program_report.py /tmp/sitting/programs --match phase_handoff 2>&1 | head -60 >> "$OUT/probes.txt"
timeout 40 $BIN probe --launches 2>&1 | grep -E "^(launches|chained)" >> "$OUT/probes.txt"

if [ "$ANCHOR" = 1 ]; then
    stamp "llama.cpp" >> "$OUT/anchor.txt"
    # `bench` exits 3 while the build still runs: wait for it, within what is left of the call.
    for _ in $(seq 1 60); do
        MODEL="$MODEL" bash .anchor/run_anchor.sh bench >> "$OUT/anchor.txt" 2>&1
        status=$?
        [ "$status" != 3 ] && break
        sleep 5
    done
    echo "anchor bench exit $status" >> "$OUT/anchor.txt"
fi
stamp "done" | tee -a "$OUT/card.txt"
