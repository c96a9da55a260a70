#!/bin/bash
# zkServer.sh for the offline zookeeper:3.8 stand-in: the subcommands the official image's users rely
# on, over Debian's jars. start-foreground runs the server as this process (logging to the console);
# status asks the running server with the `srvr` four-letter word, exit 0 when it serves.
set -e
ZOOCFGDIR="${ZOOCFGDIR:-${ZOO_CONF_DIR:-/conf}}"
ZOOCFG="$ZOOCFGDIR/zoo.cfg"
CLASSPATH="$ZOOCFGDIR:/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar"
JAVA="${JAVA:-java}"

# The client port and address: clientPort=, else the ";[address:]port" of this server's server.N line.
client_endpoint() {
  local port address myid line
  port=$(sed -n 's/^[[:space:]]*clientPort[[:space:]]*=[[:space:]]*//p' "$ZOOCFG" | tail -1)
  address=$(sed -n 's/^[[:space:]]*clientPortAddress[[:space:]]*=[[:space:]]*//p' "$ZOOCFG" | tail -1)
  if [[ -z $port ]]; then
    myid=$(cat "${ZOO_DATA_DIR:-/data}/myid" 2>/dev/null || echo 1)
    line=$(sed -n "s/^[[:space:]]*server\.${myid}[[:space:]]*=.*;//p" "$ZOOCFG" | tail -1)
    if [[ $line == *:* ]]; then address=${line%:*}; port=${line##*:}; else port=$line; fi
  fi
  [[ -z $address || $address == 0.0.0.0 ]] && address=127.0.0.1
  echo "$address ${port:-2181}"
}

case "${1:-}" in
  start-foreground)
    # shellcheck disable=SC2086 # JVM flags are words, as in the official zkServer.sh
    exec "$JAVA" ${SERVER_JVMFLAGS:-} ${JVMFLAGS:-} "-Dzookeeper.log.dir=${ZOO_LOG_DIR:-/logs}" \
      -Dorg.slf4j.simpleLogger.showDateTime=true \
      -Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd\'T\'HH:mm:ss.SSSZ \
      -cp "$CLASSPATH" org.apache.zookeeper.server.quorum.QuorumPeerMain "$ZOOCFG"
    ;;
  status)
    read -r address port < <(client_endpoint)
    echo "Client port found: $port. Client address: $address. Client SSL: false." >&2
    mode=$("$JAVA" -cp "$CLASSPATH" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
      org.apache.zookeeper.client.FourLetterWordMain "$address" "$port" srvr 2>/dev/null | grep Mode || true)
    if [[ -z $mode ]]; then
      echo "Error contacting service. It is probably not running." >&2
      exit 1
    fi
    echo "$mode"
    ;;
  version)
    unzip -p /usr/share/java/zookeeper.jar META-INF/MANIFEST.MF 2>/dev/null | grep -i version || echo 3.8
    ;;
  print-cmd)
    echo "$JAVA -cp $CLASSPATH org.apache.zookeeper.server.quorum.QuorumPeerMain $ZOOCFG"
    ;;
  *)
    echo "Usage: $0 {start-foreground|status|version|print-cmd}" >&2
    exit 1
    ;;
esac
