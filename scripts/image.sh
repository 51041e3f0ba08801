#!/usr/bin/env bash
# Builds the container image (Containerfile) from the release binary: `make image`.
#
# 1. The base, when BASE is the local default and missing (or REBUILD_BASE=1): a minimal
#    Debian bookworm made by mmdebstrap from the Debian archive, slimmed like Debian's official
#    bookworm-slim and a little more (below), imported into the engine. No container registry
#    is needed.
# 2. The image: Containerfile on that base, with podman (`--isolation chroot`: no daemon and no
#    user namespaces needed) or docker.
# The binary goes in stripped (target/image/billreel). Prints the image's name
# and size. Settings: see scripts/image-lib.sh.
set -euo pipefail
source "$(dirname "$0")/image-lib.sh"
cd "$REPO"

pick_engine
BIN=target/release/billreel
[ -x "$BIN" ] || die "no $BIN: build it first with \`cargo build --release\` (\`make image\` does)"

BASE_TAR=target/image/bookworm-slim.tar
SOURCES=(
  "deb http://deb.debian.org/debian bookworm main"
  "deb http://deb.debian.org/debian bookworm-updates main"
  "deb http://deb.debian.org/debian-security bookworm-security main"
)

# What Debian's official bookworm-slim leaves out (debuerreotype's --slimify list), and glibc's
# charset converters (8 MB: iconv for EBCDIC, Big5, GB18030, ...; billreel's text is UTF-8, and
# libxml2 converts with ICU), keeping UTF-7/16/32. Every package installed later on this base
# obeys these too, since they stay in its /etc/dpkg/dpkg.cfg.d/.
SLIM=(
  --dpkgopt='path-exclude=/usr/share/doc/*'
  --dpkgopt='path-include=/usr/share/doc/*/copyright'
  --dpkgopt='path-exclude=/usr/share/man/*'
  --dpkgopt='path-exclude=/usr/share/groff/*'
  --dpkgopt='path-exclude=/usr/share/info/*'
  --dpkgopt='path-exclude=/usr/share/lintian/*'
  --dpkgopt='path-exclude=/usr/share/linda/*'
  --dpkgopt='path-exclude=/usr/share/locale/*'
  --dpkgopt='path-include=/usr/share/locale/locale.alias'
  --dpkgopt='path-exclude=/usr/lib/x86_64-linux-gnu/gconv/*'
  --dpkgopt='path-include=/usr/lib/x86_64-linux-gnu/gconv/gconv-modules*'
  --dpkgopt='path-include=/usr/lib/x86_64-linux-gnu/gconv/UTF-*'
  --dpkgopt='path-include=/usr/lib/x86_64-linux-gnu/gconv/UNICODE.so'
)

make_base_tar() {
  command -v mmdebstrap >/dev/null \
    || die "no mmdebstrap: install it with \`bash scripts/install-image-deps.sh\` (\`make image\` does)"
  local t0=$SECONDS
  mkdir -p target/image
  echo "image: making the base with mmdebstrap (bookworm: essential + apt + passwd, slim) ..."
  # The apt variant (the Essential packages and apt) plus passwd (useradd): bookworm-slim
  # (minbase) without tzdata, e2fsprogs and mount, 4 MB that a renderer does not use. The
  # merged-usr hook merges /usr the way bookworm does without installing usrmerge, which would
  # pull in the whole of perl (+50 MB).
  mmdebstrap --quiet --variant=apt --include=passwd --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    "${SLIM[@]}" --aptopt='APT::Install-Recommends "false"' \
    --format=tar bookworm "$BASE_TAR.partial" "${SOURCES[@]}" \
    || die "mmdebstrap failed (it needs root and the Debian archive, deb.debian.org)"
  mv "$BASE_TAR.partial" "$BASE_TAR"
  echo "image: base made in $((SECONDS - t0)) s: $BASE_TAR"
}

# The tarball is kept (target/image/, 70 MB), so another engine or storage driver, or a base
# removed with `podman rmi`, is imported again in seconds; REBUILD_BASE=1 makes it afresh.
if [ "$BASE" = "$DEFAULT_BASE" ]; then
  if [ "${REBUILD_BASE:-0}" = 1 ] || ! "${E[@]}" image inspect "$BASE" >/dev/null 2>&1; then
    if [ "${REBUILD_BASE:-0}" = 1 ] || [ ! -f "$BASE_TAR" ]; then make_base_tar; fi
    "${E[@]}" import \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'CMD ["bash"]' "$BASE_TAR" "$BASE" >/dev/null
    echo "image: base $BASE imported from $BASE_TAR ($(mb "$(image_bytes "$BASE")"))"
  fi
fi

# The release profile keeps line tables for profiling (Cargo.toml, debug = 1): 118 MB. The image
# takes the binary stripped (16 MB). Stripping only the debug info would keep the symbols, so
# that a panic's backtrace names functions, but costs 3 MB the image cannot spare under its
# 250 MB (docs/operations.md); a panic still prints its message and file:line.
command -v strip >/dev/null || die "no strip: install binutils (\`bash scripts/install-image-deps.sh\` does)"
mkdir -p target/image
strip -o target/image/billreel.partial "$BIN"
mv target/image/billreel.partial target/image/billreel

t0=$SECONDS
build=("${E[@]}" build)
if [ "$ENGINE" = podman ]; then build+=(--isolation chroot); fi
echo "image: building $IMAGE on $BASE with $ENGINE ..."
"${build[@]}" --file Containerfile --build-arg "BASE=$BASE" --build-arg "VERSION=$VERSION" \
  --tag "$IMAGE" . \
  || die "building $IMAGE failed (see the step above)"
echo "image: $IMAGE built in $((SECONDS - t0)) s, $(mb "$(image_bytes "$IMAGE")")"
echo "image: publish it with: $ENGINE tag $IMAGE registry.example.com/billreel:$VERSION && $ENGINE push registry.example.com/billreel:$VERSION"
