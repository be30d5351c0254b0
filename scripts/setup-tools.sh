#!/usr/bin/env bash
# Installs the external programs the tests, the demo and the benchmark run for real:
# restic 0.14 (Debian 12 package), restic 0.18 and restic-rest-server (Debian 13 packages, unpacked under .tools/).
# Idempotent: a second run only checks.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/.tools"
mkdir -p "$tools"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v /usr/bin/restic >/dev/null 2>&1; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq restic >/dev/null
fi
# GNU time: the benchmarks read the whole process tree's CPU and disk writes from its rusage.
if [ ! -x /usr/bin/time ]; then
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
fi
if ! command -v openssl >/dev/null 2>&1; then
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >/dev/null
fi

# Debian 13 packages, fetched with apt-get download from a private trixie source list (no system change).
if [ ! -x "$tools/restic-0.18/usr/bin/restic" ] || [ ! -x "$tools/rest-server/usr/bin/restic-rest-server" ]; then
  apt_dir="$tools/apt-trixie"
  mkdir -p "$apt_dir/state/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/debs"
  cat > "$apt_dir/trixie.sources" <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/trixie.sources" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State=$apt_dir/state" -o "Dir::Cache=$apt_dir/cache" -o APT::Sandbox::User=root -qq)
  apt-get "${apt_opts[@]}" update
  (cd "$apt_dir/debs" && apt-get "${apt_opts[@]}" download restic restic-rest-server)
  rm -rf "$tools/restic-0.18" "$tools/rest-server"
  dpkg -x "$apt_dir"/debs/restic_0.18*.deb "$tools/restic-0.18"
  dpkg -x "$apt_dir"/debs/restic-rest-server_*.deb "$tools/rest-server"
fi

# One folder per restic version, each holding a `restic` on PATH, so tests pick a version by PATH.
mkdir -p "$tools/bin-0.14" "$tools/bin-0.18"
ln -sf /usr/bin/restic "$tools/bin-0.14/restic"
ln -sf "$tools/restic-0.18/usr/bin/restic" "$tools/bin-0.18/restic"
ln -sf "$tools/rest-server/usr/bin/restic-rest-server" "$tools/bin-0.18/rest-server"

"$tools/bin-0.14/restic" version
"$tools/bin-0.18/restic" version
# Whole outputs, no early-closing pipe (`| head` under pipefail fails at random with SIGPIPE).
version=$("$tools/bin-0.18/rest-server" --version 2>&1)
echo "${version%%$'\n'*}"
