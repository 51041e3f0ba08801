#!/usr/bin/env bash
# Installs the system packages billreel needs, only those that are missing.
# Idempotent: a second run does nothing but check. Used by `make demo` and `make test`.
set -euo pipefail

PACKAGES=(
  pkg-config
  clang libclang-dev            # bindgen for ffmpeg-sys-next
  libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libswresample-dev
  libavfilter-dev libavdevice-dev
  time                          # /usr/bin/time for `make bench`
  ffmpeg                        # ffprobe, used by the end-to-end tests to check outputs independently
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all system packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
