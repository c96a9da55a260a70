#!/bin/sh
# `sluice` inside the image: the CLI (topics, console-producer, console-consumer, ...).
exec node /opt/sluice/packages/client/bin/sluice.ts "$@"
