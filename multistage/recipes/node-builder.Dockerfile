# Stand-in for node:18 - Debian's Node.js 18 and npm on top of the build tools.
ARG BASE
FROM ${BASE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/* \
 && node --version && npm --version
# The official Node images have a non-root user `node` (uid 1000); so does this stand-in.
RUN groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/sh --create-home node
CMD ["node"]
