# Build tools shared by the Node, Go and Python builder images, like buildpack-deps:bookworm.
ARG BASE
FROM ${BASE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential ca-certificates curl git pkg-config xz-utils \
 && rm -rf /var/lib/apt/lists/*
