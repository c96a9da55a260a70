# Offline stand-in for the official zookeeper:3.8, built by scripts/build-offline-images.sh only where
# no image registry is reachable and the real image is missing: Debian's ZooKeeper 3.8 (the
# libzookeeper-java jars that Debian's zookeeper package runs; the package itself would pull in a
# desktop JRE) on a headless JRE, with the official image's essentials: the same ZOO_* variables and
# defaults, /conf, /data, /datalog and /logs, user zookeeper, `zkServer.sh start-foreground` as CMD and
# `zkServer.sh status` for health checks.
ARG BASE=sluice-offline/debian:bookworm-minbase
FROM ${BASE}
LABEL org.sluice.offline-image=true \
      org.opencontainers.image.description="Offline stand-in for zookeeper:3.8 (Debian libzookeeper-java 3.8 + OpenJDK 17 headless)"
# update-alternatives of the JRE needs man1 to exist, as on debian:*-slim.
RUN mkdir -p /usr/share/man/man1 \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libzookeeper-java openjdk-17-jre-headless \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log
ENV ZOO_CONF_DIR=/conf \
    ZOO_DATA_DIR=/data \
    ZOO_DATA_LOG_DIR=/datalog \
    ZOO_LOG_DIR=/logs \
    ZOO_TICK_TIME=2000 \
    ZOO_INIT_LIMIT=5 \
    ZOO_SYNC_LIMIT=2 \
    ZOO_AUTOPURGE_PURGEINTERVAL=0 \
    ZOO_AUTOPURGE_SNAPRETAINCOUNT=3 \
    ZOO_MAX_CLIENT_CNXNS=60 \
    ZOO_STANDALONE_ENABLED=true \
    ZOO_ADMINSERVER_ENABLED=true \
    ZOOCFGDIR=/conf
RUN groupadd --system --gid 1000 zookeeper \
 && useradd --system --uid 1000 --gid zookeeper --home-dir /data --no-create-home zookeeper \
 && mkdir -p /conf /data /datalog /logs \
 && chown zookeeper:zookeeper /conf /data /datalog /logs
COPY zkServer.sh /usr/local/bin/zkServer.sh
COPY zookeeper-entrypoint.sh /docker-entrypoint.sh
VOLUME ["/data", "/datalog", "/logs"]
EXPOSE 2181 2888 3888 8080
ENTRYPOINT ["/docker-entrypoint.sh"]
CMD ["zkServer.sh", "start-foreground"]
