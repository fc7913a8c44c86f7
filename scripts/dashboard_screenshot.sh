#!/usr/bin/env bash
# The server's dashboard in a real browser: starts `gptoss-gl server` with the bundled model on
# four slots, sends five streaming chat requests (one waits for a slot), and takes two
# headless-Chromium screenshots of GET / a second apart. Both must exist and differ (the HUD
# moves). The first is kept as OUT (default docs/images/dashboard.jpg; a .jpg goes through
# ffmpeg to stay small in the repository).
# Needs Debian's chromium (apt-get install chromium). Not part of make test: Chromium is large.
# Usage: scripts/dashboard_screenshot.sh [OUT.png] [path/to/gptoss-gl]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/images/dashboard.jpg}
bin=${2:-.build/debug/gptoss-gl}
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "dashboard_screenshot: chromium not found; install Debian's chromium package" >&2; exit 1; }
work=$(mktemp -d)
"$bin" server --port 0 --parallel 4 --shutdown-grace 1 > "$work/server.out" 2> "$work/server.err" &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
url=""
for _ in $(seq 1 600); do
  url=$(grep -o 'http://[0-9.:]*' "$work/server.out" | head -1 || true)
  [ -n "$url" ] && break
  kill -0 "$server" 2>/dev/null || { cat "$work/server.err" >&2; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { echo "dashboard_screenshot: the server did not listen" >&2; exit 1; }
questions=("What says Juliet?" "Tell me of Verona." "Who is Mercutio?" "Speak of the night." "What of Romeo?")
for question in "${questions[@]}"; do
  curl -sN "$url/v1/chat/completions" -H 'Content-Type: application/json' \
    -d "{\"messages\":[{\"role\":\"user\",\"content\":\"$question\"}],\"max_tokens\":300,\"stream\":true}" > /dev/null &
done
sleep 4
shot() {  # shot FILE: the page after 1.5 s of (virtual) time; the MJPEG stream never finishes loading
  timeout 90 "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$work/profile" \
    --window-size=1300,770 --timeout=1500 --screenshot="$1" "$url/" > /dev/null 2>&1 || true
  [ -s "$1" ] || { echo "dashboard_screenshot: chromium wrote no screenshot" >&2; exit 1; }
}
shot "$work/a.png"
sleep 1
shot "$work/b.png"
! cmp -s "$work/a.png" "$work/b.png" || { echo "dashboard_screenshot: two screenshots a second apart are the same" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
case "$out" in
  *.jpg|*.jpeg) ffmpeg -loglevel error -y -i "$work/a.png" -q:v 4 "$out" ;;
  *) cp "$work/a.png" "$out" ;;
esac
echo "dashboard_screenshot: two screenshots a second apart differ; kept $out"
