#!/usr/bin/env bash
# Byte-identity of the demo outputs: the guard of a change that must not change any video.
#
# Renders, with one worker so the bytes do not depend on scheduling:
#   1. the demo batch (scenes/bill-explainer.yaml over scenes/sample-billing-run.jsonl), as
#      `make demo` does: every MP4, JPG, GIF, VTT and HTML of the sample customers, and the
#      manifest with its timing fields (render time) left out;
#   2. both demo storyboards, `render --cfr`, for every sample customer (MP4 and VTT).
# and writes `sha256  name` lines, sorted.
#
# Usage: byte-identity.sh BIN record FILE   write the list to FILE
#        byte-identity.sh BIN check FILE    compare with FILE; exit 1 and list what differs
set -euo pipefail
BIN=$1 MODE=$2 LIST=$3
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=$ROOT/scenes/sample-billing-run.jsonl
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT

BILLREEL_LINK_SECRET=billreel-demo-secret-not-for-production "$BIN" batch "$ROOT/scenes/bill-explainer.yaml" \
  --data "$DATA" --out "$DIR/demo" --jobs 1 --base-url https://videos.example.com/demo/ >/dev/null
# The manifest without what depends on the clock.
python3 - "$DIR/demo/manifest.jsonl" > "$DIR/demo/manifest.stable.jsonl" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    rec = json.loads(line)
    for k in ("render_secs", "render_ms", "rendered_at", "started_at", "finished_at", "secs"):
        rec.pop(k, None)
    print(json.dumps(rec, sort_keys=True))
EOF
rm "$DIR/demo/manifest.jsonl"

for sb in bill-explainer payment-reminder; do
  mkdir -p "$DIR/cfr-$sb"
  for id in $(python3 -c 'import json,sys; [print(json.loads(l)["id"]) for l in open(sys.argv[1])]' "$DATA"); do
    "$BIN" render "$ROOT/scenes/$sb.yaml" --data "$DATA" --id "$id" --cfr -o "$DIR/cfr-$sb/$id.mp4" >/dev/null
  done
done

(cd "$DIR" && find . -type f ! -name '*.partial*' | sort | xargs sha256sum) > "$DIR/list"
case "$MODE" in
  record)
    cp "$DIR/list" "$LIST"
    echo "byte-identity: $(wc -l < "$LIST") outputs recorded in $LIST"
    ;;
  check)
    # Every output in the list must be there, byte for byte; outputs the list does not have (a
    # file a later version writes as well) are named, not failed.
    missing=$(join -v1 <(awk '{print $2, $1}' "$LIST" | sort) <(awk '{print $2, $1}' "$DIR/list" | sort) || true)
    extra=$(join -v2 -j1 <(awk '{print $2}' "$LIST" | sort) <(awk '{print $2}' "$DIR/list" | sort) || true)
    if [ -n "$extra" ]; then
      echo "byte-identity: $(echo "$extra" | wc -l) outputs not in $LIST (new files, not compared):"
      echo "$extra" | head -5 | sed 's/^/  /'
    fi
    if [ -z "$missing" ]; then
      echo "byte-identity: all $(wc -l < "$LIST") outputs identical to $LIST"
    else
      echo "byte-identity: outputs missing or different from $LIST (name, sha256 before):"
      echo "$missing"
      exit 1
    fi
    ;;
  *) echo "usage: byte-identity.sh BIN record|check FILE" >&2; exit 2 ;;
esac
