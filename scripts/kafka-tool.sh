#!/usr/bin/env bash
# Runs one of Apache Kafka 2.7.2's tools, or its broker, from the jars scripts/kafka-reference.sh
# fetched: `java -cp <libs>/* <class> args...`, as Kafka's bin/*.sh scripts do. The first argument is
# a class or the name of the .sh script it stands for:
#   scripts/kafka-tool.sh kafka-topics --bootstrap-server 127.0.0.1:9093 --list
#   scripts/kafka-tool.sh kafka.tools.ConsoleProducer --bootstrap-server ... --topic t
# KAFKA_HEAP_OPTS overrides the heap (default -Xmx256m, -Xmx512m for the perf tools and the broker);
# KAFKA_JVM_PERFORMANCE_OPTS overrides the compiler and collector flags (as in Kafka's
# kafka-run-class.sh; the benchmarks set Kafka's shipped defaults); KAFKA_LOG4J_OPTS overrides the
# logging configuration (default: warnings on standard error).
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 <class|tool> [args...]" >&2; exit 2; }
repo=$(cd "$(dirname "$0")/.." && pwd)
libs="${SLUICE_KAFKA_HOME:-$HOME/.cache/sluice/kafka-2.7.2}/libs"
[ -d "$libs" ] || { echo "no Kafka jars in $libs: run bash scripts/kafka-reference.sh" >&2; exit 1; }

tool=$1
shift
heap=-Xmx256m
case "$tool" in
  kafka-topics) class=kafka.admin.TopicCommand ;;
  kafka-console-producer) class=kafka.tools.ConsoleProducer ;;
  kafka-console-consumer) class=kafka.tools.ConsoleConsumer ;;
  kafka-producer-perf-test) class=org.apache.kafka.tools.ProducerPerformance ;;
  kafka-consumer-perf-test) class=kafka.tools.ConsumerPerformance ;;
  kafka-consumer-groups) class=kafka.admin.ConsumerGroupCommand ;;
  kafka-server-start) class=kafka.Kafka ;;
  *.*) class=$tool ;;
  *) echo "unknown tool $tool: give a class name or one of kafka-topics, kafka-console-producer," \
       "kafka-console-consumer, kafka-producer-perf-test, kafka-consumer-perf-test," \
       "kafka-consumer-groups, kafka-server-start" >&2; exit 2 ;;
esac
case "$class" in
  org.apache.kafka.tools.ProducerPerformance | kafka.tools.ConsumerPerformance | kafka.Kafka) heap=-Xmx512m ;;
esac

# Client tools live for seconds: the C1 compiler alone and the serial collector start them fastest.
jit=(-XX:+UseSerialGC -XX:TieredStopAtLevel=1)
[ "$class" = kafka.Kafka ] && jit=(-XX:+UseG1GC)
# shellcheck disable=SC2206 # a word list, as in Kafka's kafka-run-class.sh
[ -n "${KAFKA_JVM_PERFORMANCE_OPTS:-}" ] && jit=(${KAFKA_JVM_PERFORMANCE_OPTS})
# shellcheck disable=SC2086 # the *_OPTS variables are word lists, as in Kafka's kafka-run-class.sh
exec java ${KAFKA_HEAP_OPTS:-$heap} "${jit[@]}" -Djava.awt.headless=true \
  ${KAFKA_LOG4J_OPTS:--Dlog4j.configuration=file:$repo/test/kafka-reference/tools-log4j.properties} \
  -cp "$libs/*" "$class" "$@"
