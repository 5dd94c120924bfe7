# Stand-in for node:18-alpine / node:18-slim - slim Debian plus the Node.js 18 runtime, no npm.
ARG BASE
FROM ${BASE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs \
 && rm -rf /var/lib/apt/lists/* \
 && node --version
# The official Node images have a non-root user `node` (uid 1000); so does this stand-in.
RUN groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/sh --create-home node
CMD ["node"]
