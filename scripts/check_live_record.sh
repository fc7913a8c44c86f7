#!/usr/bin/env bash
# A live run's recording equals its replay: `generate --live --record DIR --telemetry LOG` with the
# bundled model, then `render-frames` of LOG at the same size and fps; every PNG frame must be
# byte-identical, and the live frame must exist. Run by `make test` after the unit tests.
# Usage: scripts/check_live_record.sh [path/to/gptoss-gl]   (default .build/debug/gptoss-gl)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-.build/debug/gptoss-gl}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" generate --prompt "ROMEO:" --max-tokens 12 --temperature 0.8 --seed 7 --quiet \
  --live "$work/live.png" --live-fps 5 --record "$work/record" --record-size 320x180 --record-fps 5 \
  --telemetry "$work/run.jsonl" > "$work/answer.txt" 2> "$work/stderr.txt" || { cat "$work/stderr.txt"; exit 1; }
grep -q "^live HUD: $work/live.png" "$work/stderr.txt" || { echo "check_live_record: generate did not say where the live frame is"; cat "$work/stderr.txt"; exit 1; }
[ -s "$work/live.png" ] || { echo "check_live_record: no live frame at $work/live.png"; exit 1; }
"$bin" render-frames --telemetry "$work/run.jsonl" --out "$work/replay" --size 320x180 --fps 5 --quiet
recorded=$(ls "$work/record" | wc -l)
replayed=$(ls "$work/replay" | wc -l)
[ "$recorded" -gt 0 ] && [ "$recorded" = "$replayed" ] || { echo "check_live_record: $recorded recorded frames, $replayed replayed"; exit 1; }
for frame in "$work"/record/*.png; do
  cmp -s "$frame" "$work/replay/$(basename "$frame")" || { echo "check_live_record: $(basename "$frame") differs from its replay"; exit 1; }
done
echo "check_live_record: $recorded frames of a live run equal their replay; live frame written"
