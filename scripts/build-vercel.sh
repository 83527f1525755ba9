#!/usr/bin/env bash
# `npm run build:vercel`: the app as Vercel builds it — Vercel's own CLI (`vercel build`), run
# offline with a local project file (deploy/vercel-project.json, copied to .vercel/ if none is
# there; `vercel link` writes a real one). The output in .vercel/output is what `vercel deploy
# --prebuilt` uploads. The CLI (~360 MB) is installed on first use into .tools/vercel, pinned:
# newer releases need packages this registry does not have.
set -euo pipefail
cd "$(dirname "$0")/.."

VERCEL_VERSION=60.1.3
TOOLS=.tools/vercel
CLI="$TOOLS/node_modules/.bin/vercel"
if [ ! -x "$CLI" ] || ! grep -q "\"version\": \"$VERCEL_VERSION\"" "$TOOLS/node_modules/vercel/package.json"; then
  echo "Installing Vercel's CLI $VERCEL_VERSION into $TOOLS…"
  mkdir -p "$TOOLS"
  [ -f "$TOOLS/package.json" ] || echo '{ "private": true }' > "$TOOLS/package.json"
  npm install --prefix "$TOOLS" --no-audit --no-fund --loglevel=error "vercel@$VERCEL_VERSION" >/dev/null
fi
mkdir -p .vercel
[ -f .vercel/project.json ] || cp deploy/vercel-project.json .vercel/project.json
VERCEL_TELEMETRY_DISABLED=1 "$CLI" build --yes "$@"
