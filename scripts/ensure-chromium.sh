#!/usr/bin/env bash
# The end-to-end tests drive Debian's Chromium (no test tool may download a browser of its own).
# Installs it where it is missing and we can (root with apt-get); otherwise says what to do.
set -euo pipefail

if [ -n "${CHROMIUM_PATH:-}" ]; then
  [ -x "$CHROMIUM_PATH" ] && exit 0
  echo "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable" >&2
  exit 1
fi
[ -x /usr/bin/chromium ] && exit 0

if command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "Installing Chromium for the end-to-end tests (apt-get install -y chromium)…"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  exit 0
fi

echo "The end-to-end tests need Chromium: install it (Debian/Ubuntu: apt-get install -y chromium)" >&2
echo "or point CHROMIUM_PATH at a Chromium or Chrome binary." >&2
exit 1
