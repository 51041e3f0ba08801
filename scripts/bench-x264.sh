#!/usr/bin/env bash
# x264 options for flat motion graphics: CPU in the encoder, file size and quality (PSNR, SSIM
# against a lossless encode of the same frames) on the longest demo video.
# Usage: bench-x264.sh BIN STORYBOARD DATA
set -euo pipefail
BIN=$1 SB=$2 DATA=$3
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
ID=C0002
"$BIN" render "$SB" --data "$DATA" --id $ID -o "$OUT/ref.mp4" --crf 0 --preset ultrafast --cfr >/dev/null

encode_secs() { awk '$1 == "encode" { print $2 }'; }
row() { # label, then extra render arguments
  local label=$1; shift
  local secs
  secs=$("$BIN" render "$SB" --data "$DATA" --id $ID -o "$OUT/t.mp4" --timings "$@" | encode_secs)
  local bytes
  bytes=$(stat -c %s "$OUT/t.mp4")
  local psnr ssim
  psnr=$(ffmpeg -v info -i "$OUT/t.mp4" -i "$OUT/ref.mp4" -lavfi "[0:v]fps=30[a];[1:v]fps=30[b];[a][b]psnr" -f null - 2>&1 | grep -o "average:[0-9.inf]*" | head -1)
  ssim=$(ffmpeg -v info -i "$OUT/t.mp4" -i "$OUT/ref.mp4" -lavfi "[0:v]fps=30[a];[1:v]fps=30[b];[a][b]ssim" -f null - 2>&1 | grep -o "All:[0-9.]*" | head -1)
  local q="PSNR ${psnr#average:} dB  SSIM ${ssim#All:}"
  printf "%-34s encode %6s s  %9s bytes  %s\n" "$label" "$secs" "$bytes" "$q"
}
echo "== x264 options on $ID (veryfast, crf 23; quality against a lossless encode, both decoded at 30 fps) =="
row "veryfast, x264 defaults, CFR" --cfr --tune none --x264-params none
row "me=dia:subme=1, CFR" --cfr --tune none --x264-params me=dia:subme=1
row "tune=animation, CFR" --cfr --tune animation --x264-params none
row "tune=animation + me=dia:subme=1, CFR" --cfr
row "superfast, x264 defaults, CFR" --cfr --preset superfast --tune none --x264-params none
row "the same, held pictures as long samples (default)"
