# syntax=docker/dockerfile:1
# stash-vault task-runner image (style-guide §6): Node 24 CLI + restic 0.18 (Debian 13 package),
# distroless, non-root, read-only root filesystem. Stash passes Function args to the ENTRYPOINT.
# Build: make image IMAGE=ghcr.io/stash-vault/stash-vault:0.1.0
# Without Docker, scripts/image-rootfs.sh assembles the same /app and restic layout in a folder.
ARG NODE_MAJOR=24

# --- build: bundle src/ into dist/ (esbuild), then drop devDependencies --------------------------------------
FROM node:${NODE_MAJOR}-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# Scripts stay enabled: the `node` devDependency's preinstall fetches the Node 24 that `npm run`
# puts first on PATH (a broken node_modules/.bin/node would otherwise shadow the base image's node).
RUN npm ci --no-audit --no-fund
COPY scripts/build.ts ./scripts/build.ts
COPY src ./src
RUN npm run build && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

# --- restic: Debian 13 (trixie) package, unpacked, no system change beyond a private apt dir ------
FROM debian:bookworm-slim AS restic
WORKDIR /tmp/restic
RUN set -eux; \
    mkdir -p apt/state/lists/partial apt/cache/archives/partial debs; \
    printf '%s\n' 'Types: deb' 'URIs: http://deb.debian.org/debian' 'Suites: trixie' 'Components: main' \
      'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' > apt/trixie.sources; \
    opts="-o Dir::Etc::SourceList=/tmp/restic/apt/trixie.sources -o Dir::Etc::SourceParts=/dev/null \
          -o Dir::State=/tmp/restic/apt/state -o Dir::Cache=/tmp/restic/apt/cache -o APT::Sandbox::User=root"; \
    apt-get $opts update; \
    (cd debs && apt-get $opts download restic); \
    dpkg -x debs/restic_0.18*.deb root; \
    install -D -m 0555 root/usr/bin/restic /out/usr/local/bin/restic; \
    /out/usr/local/bin/restic version | grep -q '^restic 0\.18\.'

# --- setpriv (util-linux): lets the CLI run restic under `setpriv --pdeathsig KILL`, so restic dies
# with the CLI; distroless has none. Needs libcap-ng.so.0 beyond libc (checked with ldd).
FROM debian:bookworm-slim AS setpriv
RUN set -eux; \
    install -D -m 0555 /usr/bin/setpriv /out/usr/bin/setpriv; \
    lib=$(ldd /usr/bin/setpriv | awk '/libcap-ng\.so/ {print $3}'); \
    dir=$(dirname "$(readlink -f "$lib")"); \
    install -D -m 0444 "$(readlink -f "$lib")" "/out${dir}/$(basename "$lib")"; \
    ldd /usr/bin/setpriv | awk '$3 ~ /^\// {print $3}' | grep -v -e libc.so -e libcap-ng.so | (! grep .)

# --- runtime --------------------------------------------------------------------------------------
FROM gcr.io/distroless/nodejs${NODE_MAJOR}-debian12:nonroot
COPY --from=restic /out/ /
COPY --from=setpriv /out/ /
WORKDIR /app
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# Stash mounts an emptyDir at /stash-tmp in every container; it is the only writable place.
ENV NODE_ENV=production TMPDIR=/stash-tmp XDG_CACHE_HOME=/stash-tmp/.cache
# glibc: two malloc arenas instead of one per thread (V8 and libuv workers), and 64 KiB+ blocks (network
# and pipe reads) straight from mmap, so freed stream buffers go back to the kernel: about 10-15 MiB less
# peak RSS, flat in snapshot size (make bench).
ENV MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=65536
# Any UID works (Stash sets runAsUser 65535 for backup, 0 for restore); nothing needs a home dir.
USER 65532:65532
# A 1 MiB young generation (about 20 MiB less RSS; Buffers live outside the V8 heap anyway) and no
# TurboFan (the hot work is native: TLS, zlib, SHA-256; Maglev is enough, and its compiles are smaller).
ENTRYPOINT ["/nodejs/bin/node", "--max-semi-space-size=1", "--max-opt=2", "/app/dist/cli.js"]
