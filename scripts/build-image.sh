#!/usr/bin/env bash
# Builds the real Dockerfile with buildah, for machines without a Docker daemon (make image falls back to
# it; CI uses it). The base images must be local: scripts/stand-in-images.sh makes stand-ins for them
# (cached), and --pull=never guarantees nothing else is fetched. Every stage runs for real: npm ci and
# the build, restic 0.18 from Debian 13, setpriv with libcap-ng, the distroless runtime layout.
# Usage: bash scripts/build-image.sh   (IMAGE=name:tag, default stash-vault:dev)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
image=${IMAGE:-stash-vault:dev}
# shellcheck source=podman-env.sh
source "$root/scripts/podman-env.sh"
bash "$root/scripts/stand-in-images.sh"

old=$(image_id "$image")
start=$(date +%s)
# --layers=false: no intermediate images to pile up (vfs stores every layer as a full copy).
# --network host: the build and restic stages reach the npm registry and Debian's mirror directly.
buildah bud --pull=never --layers=false --network host -f "$root/Dockerfile" -t "$image" "$root"
[ "$old" = "$(image_id "$image")" ] || remove_if_dangling "$old"
echo "build-image: $image built in $(($(date +%s) - start)) s"
