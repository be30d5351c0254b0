#!/usr/bin/env bash
# Assembles the container image's runtime layout in a folder, without Docker (mirrors Dockerfile):
#   <out>/app/dist            compiled CLI (npm run build)
#   <out>/app/node_modules    production dependencies only (npm ci --omit=dev --ignore-scripts)
#   <out>/app/package.json
#   <out>/usr/local/bin/restic  restic 0.18 (Debian 13 package, from scripts/setup-tools.sh)
# then makes the whole tree read-only, like the image's read-only root filesystem.
# Usage: bash scripts/image-rootfs.sh [out-dir]   (default: .image-rootfs)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/.image-rootfs}
tools=${STASH_VAULT_TOOLS:-$root/.tools}
restic_bin="$tools/restic-0.18/usr/bin/restic"

if [ ! -x "$restic_bin" ]; then
  echo "image-rootfs: $restic_bin is missing; run scripts/setup-tools.sh (make tools)" >&2
  exit 1
fi
# npm scripts put node_modules/.bin (Node 24 from the `node` devDependency) first on PATH.
export PATH="$root/node_modules/.bin:$PATH"

# A previous run left the tree read-only; make it writable again so it can be replaced.
if [ -e "$out" ]; then chmod -R u+w "$out" && rm -rf "$out"; fi
mkdir -p "$out/app" "$out/usr/local/bin"

(cd "$root" && npm run --silent build)
cp -R "$root/dist" "$out/app/dist"
cp "$root/package.json" "$out/app/package.json"

# Production dependencies, resolved from the lockfile in a scratch copy (the working tree's
# node_modules, which holds devDependencies, is not touched).
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$root/package.json" "$root/package-lock.json" "$work/"
(cd "$work" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
mv "$work/node_modules" "$out/app/node_modules"

install -m 0555 "$restic_bin" "$out/usr/local/bin/restic"

chmod -R a-w "$out"
echo "image-rootfs: $out (restic $("$out/usr/local/bin/restic" version | awk '{print $2}'))"
