#!/usr/bin/env bash
# Batch throughput and memory. Usage: bench-batch.sh BIN
#  1. the demo storyboard (1280x720, ~20 s videos) over the same 8 records with 1 and 2
#     workers: videos/min, scaling from 1 to 2 workers, peak RSS;
#  2. a tiny storyboard (1 s, 320x180) over 2,000 and 20,000 records with 2 workers: peak RSS
#     must not grow with the number of records.
set -euo pipefail
BIN=$1
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
export BILLREEL_LINK_SECRET=bench-secret-not-for-production
"$BIN" sample --customers 8 --seed 7 -o "$DIR/run8.jsonl" >/dev/null

measure() { # label, then the batch arguments; prints label, seconds, peak RSS
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$DIR/time" "$BIN" batch "$@" >/dev/null || true
  read -r secs rss < "$DIR/time"
  echo "$label $secs $rss"
}

echo "== demo storyboard, 8 videos of 1280x720 =="
read -r _ s1 r1 < <(measure one scenes/bill-explainer.yaml --data "$DIR/run8.jsonl" --out "$DIR/o1" --jobs 1)
read -r _ s2 r2 < <(measure two scenes/bill-explainer.yaml --data "$DIR/run8.jsonl" --out "$DIR/o2" --jobs 2)
awk -v s1="$s1" -v s2="$s2" -v r1="$r1" -v r2="$r2" 'BEGIN {
  v1 = 8 / s1 * 60; v2 = 8 / s2 * 60;
  printf "1 worker : %6.1f s  %6.1f videos/min  peak RSS %4d MB\n", s1, v1, r1 / 1024;
  printf "2 workers: %6.1f s  %6.1f videos/min  peak RSS %4d MB\n", s2, v2, r2 / 1024;
  printf "scaling 1 -> 2 workers: %.2fx\n", v2 / v1 }'

echo "== tiny storyboard (1 s, 320x180), 2 workers: memory against run size =="
for n in 2000 20000; do
  "$BIN" sample --customers "$n" --seed 7 -o "$DIR/run$n.jsonl" >/dev/null
  read -r _ s r < <(measure "$n" tests/batch/tiny.yaml --data "$DIR/run$n.jsonl" --out "$DIR/tiny$n" --jobs 2)
  awk -v n="$n" -v s="$s" -v r="$r" 'BEGIN { printf "%6d records: %7.1f s  %7.0f videos/min  peak RSS %4d MB\n", n, s, n / s * 60, r / 1024 }'
  rm -rf "$DIR/tiny$n"
done
