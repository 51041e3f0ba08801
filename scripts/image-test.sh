#!/usr/bin/env bash
# Checks the built image for real (`make image-test`, after `make image`):
#   - its configuration: the entrypoint is billreel, the user is not root, the size is at most
#     IMAGE_MAX_MB (250);
#   - inside the image: every library the binary needs resolves (ldd), `billreel check` and
#     `billreel batch` render the sample run (scenes/bill-explainer.yaml, the 29 customers of
#     scenes/sample-billing-run.jsonl) as the image's user, in the landscape format only
#     (`--formats landscape`: the portrait and square files take the same code path and would
#     triple the time);
#   - from the host: the manifest has one `ok` line per customer, no temporary file is left,
#     the files belong to the image's user, and every MP4 is H.264, yuv420p, BT.709 with a
#     duration above zero (ffprobe) and decodes without a word from `ffmpeg -v error`.
#
# Runs the image with `podman run` / `docker run` where that works. Where it does not (this
# build machine's kernel refuses the container's RLIMIT_NPROC), it runs the image's own file
# system with `podman image mount` + `chroot --userspec` as the image's user, with the output
# folder bound at the image's /data, which is what the real run does minus the namespaces.
set -euo pipefail
source "$(dirname "$0")/image-lib.sh"
cd "$REPO"

IMAGE_MAX_MB=${IMAGE_MAX_MB:-250}
STORYBOARD=/usr/share/billreel/scenes/bill-explainer.yaml
RUN_FILE=/usr/share/billreel/scenes/sample-billing-run.jsonl
SECRET=billreel-demo-secret-not-for-production

fail() {
  echo "image-test: FAIL: $*" >&2
  exit 1
}
say() { echo "image-test: $*"; }

command -v ffprobe >/dev/null && command -v ffmpeg >/dev/null \
  || fail "ffprobe and ffmpeg are needed on the host to check the videos: run \`bash scripts/install-deps.sh\`"
[ "$(id -u)" = 0 ] || fail "run me as root (\`sudo make image-test\`): the output folder is handed to the image's user, and where \`podman run\` does not work the image is mounted and entered with chroot"
pick_engine
"${E[@]}" image inspect "$IMAGE" >/dev/null 2>&1 || fail "no image $IMAGE: build it with \`make image\`"
t_start=$SECONDS

# --- The image's configuration --------------------------------------------------------------
inspect() { "${E[@]}" image inspect --format "$1" "$IMAGE"; }
entrypoint=$(inspect '{{range .Config.Entrypoint}}{{.}} {{end}}')
entrypoint=${entrypoint% }
[ "$(basename "${entrypoint%% *}")" = billreel ] && [ "$entrypoint" = "${entrypoint%% *}" ] \
  || fail "the entrypoint is '$entrypoint', not the billreel binary alone (Containerfile: ENTRYPOINT [\"/usr/local/bin/billreel\"])"
user=$(inspect '{{.Config.User}}')
uid=${user%%:*}
gid=${user#*:}
[ "$gid" = "$user" ] && gid=$uid
case "$uid" in
  "" | 0 | root) fail "the image runs as root (USER is '$user'): set a non-root USER in Containerfile" ;;
  *[!0-9]*) fail "USER is '$user': give it as numbers (uid:gid), so that Kubernetes' runAsNonRoot can check it and chroot needs no name lookup" ;;
esac
workdir=$(inspect '{{.Config.WorkingDir}}')
[ -n "$workdir" ] || workdir=/
mapfile -t image_env < <(inspect '{{range .Config.Env}}{{println .}}{{end}}' | sed '/^$/d')
bytes=$(image_bytes "$IMAGE")
say "$IMAGE: entrypoint $entrypoint, user $user, working folder $workdir, size $(mb "$bytes")"
[ "$bytes" -le $((IMAGE_MAX_MB * 1000 * 1000)) ] \
  || fail "the image is $(mb "$bytes"), over the $IMAGE_MAX_MB MB allowed: see what grew with \`$ENGINE history $IMAGE\`"

