#!/usr/bin/env bash
# Decode speed with and without live HUD frames (1280x720 at 10 fps): runs `gptoss-gl bench --json`
# alternately without and with `--live`, twice each, and prints the decode tok/s of every run,
# the mean change in percent and what the live renderer managed (frames, cost of one).
# The issue's bar: within 3 % on the NVIDIA card. Extra arguments go to bench (e.g. --model M.gguf).
# Usage: scripts/bench_live_overhead.sh [--model M.gguf] [bench options]
#   BIN=path/to/gptoss-gl (default .build/release/gptoss-gl), LIVE_FPS=10, LIVE_SIZE=1280x720
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BIN:-.build/release/gptoss-gl}
fps=${LIVE_FPS:-10}
size=${LIVE_SIZE:-1280x720}
[ -x "$bin" ] || { echo "bench_live_overhead: $bin not found; run 'make build' (or set BIN)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The first "tokensPerSecond" after "decode" in bench's JSON: decode at the first depth.
decode_rate() { awk '/"decode"/ { d = 1 } d && /"tokensPerSecond"/ { gsub(/[ ,]/, "", $3); print $3; exit }' "$1"; }

run() {  # run NAME [extra bench args...]
  local name=$1; shift
  "$bin" bench --json --gen-tokens 256 --prompt-tokens 64 --repeat 5 "$@" > "$work/$name.json" 2> "$work/$name.err" \
    || { echo "bench_live_overhead: bench failed:" >&2; tail -5 "$work/$name.err" >&2; exit 1; }
  local rate; rate=$(decode_rate "$work/$name.json")
  [ -n "$rate" ] || { echo "bench_live_overhead: no decode rate in bench's output" >&2; exit 1; }
  printf '%-10s decode %8.2f tok/s  %s\n' "$name" "$rate" "$(grep -h '^live HUD: [0-9]' "$work/$name.err" || true)"
  echo "$rate" >> "$work/$(echo "$name" | tr -d 0-9).rates"
}

echo "card: $("$bin" probe 2>/dev/null | head -1 || true)"
run plain1 "$@"
run live1 "$@" --live "$work/live.png" --live-fps "$fps" --record-size "$size"
run plain2 "$@"
run live2 "$@" --live "$work/live.png" --live-fps "$fps" --record-size "$size"
awk -v fps="$fps" -v size="$size" 'FNR == 1 { file++ } file == 1 { p += $1; np++ } file == 2 { l += $1; nl++ }
  END { printf "live frames at %s, %s fps: decode %.2f -> %.2f tok/s (%+.2f %%)\n", size, fps, p / np, l / nl, (l / nl - p / np) / (p / np) * 100 }' \
  "$work/plain.rates" "$work/live.rates"
