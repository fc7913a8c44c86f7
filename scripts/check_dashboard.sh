#!/usr/bin/env bash
# The server's dashboard as a viewer sees it: `gptoss-gl server` with the bundled model on two
# slots, three streaming requests (one waits), then
#   GET /          a page with the MJPEG <img> and a link to /metrics
#   GET /hud.png   a PNG of the HUD's size
#   GET /hud.mjpg  read by ffmpeg for 3 s, sampled once a second by wall clock: two frames a
#                  second apart must both decode (ffmpeg writes them as PNG) and differ.
# Run by `make test`. Usage: scripts/check_dashboard.sh [path/to/gptoss-gl]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-.build/debug/gptoss-gl}
work=$(mktemp -d)
fail() { echo "check_dashboard: $*" >&2; echo "--- server stderr:" >&2; tail -5 "$work/server.err" >&2 || true; exit 1; }
"$bin" server --port 0 --parallel 2 --shutdown-grace 1 --record-size 640x360 > "$work/server.out" 2> "$work/server.err" &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
url=""
for _ in $(seq 1 600); do
  url=$(grep -o 'http://[0-9.:]*' "$work/server.out" | head -1 || true)
  [ -n "$url" ] && break
  kill -0 "$server" 2>/dev/null || fail "the server exited before it listened"
  sleep 0.1
done
[ -n "$url" ] || fail "the server did not listen within 60 s"
grep -q "^dashboard: $url/" "$work/server.out" || fail "the server did not print the dashboard's address"

page=$(curl -sf "$url/") || fail "GET / failed"
grep -q '<img src="/hud.mjpg"' <<< "$page" || fail "GET / has no <img> of the stream"
grep -q 'href="/metrics"' <<< "$page" || fail "GET / has no link to /metrics"

for n in 1 2 3; do
  curl -sN "$url/v1/chat/completions" -H 'Content-Type: application/json' \
    -d '{"messages":[{"role":"user","content":"Tell me a long tale of Verona."}],"max_tokens":200,"stream":true}' \
    > "$work/answer$n.txt" &
done
sleep 1

type=$(curl -sf -o "$work/hud.png" -w '%{content_type}' "$url/hud.png") || fail "GET /hud.png failed"
[ "$type" = image/png ] || fail "GET /hud.png answered $type"
size=$(ffprobe -v error -select_streams v:0 -show_entries stream=width,height -of csv=p=0:s=x "$work/hud.png") || fail "/hud.png does not decode"
[ "$size" = 640x360 ] || fail "/hud.png is $size, expected 640x360"

timeout 60 ffmpeg -loglevel error -use_wallclock_as_timestamps 1 -f mpjpeg -i "$url/hud.mjpg" -t 3 -vf fps=1 \
  "$work/frame-%02d.png" || fail "ffmpeg could not read /hud.mjpg"
for frame in frame-01 frame-02; do
  [ -s "$work/$frame.png" ] || fail "no $frame from the stream"
  size=$(ffprobe -v error -show_entries stream=width,height -of csv=p=0:s=x "$work/$frame.png") || fail "$frame does not decode"
  [ "$size" = 640x360 ] || fail "$frame is $size, expected 640x360"
done
! cmp -s "$work/frame-01.png" "$work/frame-02.png" || fail "two frames a second apart are the same image"
kill -TERM "$server"
wait "$server" || fail "the server did not stop cleanly on SIGTERM"
echo "check_dashboard: /, /hud.png and /hud.mjpg answer; two stream frames a second apart decode and differ"
