#!/bin/sh
# Builds ParkGrid's plotly.js into the folder given (make setup: static/vendor/plotly):
# only the trace types its charts draw (index.js), bundled and minified by esbuild, both
# from the npm registry at the versions package-lock.json pins. The packages are installed
# under var/npm/plotly (never committed), and again only when the lock file changes; npm's
# downloads are kept in var/npm/cache.
#
#     tools/plotly/build.sh static/vendor/plotly
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)
work="$root/var/npm/plotly"

mkdir -p "$work"
if ! cmp -s "$here/package-lock.json" "$work/package-lock.json" || [ ! -d "$work/node_modules" ]; then
  cp "$here/package.json" "$here/package-lock.json" "$work/"
  # No install scripts: esbuild's binary comes in its platform package (@esbuild/linux-x64).
  (cd "$work" && npm ci --ignore-scripts --prefer-offline --no-audit --no-fund \
    --loglevel=error --cache "$root/var/npm/cache")
fi
cp "$here/index.js" "$here/build.mjs" "$work/"
node "$work/build.mjs" "$out"
