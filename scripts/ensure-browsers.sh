#!/usr/bin/env bash
# The end-to-end tests drive Debian's browsers: Chromium, Firefox ESR, and WebKitGTK through its
# WebDriver under Xvfb (no test tool may download a browser of its own). Installs what is missing
# where we can (root or sudo with apt-get); otherwise says what to do.
# CHROMIUM_PATH, FIREFOX_PATH and WEBKIT_DRIVER_PATH point at other builds.
set -euo pipefail

missing=()
check() { # check <path-or-override> <debian package>
  if [ ! -x "$1" ]; then missing+=("$2"); fi
}
check "${CHROMIUM_PATH:-/usr/bin/chromium}" chromium
check "${FIREFOX_PATH:-/usr/bin/firefox-esr}" firefox-esr
check "${WEBKIT_DRIVER_PATH:-/usr/bin/WebKitWebDriver}" webkit2gtk-driver
command -v xvfb-run >/dev/null 2>&1 || missing+=(xvfb)
[ ${#missing[@]} -eq 0 ] && exit 0

if command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "Installing the browsers for the end-to-end tests (apt-get install -y ${missing[*]})…"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  exit 0
fi

echo "The end-to-end tests need these Debian packages (or their equivalents): ${missing[*]}." >&2
echo "Install them, or point CHROMIUM_PATH / FIREFOX_PATH / WEBKIT_DRIVER_PATH at other builds." >&2
exit 1
