#!/usr/bin/env bash
# Prints the time to render single videos of the demo storyboard (one core, release build).
# Usage: bench.sh BIN STORYBOARD DATA
set -euo pipefail
BIN=$1 SB=$2 DATA=$3
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
for id in C0001 C0002 C0003 C0004; do
  /usr/bin/time -f "$id: %e s wall, %U s user, %M KiB max RSS" "$BIN" render "$SB" --data "$DATA" --id "$id" -o "$OUT/$id.mp4" >/dev/null
done
