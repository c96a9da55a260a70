#!/bin/bash
# The image's entrypoint. `server-start` (the default command) runs the broker with the server.properties
# at $SLUICE_CONFIG and every SLUICE_* variable applied over it as `--override key=value`, through the
# same `sluice server-start` as everywhere else; exec makes the broker PID 1, so `docker stop`'s SIGTERM
# reaches it and it shuts down cleanly. `broker-health` probes that broker (the HEALTHCHECK). Anything
# else runs as a command (`docker run IMAGE sluice topics --list --bootstrap-server ...`).
#
# Variable names map to Kafka's key names: drop SLUICE_, lower-case, `_` -> `.`, `__` -> `_`,
# `___` -> `-`. SLUICE_BROKER_ID=1 -> broker.id=1, SLUICE_ZOOKEEPER_CONNECT -> zookeeper.connect,
# SLUICE_LOG_RETENTION_HOURS -> log.retention.hours. Empty values are skipped. Not mapped (they mean
# something else): SLUICE_CONFIG, SLUICE_LOG_LEVEL, SLUICE_CLIENT_LOG_LEVEL.
set -euo pipefail

SLUICE_HOME=/opt/sluice
config="${SLUICE_CONFIG:-/etc/sluice/server.properties}"

overrides=()
while IFS= read -r name; do
  case "$name" in
    SLUICE_CONFIG | SLUICE_LOG_LEVEL | SLUICE_CLIENT_LOG_LEVEL) continue ;;
    SLUICE_*) ;;
    *) continue ;;
  esac
  value="${!name}"
  [ -n "$value" ] || continue
  key="${name#SLUICE_}"
  key="${key,,}"
  key="${key//___/%D}"
  key="${key//__/%U}"
  key="${key//_/.}"
  key="${key//%D/-}"
  key="${key//%U/_}"
  overrides+=(--override "$key=$value")
done < <(compgen -e | LC_ALL=C sort)

case "${1:-server-start}" in
  server-start)
    [ $# -gt 0 ] && shift
    if [ ! -r "$config" ]; then
      echo "sluice-entrypoint: cannot read the configuration $config (SLUICE_CONFIG)" >&2
      exit 1
    fi
    exec node "$SLUICE_HOME/packages/client/bin/sluice.ts" server-start "$config" "${overrides[@]}" "$@"
    ;;
  broker-health)
    shift
    exec node "$SLUICE_HOME/packages/client/src/cli/health.ts" --config "$config" "${overrides[@]}" "$@"
    ;;
  print-overrides)
    # What server-start would be given: for checking a container's environment.
    printf '%s\n' "${overrides[@]+"${overrides[@]}"}"
    ;;
  -*)
    # Flags only (e.g. --override k=v): arguments for server-start.
    exec "$0" server-start "$@"
    ;;
  *)
    exec "$@"
    ;;
esac
