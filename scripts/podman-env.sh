# Sourced by the image scripts (stand-in-images.sh, build-image.sh): one place for how podman and buildah
# run here. scripts/containers/ holds the settings: vfs storage (works on any filesystem, also inside a
# container), runc (crun fails on setrlimit and cgroups here), cgroupfs, no default ulimits. The image
# checks (test/image/podman.ts) point at the same two files.
podman_env_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CONTAINERS_CONF="$podman_env_root/scripts/containers/containers.conf"
export CONTAINERS_STORAGE_CONF="$podman_env_root/scripts/containers/storage.conf"

podman_env_as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# podman, buildah, runc and mmdebstrap (Debian 12 packages), installed once; later calls only check.
ensure_container_tools() {
  local missing=()
  for tool in podman buildah runc mmdebstrap; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
  [ "${#missing[@]}" = 0 ] && return 0
  echo "installing ${missing[*]}" >&2
  podman_env_as_root apt-get update -qq
  podman_env_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    podman buildah runc mmdebstrap uidmap netavark >/dev/null
}

# The id of a local image, or nothing.
image_id() { podman image inspect --format '{{.Id}}' "$1" 2>/dev/null || true; }

# Removes an image that a rebuild left without a name (ours only, by id).
remove_if_dangling() {
  local id=$1
  [ -n "$id" ] || return 0
  if [ "$(podman image inspect --format '{{len .RepoTags}}' "$id" 2>/dev/null || echo 1)" = 0 ]; then
    podman rmi "$id" >/dev/null || echo "could not remove the replaced image $id" >&2
  fi
}
