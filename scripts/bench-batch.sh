#!/usr/bin/env bash
# Batch throughput and memory. Usage: bench-batch.sh BIN
#  1. the demo storyboard (1280x720, 20-28 s videos with sound, poster, GIF and page) over the
#     same 8 records, 2 workers, in four configurations: constant or variable frame rate
#     (--cfr or not), segment cache off or on (--no-segment-cache or not); then the default
#     with 1 worker for the scaling from 1 to 2 workers;
#  2. a storyboard with a shared brand intro and help outro (scenes/payment-reminder.yaml)
#     over 16 records, 2 workers: segment cache off and on, and the speed-up (target >= 1.5x);
#  3. a tiny storyboard (1 s, 320x180) over 2,000 and 20,000 records with 2 workers: peak RSS
#     must not grow with the number of records.
# Every line gives wall time, videos/min, CPU seconds per video (user + system) and peak RSS.
set -euo pipefail
BIN=$1
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
export BILLREEL_LINK_SECRET=bench-secret-not-for-production
"$BIN" sample --customers 8 --seed 7 -o "$DIR/run8.jsonl" >/dev/null
"$BIN" sample --customers 16 --seed 11 -o "$DIR/run16.jsonl" >/dev/null

# measure LABEL VIDEOS ARGS...: runs a batch into a fresh folder, prints one line.
measure() {
  local label=$1 videos=$2; shift 2
  rm -rf "$DIR/out"
  /usr/bin/time -f "%e %M %U %S" -o "$DIR/time" "$BIN" batch "$@" --out "$DIR/out" >"$DIR/log" || true
  grep -q "done: $videos ok" "$DIR/log" || { echo "$label: batch failed"; cat "$DIR/log"; exit 1; }
  read -r secs rss user sys < "$DIR/time"
  awk -v l="$label" -v n="$videos" -v s="$secs" -v r="$rss" -v u="$user" -v y="$sys" 'BEGIN {
    printf "%-34s %6.1f s %7.1f videos/min %6.2f CPU s/video  peak RSS %4d MB\n", l, s, n / s * 60, (u + y) / n, r / 1024 }'
}
rate() { awk '{ for (i = 1; i < NF; i++) if ($(i + 1) == "videos/min") print $i }'; }

echo "== demo storyboard, 8 videos of 1280x720, 2 workers =="
DEMO=(scenes/bill-explainer.yaml --data "$DIR/run8.jsonl")
measure "CFR, segment cache off" 8 "${DEMO[@]}" --jobs 2 --cfr --no-segment-cache
measure "CFR, segment cache on" 8 "${DEMO[@]}" --jobs 2 --cfr
measure "VFR, segment cache off" 8 "${DEMO[@]}" --jobs 2 --no-segment-cache
measure "VFR, segment cache on (default)" 8 "${DEMO[@]}" --jobs 2 | tee "$DIR/two"
measure "default, 1 worker" 8 "${DEMO[@]}" --jobs 1 | tee "$DIR/one"
awk -v a="$(rate < "$DIR/one")" -v b="$(rate < "$DIR/two")" 'BEGIN { printf "scaling 1 -> 2 workers: %.2fx\n", b / a }'

echo "== shared intro and outro (scenes/payment-reminder.yaml), 16 videos, 2 workers =="
REM=(scenes/payment-reminder.yaml --data "$DIR/run16.jsonl" --jobs 2)
measure "segment cache off" 16 "${REM[@]}" --no-segment-cache | tee "$DIR/off"
measure "segment cache on (default)" 16 "${REM[@]}" --timings | tee "$DIR/on"
grep "segment cache:" "$DIR/log" || true
awk -v a="$(rate < "$DIR/off")" -v b="$(rate < "$DIR/on")" 'BEGIN { printf "segment cache speed-up: %.2fx (target >= 1.5x)\n", b / a }'

echo "== tiny storyboard (1 s, 320x180), 2 workers: memory against run size =="
for n in 2000 20000; do
  "$BIN" sample --customers "$n" --seed 7 -o "$DIR/run$n.jsonl" >/dev/null
  measure "$n records" "$n" tests/batch/tiny.yaml --data "$DIR/run$n.jsonl" --jobs 2
done
