#!/usr/bin/env bash
# Installs what `make image` and `make image-test` need, only what is missing: a container
# engine and mmdebstrap (the base image is made locally from the Debian archive, because this
# machine reaches no container registry). Kept apart from scripts/install-deps.sh so that
# `make test` and `make demo` do not pay for it.
#
# Idempotent: a second run does nothing but check. A working docker (its daemon answers) is
# accepted in place of podman; a docker client without a daemon is not.
set -euo pipefail

PACKAGES=(
  mmdebstrap                    # the base image: a minimal bookworm from the Debian archive
  binutils                      # strip: the binary goes into the image without its debug info
)
if ! { command -v docker >/dev/null && docker info >/dev/null 2>&1; }; then
  # podman builds rootful without a daemon; its Recommends (catatonit, slirp4netns, crun's
  # criu, ...) are only needed by `podman run`, which image-test tries and falls back from.
  PACKAGES+=(podman)
fi

missing() {
  for p in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      echo "$p"
    fi
  done
}

need=($(missing "${PACKAGES[@]}"))
if [ ${#need[@]} -eq 0 ]; then
  echo "install-image-deps: all present (${PACKAGES[*]})"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# Other jobs on the machine may hold apt's lock: wait for it rather than fail.
APT_OPTS=(-o DPkg::Lock::Timeout=600)
$SUDO apt-get "${APT_OPTS[@]}" update -qq
echo "install-image-deps: installing ${need[*]}"
$SUDO apt-get "${APT_OPTS[@]}" install -y -qq --no-install-recommends "${need[@]}"
