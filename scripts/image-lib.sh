# Sourced by scripts/image.sh and scripts/image-test.sh: which container engine to use, with
# which storage options, and the image's names. Not run on its own.
#
# Settings (environment):
#   IMAGE             the image to build and test (default localhost/billreel:VERSION, VERSION
#                     from Cargo.toml); e.g. IMAGE=registry.example.com/billreel:0.1.0
#   BASE              the base image (default localhost/billreel-base:bookworm-slim, made by
#                     image.sh with mmdebstrap when missing)
#   CONTAINER_ENGINE  podman or docker (default: podman if installed, else docker if its
#                     daemon answers)
#   PODMAN_STORAGE_DRIVER  overlay or vfs (default: overlay when a layer can be mounted here,
#                     else vfs in its own storage folder)

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' "$REPO/Cargo.toml" | head -n 1)
IMAGE=${IMAGE:-localhost/billreel:$VERSION}
DEFAULT_BASE=localhost/billreel-base:bookworm-slim
BASE=${BASE:-$DEFAULT_BASE}

die() {
  echo "$(basename "$0"): $*" >&2
  exit 1
}

# Sets ENGINE (podman or docker) and E, the command with its options: "${E[@]}" build ...
pick_engine() {
  ENGINE=${CONTAINER_ENGINE:-}
  if [ -z "$ENGINE" ]; then
    if command -v podman >/dev/null; then
      ENGINE=podman
    elif command -v docker >/dev/null && docker info >/dev/null 2>&1; then
      ENGINE=docker
    else
      die "no container engine: neither podman nor a docker whose daemon answers. Install one with \`bash scripts/install-image-deps.sh\` (\`make image\` does)"
    fi
  fi
  case "$ENGINE" in
    docker) E=(docker) ;;
    podman) E=(podman $(podman_storage_opts)) ;;
    *) die "CONTAINER_ENGINE must be podman or docker, not '$ENGINE'" ;;
  esac
}

# podman's default storage (overlay) needs to mount overlay file systems; inside some
# sandboxes and containers it cannot. Probe it once with an empty image mounted and unmounted
# (about a second); fall back to vfs (plain copies of each layer: slower and bigger on disk, but
# it works anywhere) in a storage folder of its own, since one folder holds one driver's layers.
podman_storage_opts() {
  local driver=${PODMAN_STORAGE_DRIVER:-}
  if [ -z "$driver" ]; then
    driver=vfs
    if podman_can_mount_layers; then driver=overlay; fi
  fi
  case "$driver" in
    overlay) ;; # podman's default storage, /var/lib/containers/storage for root
    vfs) echo "--storage-driver vfs --root ${PODMAN_VFS_ROOT:-/var/lib/containers/storage-vfs} --runroot /run/containers/storage-vfs" ;;
    *) die "PODMAN_STORAGE_DRIVER must be overlay or vfs, not '$driver'" ;;
  esac
}

podman_can_mount_layers() {
  local probe=localhost/billreel-storage-probe:latest ok=1
  podman info >/dev/null 2>&1 || return 1
  tar -cf - --files-from /dev/null | podman import - "$probe" >/dev/null 2>&1 || return 1
  if podman image mount "$probe" >/dev/null 2>&1; then
    ok=0
    podman image unmount "$probe" >/dev/null 2>&1 || true
  fi
  podman rmi -f "$probe" >/dev/null 2>&1 || true
  return $ok
}

# The image's size in bytes, as the engine counts it (`podman images` shows it in MB = 10^6 B).
image_bytes() {
  "${E[@]}" image inspect --format '{{.Size}}' "$1"
}

mb() {
  awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1e6 }'
}
