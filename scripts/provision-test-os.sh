#!/usr/bin/env bash
# What the tests need beyond pip, on a fresh Debian/Ubuntu machine: Chromium for the browser
# tests, poppler-utils (pdftoppm) for the PDF tests. `make test` runs this first.
#
#   1. everything present            -> nothing to do, silent;
#   2. root, or passwordless sudo    -> apt-get install the missing Debian packages;
#   3. only Chromium missing, no apt -> `playwright install chromium` (needs a download);
#   4. none of these can             -> one line saying what to install, exit 1, at once.
#
# --dry-run (or PROVISION_DRY_RUN=1) prints the command it would run instead of running it.
# Override for tests or odd machines: CHROMIUM_PATH, APT_GET, VENV_PYTHON.
set -euo pipefail

# Debian package and the file (absolute path) or command that proves it is installed. To add one,
# append "package:probe", e.g. "fonts-dejavu-core:/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf".
CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
TEST_OS_PACKAGES="chromium:${CHROMIUM_PATH} poppler-utils:pdftoppm"

APT_GET="${APT_GET:-apt-get}"
VENV_PYTHON="${VENV_PYTHON:-.venv/bin/python}"
DRY_RUN="${PROVISION_DRY_RUN:-0}"
[ "${1:-}" = "--dry-run" ] && DRY_RUN=1

present() {
  case "$1" in
    /*) [ -x "$1" ] || [ -f "$1" ] ;;
    *) command -v "$1" >/dev/null 2>&1 ;;
  esac
}

run() {
  if [ "$DRY_RUN" = 1 ]; then
    echo "would run: $*"
  else
    "$@"
  fi
}

missing=()
for entry in $TEST_OS_PACKAGES; do
  present "${entry#*:}" || missing+=("${entry%%:*}")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo_prefix=""
can_apt=0
if command -v "$APT_GET" >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    can_apt=1
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    can_apt=1
    sudo_prefix="sudo"
  fi
fi

if [ "$can_apt" = 1 ]; then
  echo "provision: installing ${missing[*]} with apt-get" >&2
  run $sudo_prefix "$APT_GET" update -qq
  run $sudo_prefix env DEBIAN_FRONTEND=noninteractive "$APT_GET" install -y -qq \
    --no-install-recommends "${missing[@]}"
  exit 0
fi

stop() {
  echo "provision: cannot install ${missing[*]}: $1;" \
    "run 'sudo apt-get install -y ${missing[*]}' (or set CHROMIUM_PATH) and retry." >&2
  exit 1
}

if [ "${missing[*]}" = "chromium" ]; then
  # No apt rights: Playwright's own Chromium build, which browser_support finds by itself.
  if [ "$DRY_RUN" = 1 ]; then
    echo "would run: $VENV_PYTHON -m playwright install chromium"
    exit 0
  fi
  if "$VENV_PYTHON" -m playwright install chromium >/dev/null 2>&1; then
    exit 0
  fi
  stop "no root or sudo for apt-get, and 'playwright install chromium' could not download"
fi
stop "no root or sudo for apt-get"
