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

# Where one video's time goes, stage by stage (issue 6 starts from this profile).
echo "== render --timings --cfr (C0002, the longest demo video; every frame encoded) =="
"$BIN" render "$SB" --data "$DATA" --id C0002 -o "$OUT/timed.mp4" --timings --cfr
echo "== render --timings (C0002; default: held pictures as long samples) =="
"$BIN" render "$SB" --data "$DATA" --id C0002 -o "$OUT/timed.mp4" --timings

# check over a large run (no rendering): the target is well under a minute for 100,000 records.
"$BIN" sample --customers 100000 --seed 7 -o "$OUT/run100k.jsonl" >/dev/null
/usr/bin/time -f "check 100,000 records: %e s wall, %U s user, %M KiB max RSS" "$BIN" check "$SB" --data "$OUT/run100k.jsonl" >/dev/null
