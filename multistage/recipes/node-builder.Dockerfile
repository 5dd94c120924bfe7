# Stand-in for node:18 - Debian's Node.js and npm on top of the build tools, and yarn 1 as the
# official images have it (from the npm registry: Debian 13's yarnpkg is yarn 4).
ARG BASE
FROM ${BASE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm python3-setuptools \
 && rm -rf /var/lib/apt/lists/* \
 && npm install --global --no-audit --no-fund yarn@1.22.22 \
 && rm -rf /root/.npm \
 && node --version && npm --version && yarn --version
# A package's own node-gyp (from the npm registry) builds native addons against this Node's
# headers (Debian's libnode-dev, in /usr/include/node) rather than downloading them from nodejs.org,
# which the official images' node-gyp does. python3-setuptools gives the node-gyp versions before 9
# the `distutils` they import, gone from Python 3.12 on (Debian 13's Python is 3.13).
ENV npm_config_nodedir=/usr
# The official Node images have a non-root user `node` (uid 1000); so does this stand-in.
RUN groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/sh --create-home node
CMD ["node"]
