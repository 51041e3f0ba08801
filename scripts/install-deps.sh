#!/usr/bin/env bash
# Installs the system packages billreel needs, only those that are missing.
# Idempotent: a second run does nothing but check. Used by `make demo` and `make test`.
set -euo pipefail

PACKAGES=(
  pkg-config
  clang libclang-dev            # bindgen for ffmpeg-sys-next
  libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libswresample-dev
  libavfilter-dev libavdevice-dev
  time                          # /usr/bin/time: `make bench`, and the hostile-records test measures a batch's memory
  ffmpeg                        # ffprobe, used by the end-to-end tests to check outputs independently
  prometheus                    # tests/scale/observe.rs: a real Prometheus scrapes a batch's --metrics-addr

  redis-server                  # the work queue's tests (tests/scale/queue.rs) start one on 127.0.0.1; `make bench`'s queue case too
)
# Wanted by the tests but not needed to build or render: the browser tests (landing page,
# playing and seeking a spliced video) run in a real browser, and outside CI they are skipped
# with a message where chromium cannot be installed.
OPTIONAL=(
  chromium
  firefox-esr                   # a default (variable frame rate) video must end on time in Firefox too
  python3-jsonschema python3-yaml   # tests/schema.rs validates storyboards with them, independently of billreel (required under CI too)
)
# Under CI (the variable CI set, to anything but "", 0 or false) chromium is required: the
# browser tests fail there without it, so a failed install stops here, not as a skipped test.
case "$(echo "${CI:-}" | tr '[:upper:]' '[:lower:]')" in
  "" | 0 | false) ;;
  *) PACKAGES+=("${OPTIONAL[@]}"); OPTIONAL=() ;;
esac

missing() {
  for p in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      echo "$p"
    fi
  done
}

need=($(missing "${PACKAGES[@]}"))
want=($(missing "${OPTIONAL[@]}"))
if [ ${#need[@]} -eq 0 ] && [ ${#want[@]} -eq 0 ]; then
  echo "install-deps: all system packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
if [ ${#need[@]} -gt 0 ]; then
  echo "install-deps: installing ${need[*]}"
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
if [ ${#want[@]} -gt 0 ]; then
  echo "install-deps: installing ${want[*]} (optional)"
  $SUDO apt-get install -y -qq --no-install-recommends "${want[@]}" \
    || echo "install-deps: could not install ${want[*]}; the browser test will be skipped"
fi
