#!/usr/bin/env bash
# Gets a machine ready for the container tests (test/containers, `npm run test:containers`):
#   1. docker.io, docker-compose (Debian's v1, when no compose plugin answers) and debootstrap from apt,
#      when missing;
#   2. a Docker engine: when none answers, dockerd is started in the background (log in
#      /var/log/sluice-dockerd.log) and waited for with a deadline;
#   3. the base images node:24-bookworm-slim and zookeeper:3.8, built offline from Debian packages by
#      scripts/build-offline-images.sh when they are missing (never over a pulled image).
# Idempotent and quick when everything is there. When an engine cannot be had it says why, loudly, and
# exits non-zero: the container tests must fail, not pass silently. Run as root (or source-free: bash).
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
step() { echo "==> [docker $(($(date +%s) - started))s] $*"; }
fail() {
  echo "" >&2
  echo "!!! ci-docker: $*" >&2
  echo "!!! The container tests cannot run on this machine; failing (they never skip silently)." >&2
  exit 1
}

DOCKERD_LOG=/var/log/sluice-dockerd.log
DOCKERD_DEADLINE_S="${DOCKERD_DEADLINE_S:-60}"

step "packages (docker.io, compose, debootstrap)"
missing=()
# The engine: dockerd (a docker CLI alone, as on some images, is not enough).
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v docker >/dev/null 2>&1 || missing+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
if ! docker compose version >/dev/null 2>&1 && ! command -v docker-compose >/dev/null 2>&1; then
  missing+=(docker-compose)
fi
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || fail "needs root to install ${missing[*]}"
  echo "installing: ${missing[*]}"
  apt-get update -qq
  mapfile -t unique < <(printf '%s\n' "${missing[@]}" | sort -u)
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${unique[@]}" >/dev/null ||
    fail "apt-get install ${missing[*]} failed"
fi

step "Docker engine"
if docker info >/dev/null 2>&1; then
  echo "an engine answers: $(docker version -f 'server {{.Server.Version}}' 2>/dev/null)"
else
  [ "$(id -u)" = 0 ] || fail "no Docker engine answers and starting dockerd needs root"
  echo "no engine answers; starting dockerd in the background (log: $DOCKERD_LOG)"
  # Started with setsid so that it outlives this script and the CI step; containers of the tests use
  # the host's network, so the default bridge is the only one it makes.
  log_start=$(($(wc -l <"$DOCKERD_LOG" 2>/dev/null || echo 0) + 1))
  setsid dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null &
  pid=$!
  deadline=$(($(date +%s) + DOCKERD_DEADLINE_S))
  until docker info >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n +"$log_start" "$DOCKERD_LOG" | tail -25 >&2 || true
      fail "dockerd exited during start-up (its last lines above, from $DOCKERD_LOG)"
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      tail -n +"$log_start" "$DOCKERD_LOG" | tail -25 >&2 || true
      fail "dockerd did not answer within ${DOCKERD_DEADLINE_S}s (its last lines above, from $DOCKERD_LOG)"
    fi
    sleep 0.5
  done
  echo "dockerd $pid answers: $(docker version -f 'server {{.Server.Version}}')"
fi
# A container must actually run: an engine that cannot start one (no cgroups, no overlay) fails here,
# with its own words, rather than in the middle of the tests.
if docker image inspect sluice-offline/debian:bookworm-minbase >/dev/null 2>&1; then
  docker run --rm --network host sluice-offline/debian:bookworm-minbase true ||
    fail "the engine cannot run a container (see the error above)"
fi

step "base images (node:24-bookworm-slim, zookeeper:3.8)"
if ! command -v npm >/dev/null 2>&1; then
  # shellcheck source=scripts/ensure-node.sh disable=SC1091
  source scripts/ensure-node.sh
fi
scripts/build-offline-images.sh
docker run --rm --network host node:24-bookworm-slim node --version >/dev/null ||
  fail "the engine cannot run a container from node:24-bookworm-slim (see the error above)"

step "ready"