# --- A way to run commands in the image -----------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/billreel-image-test.XXXXXX")
mounts=()
image_mounted=""
cleanup() {
  local i
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount "${mounts[i]}" 2>/dev/null || umount -l "${mounts[i]}" || true; done
  if [ -n "$image_mounted" ]; then "${E[@]}" image unmount "$IMAGE" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
mkdir "$work/data"
chown "$uid:$gid" "$work/data" # the image's user writes its outputs there, as into a volume

# in_image [--entrypoint PATH] ARGS...: runs the entrypoint (or PATH) with ARGS in the image,
# as the image's user, in its working folder, with its environment, /data being $work/data.
if "${E[@]}" run --rm "$IMAGE" --version >/dev/null 2>&1; then
  mode="$ENGINE run"
  in_image() {
    local ep=()
    if [ "$1" = --entrypoint ]; then ep=(--entrypoint "$2"); shift 2; fi
    "${E[@]}" run --rm --network none -v "$work/data:/data" -e "BILLREEL_LINK_SECRET=$SECRET" \
      "${ep[@]}" "$IMAGE" "$@"
  }
else
  [ "$ENGINE" = podman ] || fail "\`docker run\` does not work here, and the chroot fallback needs podman's \`image mount\`"
  mode="podman image mount + chroot"
  root=$("${E[@]}" image mount "$IMAGE") || fail "podman image mount $IMAGE failed"
  image_mounted=1
  [ -d "$root/data" ] && [ -d "$root/proc" ] && [ -d "$root/dev" ] \
    || fail "the image has no /data, /proc or /dev to mount on"
  mount --bind "$work/data" "$root/data" && mounts+=("$root/data")
  mount --bind /dev "$root/dev" && mounts+=("$root/dev")
  mount -t proc proc "$root/proc" && mounts+=("$root/proc")
  in_image() {
    local cmd=$entrypoint
    if [ "$1" = --entrypoint ]; then cmd=$2; shift 2; fi
    # shellcheck disable=SC2086 # the entrypoint is one word, checked above
    chroot --userspec="$uid:$gid" "$root" /usr/bin/env -i -C "$workdir" "${image_env[@]}" \
      "BILLREEL_LINK_SECRET=$SECRET" $cmd "$@"
  }
fi
say "running the image with: $mode"

# --- Inside the image -----------------------------------------------------------------------
libs=$(in_image --entrypoint /usr/bin/ldd /usr/local/bin/billreel) || fail "ldd of the binary failed in the image"
if grep -q 'not found' <<<"$libs"; then
  fail "libraries missing in the image (add their Debian packages to the Containerfile's apt-get install):
$(grep 'not found' <<<"$libs")"
fi
say "in the image, ldd resolves all $(grep -c '=>' <<<"$libs") libraries; $(in_image --version)"
[ "$(in_image --entrypoint /usr/bin/id -u)" = "$uid" ] || fail "the commands in the image did not run as uid $uid"

records=$(grep -c . scenes/sample-billing-run.jsonl)
in_image check "$STORYBOARD" --data "$RUN_FILE" >"$work/check.log" 2>&1 \
  || fail "\`billreel check\` of the sample run failed in the image:
$(tail -n 20 "$work/check.log")"
t_render=$SECONDS
in_image batch "$STORYBOARD" --data "$RUN_FILE" --out /data/out --formats landscape --jobs 2 \
  --base-url https://videos.example.com/image-test/ >"$work/batch.log" 2>&1 \
  || fail "\`billreel batch\` of the sample run failed in the image (exit $?):
$(tail -n 20 "$work/batch.log")"
say "rendered the sample run in the image in $((SECONDS - t_render)) s: $(grep -E '[0-9]+ ok' "$work/batch.log" | tail -n 1)"

# --- The outputs, checked from the host -----------------------------------------------------
out=$work/data/out
[ -f "$out/manifest.jsonl" ] || fail "no manifest.jsonl in the output folder; batch said:
$(tail -n 20 "$work/batch.log")"
leftovers=$(find "$out" -name '*.partial-*' | head -n 5)
[ -z "$leftovers" ] || fail "temporary files left in the output folder: $leftovers"
not_ours=$(find "$out" ! -uid "$uid" | head -n 5)
[ -z "$not_ours" ] || fail "files not written by the image's user $uid: $not_ours"

# Every record's line, its status, and every MP4 it names (each format's and the default one).
videos=$(python3 - "$out/manifest.jsonl" "$records" <<'EOF'
import json, sys
path, want = sys.argv[1], int(sys.argv[2])
lines = [json.loads(l) for l in open(path) if l.strip()]
bad = [f"{l.get('id')}: {l.get('status')} {l.get('error', '')}" for l in lines if l.get("status") != "ok"]
if bad:
    sys.exit("records not ok in the manifest:\n  " + "\n  ".join(bad))
ids = {l["id"] for l in lines}
if len(lines) != want or len(ids) != want:
    sys.exit(f"the manifest has {len(lines)} lines for {len(ids)} ids, not one line for each of the {want} records")
def mp4s(v):
    if isinstance(v, str):
        return [v] if v.endswith(".mp4") and "://" not in v else []
    if isinstance(v, dict):
        return [m for x in v.values() for m in mp4s(x)]
    if isinstance(v, list):
        return [m for x in v for m in mp4s(x)]
    return []
names = sorted({m for l in lines for m in mp4s(l)})
if len(names) < want:
    sys.exit(f"the manifest names {len(names)} MP4 files for {want} records")
print("\n".join(names))
EOF
) || fail "the manifest $out/manifest.jsonl is wrong (above)"

n=0
for name in $videos; do
  f=$out/$name
  [ -s "$f" ] || fail "$name is named by the manifest but missing or empty"
  probe=$(ffprobe -v error -select_streams v:0 \
    -show_entries stream=codec_name,pix_fmt,color_space,color_primaries,color_transfer:format=duration \
    -of default=noprint_wrappers=1 "$f") || fail "ffprobe cannot read $name"
  field() { sed -n "s/^$1=//p" <<<"$probe" | head -n 1; }
  for want in codec_name=h264 pix_fmt=yuv420p color_space=bt709 color_primaries=bt709 color_transfer=bt709; do
    [ "$(field "${want%%=*}")" = "${want#*=}" ] \
      || fail "$name: ${want%%=*} is '$(field "${want%%=*}")', not ${want#*=}"
  done
  awk -v d="$(field duration)" 'BEGIN { exit !(d + 0 > 0) }' || fail "$name: duration '$(field duration)' is not above 0"
  errors=$(ffmpeg -nostdin -v error -i "$f" -f null - 2>&1)
  [ -z "$errors" ] || fail "$name does not decode cleanly: $(head -n 5 <<<"$errors")"
  n=$((n + 1))
done

say "ok: $records records ok in the manifest, $n MP4s h264/yuv420p/bt709 decoded cleanly, size $(mb "$bytes") (limit $IMAGE_MAX_MB MB), checked in $((SECONDS - t_start)) s"
