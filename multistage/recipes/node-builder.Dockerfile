# Stand-in for node:18 - Debian's Node.js and npm on top of the build tools, and yarn 1 as the
# official images have it (from the npm registry: Debian 13's yarnpkg is yarn 4).
ARG BASE
FROM ${BASE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/* \
 && npm install --global --no-audit --no-fund yarn@1.22.22 \
 && rm -rf /root/.npm \
 && node --version && npm --version && yarn --version
# The official Node images have a non-root user `node` (uid 1000); so does this stand-in.
RUN groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/sh --create-home node
CMD ["node"]
