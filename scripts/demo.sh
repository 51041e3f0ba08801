#!/usr/bin/env bash
# Renders every record of a billing run, one video per record, as many at a time as there are
# cores (each video's encoder is single-threaded). Usage: demo.sh BIN STORYBOARD DATA OUTDIR
set -euo pipefail
BIN=$1 SB=$2 DATA=$3 OUT=$4
mkdir -p "$OUT"
"$BIN" check "$SB" --data "$DATA"
# Record ids: the sample run writes `"id"` first on each line.
mapfile -t IDS < <(sed -n 's/^{"id": *"\([^"]*\)".*/\1/p' "$DATA")
echo "rendering ${#IDS[@]} videos with $(nproc) in parallel..."
start=$(date +%s.%N)
printf '%s\n' "${IDS[@]}" | xargs -P "$(nproc)" -I{} "$BIN" render "$SB" --data "$DATA" --id {} -o "$OUT/{}.mp4"
end=$(date +%s.%N)
"$BIN" preview "$SB" --data "$DATA" --id C0003 --at 12s -o "$OUT/C0003-chart.png" >/dev/null
secs=$(echo "$end - $start" | bc 2>/dev/null || awk "BEGIN{print $end - $start}")
echo
echo "done: ${#IDS[@]} videos in ${secs}s"
echo "output folder: $(cd "$OUT" && pwd)"
