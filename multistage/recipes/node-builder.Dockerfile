# Stand-in for node:18 - Debian's Node.js and npm on top of the build tools, and yarn 1 as the
# official images have it (Debian's yarnpkg, as `yarn`).
ARG BASE
FROM ${BASE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm yarnpkg \
 && rm -rf /var/lib/apt/lists/* \
 && ln -s /usr/bin/yarnpkg /usr/local/bin/yarn \
 && node --version && npm --version && yarn --version
# The official Node images have a non-root user `node` (uid 1000); so does this stand-in.
RUN groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/sh --create-home node
CMD ["node"]
