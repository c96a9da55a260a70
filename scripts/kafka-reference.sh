#!/usr/bin/env bash
# Fetches Apache Kafka 2.7.2 (the broker, kafka_2.12, and the tools, kafka-tools) with its runtime
# dependencies and a log4j binding from Maven Central into a cache, for the parity tests that run
# Kafka's own tools against Sluice and against a real Kafka broker. Idempotent; when the cache is
# complete it returns at once. Prints the directory of the jars on standard output.
#   bash scripts/kafka-reference.sh          # -> ~/.cache/sluice/kafka-2.7.2/libs
# SLUICE_KAFKA_HOME overrides the cache directory (scripts/kafka-tool.sh and test/kafka-reference.ts
# honour it too).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
pom="$repo/test/kafka-reference/pom.xml"
home="${SLUICE_KAFKA_HOME:-$HOME/.cache/sluice/kafka-2.7.2}"
libs="$home/libs"
# The stamp names the pom it came from: editing the pom refetches.
stamp="$home/.complete-$(sha256sum "$pom" | cut -c1-16)"

if [ -f "$stamp" ] && [ -d "$libs" ]; then
  echo "$libs"
  exit 0
fi

need() {
  command -v "$1" >/dev/null 2>&1 || { echo "$1 is not installed: apt-get install -y $2" >&2; exit 1; }
}
need mvn maven
need java default-jre-headless

echo "fetching Kafka 2.7.2 jars from Maven Central into $libs" >&2
mkdir -p "$home"
# Copy into a fresh directory and move it in place at the end, so an interrupted run never leaves a
# half-filled libs directory that looks complete.
staging=$(mktemp -d "$home/.staging-XXXXXX")
trap 'rm -rf "$staging"' EXIT
# Maven's log is shown only when it fails.
if ! mvn -B -Dstyle.color=never -f "$pom" dependency:copy-dependencies \
  -DincludeScope=runtime -DoutputDirectory="$staging/libs" >"$staging/mvn.log" 2>&1; then
  cat "$staging/mvn.log" >&2
  echo "Maven could not fetch the Kafka 2.7.2 jars (log above)" >&2
  exit 1
fi
for jar in kafka_2.12-2.7.2.jar kafka-tools-2.7.2.jar kafka-clients-2.7.2.jar \
  slf4j-log4j12-1.7.30.jar log4j-1.2.17.jar; do
  [ -f "$staging/libs/$jar" ] || { echo "missing $jar after the Maven copy" >&2; exit 1; }
done
rm -rf "$libs" "$home"/.complete-*
mv "$staging/libs" "$libs"
touch "$stamp"
echo "$libs"
