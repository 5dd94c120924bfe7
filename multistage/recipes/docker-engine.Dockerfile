# A current Docker Engine for the test harness (multistage/harness.py): Debian 13's docker.io
# (Engine 26), the docker CLI with its buildx plugin, and Debian's registry for mirror tests.
# It runs as a container on the host engine; see the entrypoint for what it starts.
ARG BASE
FROM ${BASE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      docker.io docker-cli docker-buildx containerd runc iptables docker-registry openssl \
 && rm -rf /var/lib/apt/lists/*
COPY docker-engine-entrypoint /usr/local/bin/docker-engine-entrypoint
VOLUME ["/var/lib/docker", "/var/lib/containerd"]
EXPOSE 2375
ENTRYPOINT ["/usr/local/bin/docker-engine-entrypoint"]
