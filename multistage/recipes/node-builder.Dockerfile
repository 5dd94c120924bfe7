# Stand-in for node:18 - Debian's Node.js 18 and npm on top of the build tools.
ARG BASE
FROM ${BASE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/* \
 && node --version && npm --version
CMD ["node"]
