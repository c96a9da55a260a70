#!/usr/bin/env bash
# Runs a compose command on docker-compose.yml + docker-compose.host.yml (host networking), with
# whichever compose this machine has:
#
#   deploy/docker/compose-host.sh up -d        deploy/docker/compose-host.sh down -v
#
# Compose v2 (`docker compose`) takes the two files as they are; Docker drops the published ports
# under host networking. docker-compose v1 (Debian's docker-compose 1.29) refuses published ports with
# network_mode: host and cannot remove a list in an override, so for v1 this renders the merged
# configuration (`docker-compose config`), drops `ports:` (meaningless on the host's network) and runs
# the command on that. Both read the SLUICE_* variables the files use (ports, SLUICE_IMAGE).
# COMPOSE_PROJECT_NAME or -p names the project (default: sluice).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
files=(-f "$root/docker-compose.yml" -f "$root/docker-compose.host.yml")
export COMPOSE_PROJECT_NAME="${COMPOSE_PROJECT_NAME:-sluice}"

if docker compose version >/dev/null 2>&1; then
  exec docker compose --project-directory "$root" "${files[@]}" "$@"
fi
command -v docker-compose >/dev/null || {
  echo "compose-host: neither 'docker compose' nor 'docker-compose' is installed" >&2
  exit 1
}
rendered=$(mktemp /tmp/sluice-compose-host.XXXXXX.yml)
trap 'rm -f "$rendered"' EXIT
docker-compose --project-directory "$root" "${files[@]}" config |
  python3 -c '
import sys, yaml
config = yaml.safe_load(sys.stdin)
for service in config.get("services", {}).values():
    service.pop("ports", None)
yaml.safe_dump(config, sys.stdout, sort_keys=False)
' >"$rendered"
docker-compose --project-directory "$root" -f "$rendered" "$@"
