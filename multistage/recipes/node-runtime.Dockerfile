# Stand-in for node:18-alpine / node:18-slim - slim Debian plus the Node.js 18 runtime, no npm.
ARG BASE
FROM ${BASE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs \
 && rm -rf /var/lib/apt/lists/* \
 && node --version
CMD ["node"]
