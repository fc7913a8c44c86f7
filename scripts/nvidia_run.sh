#!/usr/bin/env bash
# What the lead runs on the lent NVIDIA machine (docs/gpu-machine.md), in the repo root there, with
# `.gl` (the EGL/GLES loader debs) and `.gpu` (a stripped release build made with
# --static-swift-stdlib, xz-compressed) carried. Results go to $OUT (or ./out-nvidia): the probe,
# a generate run of the bundled model, bench on a synthetic file of the exact gpt-oss-20b layout,
# and the fixture check. Steps are ordered by importance and each has its own time limit, so one
# slow step cannot eat the others' share of a 10-minute call.
set -uo pipefail
OUT=${OUT:-out-nvidia}; mkdir -p "$OUT"
for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig
export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
export GPTOSS_GL_HOME=$PWD
# The binary travels xz-compressed: the working tree that travels is capped at 64 MiB.
[ -f .gpu/gptoss-gl.xz ] && xz -dkf .gpu/gptoss-gl.xz
BIN=./.gpu/gptoss-gl
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader; $BIN probe; } 2>&1 | tee "$OUT/probe.txt"
$BIN probe --json > "$OUT/probe.json" 2>&1
timeout 60 $BIN generate --prompt "ROMEO:" --max-tokens 64 --temperature 0.8 --seed 7 \
    --telemetry "$OUT/demo.jsonl" 2>&1 | tail -15 | tee "$OUT/generate.txt"
timeout 60 $BIN bench --prompt-tokens 64 --gen-tokens 64 --repeat 3 2>&1 | tee "$OUT/bench-demo.txt"
( time timeout 150 $BIN synth --preset 20b --out /tmp/synth-20b.gguf ) 2>&1 | tail -5 | tee "$OUT/synth.txt"
timeout 240 $BIN bench --model /tmp/synth-20b.gguf --prompt-tokens 512 --gen-tokens 32 --repeat 3 \
    --depth 0 --depth 4096 2>&1 | tee "$OUT/bench-20b.txt"
timeout 90 python3 scripts/check_fixtures.py $BIN 2>&1 | tail -8 | tee "$OUT/fixtures.txt"
